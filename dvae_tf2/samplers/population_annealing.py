"""Population annealing that follows the prior's parameters from one training step to the next."""
import math

import tensorflow as tf

from dvae_tf2.model import rbm
from dvae_tf2.runtime import random_streams
from dvae_tf2.samplers import kernels, resampling
from dvae_tf2.samplers.base import Population, SamplerOutput, TrainingSampler
from dvae_tf2.samplers.pcd import uniform_chains


class PopulationAnnealingSampler(tf.Module, TrainingSampler):
    """A weighted population of C states z1 (z2 is re-sampled given z1) tracking p_theta and log Z_theta.

    Starts at theta = 0 (uniform population, log Z = (n1 + n2) log 2). Each `sample(theta)`:
    floor(old_sweep_fraction * num_sweeps) Gibbs sweeps at the stored theta_old (at most num_sweeps - 1),
    reweight by p_theta / p_theta_old, update log Z, resample systematically if the ESS fraction is
    below `resample_threshold`, then the remaining sweeps at theta. The returned samples are unweighted: the population itself when its
    weights are uniform, otherwise a systematically resampled copy (the population keeps its weights).

    Why the sweeps are split: in training, theta_new - theta_old is a gradient step computed from
    the samples returned at theta_old, which lowers p_theta exactly at those states. Reweighting
    those same states would estimate Z_new / Z_old with a bias of one sign at every step (the
    running log Z then drifts low by a fixed amount per step). Sweeps at theta_old leave the
    weighted population's target unchanged and decorrelate it from the states the step used. On a
    200-latent MNIST prior 20 of 40 sweeps left a drift of -2.7 nats per 1000 steps, 36 of 40 -1.2
    (README, "Prior sampler bias"); the gradient statistics were at their noise floor either way.

    resample_threshold is not among the settings: it keeps its default. Restarts by annealing: `reseed`.
    """

    restarts_by_annealing = True
    settings_used = TrainingSampler.settings_used + ("old_sweep_fraction",)

    def __init__(self, num_vars1, num_vars2, num_chains=1000, num_sweeps=40, resample_threshold=0.5, seed=0,
                 old_sweep_fraction=0.9, name=None):
        super().__init__(name=name)
        self.num_chains, self.num_sweeps = num_chains, num_sweeps
        self.num_old_sweeps = min(int(old_sweep_fraction * num_sweeps), num_sweeps - 1)
        self.resample_threshold = resample_threshold
        self.rng = random_streams.generator(seed)
        self.z1 = tf.Variable(uniform_chains(num_vars1, num_chains, self.rng), trainable=False, name="z1")
        self.log_weights = tf.Variable(tf.zeros([1, num_chains]), trainable=False, name="log_weights")
        self.b1_old = tf.Variable(tf.zeros([1, num_vars1]), trainable=False, name="b1_old")
        self.b2_old = tf.Variable(tf.zeros([1, num_vars2]), trainable=False, name="b2_old")
        self.w_old = tf.Variable(tf.zeros([1, num_vars1, num_vars2]), trainable=False, name="w_old")
        self.log_z = tf.Variable((num_vars1 + num_vars2) * math.log(2.0), trainable=False, name="log_z")

    def _stored_params(self):
        return rbm.RBMParams(self.b1_old, self.b2_old, self.w_old)

    def _reweight(self, z1, params):
        """Moves the population's weights, with states z1 [1, C, n1], from the stored parameters to `params`.

        Returns (log weights [1, C], running log Z at params): w *= p~_new(z1) / p~_old(z1), and
        Z_new / Z_old = sum w_old r / sum w_old with r = p~_new / p~_old.
        """
        log_w = self.log_weights + rbm.free_energy(self._stored_params(), z1) - rbm.free_energy(params, z1)
        return log_w, self.log_z + tf.reduce_logsumexp(log_w) - tf.reduce_logsumexp(self.log_weights)

    def population_at(self, params):
        params = tf.nest.map_structure(tf.stop_gradient, params)
        log_w, log_z = self._reweight(self.z1, params)
        return Population(tf.identity(self.z1), log_w, log_z)

    def _store_params(self, params):
        self.b1_old.assign(params.b1)
        self.b2_old.assign(params.b2)
        self.w_old.assign(params.w)

    def anchor_log_z(self, params, log_z):
        """Moves the population to `params` by reweighting (no sweeps), then sets the running log Z."""
        params = tf.nest.map_structure(tf.stop_gradient, params)
        self.log_weights.assign(self._reweight(self.z1, params)[0])
        self._store_params(params)
        self.log_z.assign(log_z)

    def reseed(self, params, z1, log_weights, log_z):
        """The S given states are resampled systematically to C unweighted chains."""
        self.z1.assign(resampling.systematic_resample(z1, log_weights, self.rng.uniform([1]), self.num_chains))
        self.log_weights.assign(tf.zeros_like(self.log_weights))
        self._store_params(tf.nest.map_structure(tf.stop_gradient, params))
        self.log_z.assign(log_z)

    def _resample(self, log_weights, states):
        """Systematic resampling of the [1, C, n] tensors in `states` by log_weights [1, C]."""
        index = resampling.systematic_indices(log_weights, self.rng.uniform([1]))
        return [tf.gather(s, index, batch_dims=1) for s in states]

    def sample(self, params):
        params = tf.nest.map_structure(tf.stop_gradient, params)
        z1 = self.z1
        if self.num_old_sweeps:
            z1, _ = kernels.hard_gibbs_sweeps(self._stored_params(), z1, self.num_old_sweeps, self.rng)
        log_w, log_z = self._reweight(z1, params)
        ess = resampling.ess_fraction(log_w)[0]
        z1, log_w = tf.cond(ess < self.resample_threshold,
                            lambda: (self._resample(log_w, [z1])[0], tf.zeros_like(log_w)),
                            lambda: (z1, log_w))
        z1, z2 = kernels.hard_gibbs_sweeps(params, z1, self.num_sweeps - self.num_old_sweeps, self.rng)
        self.z1.assign(z1)
        self.log_weights.assign(log_w)
        self._store_params(params)
        self.log_z.assign(log_z)
        z1, z2 = tf.cond(tf.reduce_all(tf.equal(log_w, log_w[:, :1])),
                         lambda: (z1, z2),
                         lambda: tuple(self._resample(log_w, [z1, z2])))
        return SamplerOutput(z1, z2, log_z=tf.identity(log_z), ess=ess)
