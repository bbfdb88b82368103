"""DVAE## undirected posterior: q(z|x) is an RBM whose parameters an encoder outputs (Algorithm 1)."""
import functools
import math

import keras
import numpy as np
import tensorflow as tf

from dvae_tf2.model import rbm
from dvae_tf2.runtime import distribute, random_streams
from dvae_tf2.model.networks import BN_EPSILON, BN_MOMENTUM, FeedForward
from dvae_tf2.distributions import PWLRelaxedBernoulli
from dvae_tf2.posteriors.base import EvaluationDraw, Posterior, TrainingDraw
from dvae_tf2.samplers import ais, gibbs, kernels

COUPLING_SCALE = 1.5     # J = 1.5 BN(W) / sqrt(n1)
SPIN_TEMPERATURE = 2.0   # t in W = 2 t J, b <- t (b - sum J)


def spin_to_binary_params(b1, b2, coupling):
    """Maps Ising-style (b1, b2, J) to {0,1}-RBM parameters: W = 2tJ, b1 <- t(b1 - J 1), b2 <- t(b2 - J^T 1).

    Shapes: b1 [N, n1], b2 [N, n2], coupling [N, n1, n2] -> RBMParams.
    """
    t = SPIN_TEMPERATURE
    return rbm.RBMParams(b1=t * (b1 - tf.reduce_sum(coupling, axis=2)),
                         b2=t * (b2 - tf.reduce_sum(coupling, axis=1)),
                         w=2.0 * t * coupling)


def stop_gradient_params(params):
    return rbm.RBMParams(*[tf.stop_gradient(p) for p in params])


class RBMPosterior(keras.layers.Layer, Posterior):
    """q(z|x) = RBM(b1(x), b2(x), W(x)) with persistent chains per training example.

    Training (Algorithm 1): gather the example's k chains, run s hard Gibbs sweeps without
    gradient and store z1 back, then t relaxed (PWL) sweeps whose samples carry the gradient;
    [sigmoid(a1), zeta2] is the Rao-Blackwellised point of the KL terms.
    Evaluation: AIS from the biases-only RBM gives samples and log Z_q per example.
    """

    undirected = True

    def __init__(self, num_vars1, num_vars2, num_hidden, num_gibbs_sweeps, num_relaxed_sweeps, ais_temperatures, beta,
                 chains_per_example, training_size, seed, chains_seed, weight_decay=0.0, name="rbm_posterior",
                 **kwargs):
        """num_hidden: the encoder network's hidden widths; beta: the PWL relaxation's of the relaxed sweeps;
        chains_per_example (k) x training_size persistent chains, started uniformly at random from chains_seed."""
        super().__init__(name=name, **kwargs)
        self.num_vars1, self.num_vars2 = num_vars1, num_vars2
        self.num_hidden = [int(units) for units in num_hidden]
        self.num_gibbs_sweeps = num_gibbs_sweeps
        self.num_relaxed_sweeps = num_relaxed_sweeps
        self.ais_temperatures = ais_temperatures
        self.beta = beta
        self.chains_per_example, self.training_size = chains_per_example, training_size
        self.seed, self.chains_seed, self.weight_decay = seed, chains_seed, weight_decay
        self.relaxation = functools.partial(PWLRelaxedBernoulli, beta=beta)   # of the relaxed sweeps
        num_outputs = num_vars1 + num_vars2 + num_vars1 * num_vars2
        self.net = FeedForward(num_hidden, num_outputs, seed, name="net", weight_decay=weight_decay)
        # Not decayed, as in the legacy code.
        self.coupling_norm = keras.layers.BatchNormalization(momentum=BN_MOMENTUM, epsilon=BN_EPSILON,
                                                             name="coupling_norm")

    @classmethod
    def for_run(cls, config, training_size, seed):
        """The RBM posterior of a run's Config; seed: its encoder initialisation's."""
        return cls(config.num_vars1, config.num_vars2, [config.num_hidden_units] * config.num_hidden_layers,
                   config.num_gibbs_sweeps, config.num_relaxed_sweeps, config.posterior_ais_temperatures,
                   config.beta, config.k, training_size, seed,
                   random_streams.run_streams(config.seed).posterior_chains, weight_decay=config.weight_decay)

    def get_config(self):
        return {**super().get_config(), "num_vars1": self.num_vars1, "num_vars2": self.num_vars2,
                "num_hidden": self.num_hidden, "num_gibbs_sweeps": self.num_gibbs_sweeps,
                "num_relaxed_sweeps": self.num_relaxed_sweeps, "ais_temperatures": self.ais_temperatures,
                "beta": self.beta, "chains_per_example": self.chains_per_example,
                "training_size": self.training_size, "seed": self.seed, "chains_seed": self.chains_seed,
                "weight_decay": self.weight_decay}

    def build(self, input_shape):
        self.net.build(input_shape)
        self.coupling_norm.build((None, self.num_vars1 * self.num_vars2))
        # Persistent chains [training_size, k, n1], bool (1 byte, and a type multi-worker strategies can
        # broadcast, which int8 is not), uniformly random start.
        init = np.random.default_rng(self.chains_seed).integers(
            0, 2, size=(self.training_size, self.chains_per_example, self.num_vars1)).astype(bool)
        self.chains = tf.Variable(init, trainable=False, name="chains")

    @property
    def decay_layer_parts(self):
        """"encoder": the encoder network (not its coupling batch norm)."""
        return {"encoder": [self.net]}

    def call(self, x_centered, training=False):
        """The per-example RBM parameters (`params`)."""
        return self.params(x_centered, training)

    def params(self, x_centered, training):
        """Per-example RBM parameters for x_centered [N, D] -> RBMParams with batch N."""
        n1, n2 = self.num_vars1, self.num_vars2
        out = self.net(x_centered, training=training)
        raw_coupling = self.coupling_norm(out[:, n1 + n2:], training=training)
        coupling = tf.reshape(COUPLING_SCALE * raw_coupling / math.sqrt(n1), [-1, n1, n2])
        return spin_to_binary_params(out[:, :n1], out[:, n1:n1 + n2], coupling)

    def energy(self, params, z):
        """E(z) for z [N, C, n] under per-example params -> [N, C]."""
        return rbm.energy(params, z[..., :self.num_vars1], z[..., self.num_vars1:])

    def training_draw(self, x_centered, index, num_samples, rng):
        params = self.params(x_centered, training=True)
        frozen = stop_gradient_params(params)
        z1 = tf.cast(tf.gather(self.chains, index), tf.float32)                       # [N, k, n1]
        z1, _ = kernels.hard_gibbs_sweeps(frozen, z1, self.num_gibbs_sweeps, rng)
        distribute.scatter_rows(self.chains, index, tf.cast(z1, tf.bool))   # every replica's examples
        state = tf.stop_gradient(z1)
        relax = lambda logits: self.relaxation(logits).sample_from_rng(rng)  # noqa: E731
        for _ in range(self.num_relaxed_sweeps):
            state, zeta2, q1 = gibbs.relaxed_gibbs_sweep(params, state, relax)
        zeta = tf.concat([state, zeta2], axis=-1)
        rb_point = tf.concat([q1, zeta2], axis=-1)
        rows = [-1, self.num_vars1 + self.num_vars2]
        return TrainingDraw(
            zeta=tf.reshape(zeta, rows),
            rb_point=tf.reshape(rb_point, rows),
            # E_q[log q] up to -log Z_q, at the Rao-Blackwellised point with q's parameters stopped.
            neg_entropy=tf.reshape(-self.energy(frozen, rb_point), [-1]),
            log_q=tf.reshape(-self.energy(frozen, zeta), [-1]))

    def parameter_summaries(self, x_centered, rng):
        """The per-example RBM parameters b1, b2, W."""
        del rng
        params = self.params(x_centered, training=False)
        return {"posterior/b1": params.b1, "posterior/b2": params.b2, "posterior/w": params.w}

    def evaluation_draw(self, x_centered, num_samples, rng):
        params = self.params(x_centered, training=False)
        result = ais.annealed_log_z(params, num_samples, self.ais_temperatures, rng,
                                    base_b1=params.b1, base_b2=params.b2)
        z = tf.concat([result.z1, result.z2], axis=-1)
        return EvaluationDraw(z=z, log_q=-self.energy(params, z) - result.log_z[:, None])
