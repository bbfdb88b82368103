"""RBM prior p(z) = exp(-E(z)) / Z over z = [z1, z2] with E = -b1.z1 - b2.z2 - z1^T W z2."""
import math
import typing

import keras
import tensorflow as tf

from dvae_tf2.model import rbm
from dvae_tf2.model.networks import weight_decay_regularizer
from dvae_tf2.priors.base import Prior, PriorTerms
from dvae_tf2.samplers import SamplerSettings, ais, sampler_bias, training_sampler


class LogZRefresh(typing.NamedTuple):
    """An evaluation refresh of the prior: the AIS run (AISResult) and the training sampler measured against
    it just before re-anchoring (SamplerBias)."""
    ais: ais.AISResult
    sampler_bias: sampler_bias.SamplerBias


def split_halves(z, num_vars1):
    """[..., n] -> ([..., n1], [..., n - n1])."""
    return z[..., :num_vars1], z[..., num_vars1:]


class RBMPrior(keras.layers.Layer, Prior):
    """Zero-initialised RBM prior with a training sampler and an AIS log Z for evaluation.

    Its KL form is the plain one: log p(zeta) = -E(zeta) - log Z at the samples, the cross-entropy E + log Z at
    the draw's Rao-Blackwellised point. `call(z)` is the energy E(z). Its weights depend only on its settings: it
    builds them on construction. W carries the weight decay weight_decay * 0.5 ||W||^2 as a Keras regularizer
    (`losses`); the biases none. `sampler` names a TRAINING_SAMPLERS entry, built from the other settings
    (num_samples chains).
    """

    def __init__(self, num_vars1, num_vars2, sampler="pa", num_samples=1000, num_sweeps=40, seed=0,
                 old_sweep_fraction=0.9, weight_decay=0.0, name="rbm_prior", **kwargs):
        super().__init__(name=name, **kwargs)
        self.num_vars1, self.num_vars2 = num_vars1, num_vars2
        self.sampler_settings = {"sampler": sampler, "num_samples": num_samples, "num_sweeps": num_sweeps,
                                 "seed": seed, "old_sweep_fraction": old_sweep_fraction}
        self.weight_decay = weight_decay
        self.sampler = training_sampler(sampler, SamplerSettings(num_vars1, num_vars2, num_chains=num_samples,
                                                                 num_sweeps=num_sweeps, seed=seed,
                                                                 old_sweep_fraction=old_sweep_fraction))
        self.build()

    def build(self, input_shape=None):
        del input_shape   # the shapes are the settings'
        zeros = keras.initializers.Zeros()
        self.b1 = self.add_weight(shape=(self.num_vars1,), initializer=zeros, name="b1")
        self.b2 = self.add_weight(shape=(self.num_vars2,), initializer=zeros, name="b2")
        self.w = self.add_weight(shape=(self.num_vars1, self.num_vars2), initializer=zeros, name="w",
                                 regularizer=weight_decay_regularizer(self.weight_decay))
        # log Z of the zero-initialised RBM is exactly n log 2.
        self.log_z = self.add_weight(shape=(), initializer=keras.initializers.Constant(self.num_vars * math.log(2.0)),
                                     trainable=False, name="log_z")
        self.log_z_stderr = self.add_weight(shape=(), initializer=zeros, trainable=False, name="log_z_stderr")

    def get_config(self):
        return {**super().get_config(), "num_vars1": self.num_vars1, "num_vars2": self.num_vars2,
                **self.sampler_settings, "weight_decay": self.weight_decay}

    def call(self, z):
        """E(z) for z [..., n] (binary or relaxed) -> [...]."""
        return self.energy(z)

    @property
    def num_vars(self):
        return self.num_vars1 + self.num_vars2

    @property
    def variables_to_train(self):
        return [self.b1, self.b2, self.w]

    def params(self):
        return rbm.RBMParams(self.b1[None], self.b2[None], self.w[None])

    def energy(self, z):
        z1, z2 = split_halves(z, self.num_vars1)
        shape = tf.shape(z)[:-1]
        e = rbm.energy(self.params(), tf.reshape(z1, [1, -1, self.num_vars1]),
                       tf.reshape(z2, [1, -1, self.num_vars2]))
        return tf.reshape(e, shape)

    def training_log_prob(self, zeta, log_z):
        """log p(zeta) in training: -E(zeta) - log Z for relaxed zeta [..., n] -> [...].

        `log_z` is the training surrogate (`log_z_surrogate`)."""
        return -self.energy(zeta) - log_z

    def training_terms(self, draw, log_z):
        """log p at the samples; KL = the cross-entropy -E_q[log p(z)], E at the Rao-Blackwellised point plus log Z,
        plus the draw's -H(q) term."""
        cross_entropy = self.energy(draw.rb_point) + log_z
        return PriorTerms(self.training_log_prob(draw.zeta, log_z), cross_entropy + draw.neg_entropy)

    def sample_for_training(self):
        return self.sampler.sample(tf.nest.map_structure(tf.stop_gradient, self.params()))

    def log_z_surrogate(self, samples):
        neg_energy = -tf.reduce_mean(rbm.energy(self.params(), samples.z1, samples.z2))
        running = tf.where(tf.math.is_finite(samples.log_z), samples.log_z, self.log_z)
        return tf.stop_gradient(running) + neg_energy - tf.stop_gradient(neg_energy)

    def sampler_bias(self, reference, posterior_cross=None):
        """SamplerBias of the training sampler's population, moved to the current parameters, against the
        weighted final states of `reference` (an AISResult at the current parameters).

        posterior_cross: E_q[z1 z2^T] [n1, n2] over data, for the relative gradient error (or None).
        """
        params = tf.nest.map_structure(tf.stop_gradient, self.params())
        population = self.sampler.population_at(params)
        return sampler_bias.sampler_bias(
            sampler_bias.sufficient_statistics(params, population.z1, population.log_weights),
            sampler_bias.sufficient_statistics(params, reference.z1, reference.log_weights),
            population.log_z, reference.log_z[0], posterior_cross)

    def refresh_log_z(self, num_chains, num_temperatures, rng, posterior_cross=None):
        """AIS runs from the uniform distribution. The training sampler is first measured against the AIS states
        (`sampler_bias`), then re-anchored, which bounds what its per-step estimate accumulates between
        evaluations (its finite-population error and any mode its sweeps cannot follow). Only the value is
        anchored; the log Z gradient comes from the samples.
        """
        result = ais.annealed_log_z(self.params(), num_chains, num_temperatures, rng)
        bias = self.sampler_bias(result, posterior_cross)
        self.log_z.assign(result.log_z[0])
        self.log_z_stderr.assign(result.log_z_stderr[0])
        self.sampler.anchor_log_z(self.params(), result.log_z[0])
        return LogZRefresh(result, bias)

    def reanneal(self, num_temperatures, rng):
        """Population annealing from the uniform distribution to the current prior with the sampler's own number
        of chains; its final population and log Z replace the sampler's (`reseed`)."""
        params = self.params()
        result = ais.annealed_log_z(params, self.sampler.num_chains, num_temperatures, rng, method="pa")
        self.sampler.reseed(params, result.z1, result.log_weights, result.log_z[0])
        return result


class SampledMarginalPrior(RBMPrior):
    """An RBM prior with its own training marginal log p(zeta) over relaxed zeta (DVAE# KL forms): the KL's
    cross-entropy is -log p(zeta) at the draw's samples, without Rao-Blackwellisation."""

    def training_terms(self, draw, log_z):
        """The marginal log p(zeta), computed once, gives both terms: KL = -log p(zeta) - H(q)."""
        log_prob = self.training_log_prob(draw.zeta, log_z)
        return PriorTerms(log_prob, -log_prob + draw.neg_entropy)
