"""RBM prior p(z) = exp(-E(z)) / Z over z = [z1, z2] with E = -b1.z1 - b2.z2 - z1^T W z2."""
import math

import tensorflow as tf

from dvae_tf2 import rbm
from dvae_tf2.samplers import TRAINING_SAMPLERS, ais


def split_halves(z, num_vars1):
    """[..., n] -> ([..., n1], [..., n - n1])."""
    return z[..., :num_vars1], z[..., num_vars1:]


class RBMPrior(tf.Module):
    """Zero-initialised RBM prior with a training sampler and an AIS log Z for evaluation.

    Training: `log_z_surrogate(samples)` has the sampler's running log Z as value and the
    model-sample estimate E_p[-dE/dtheta] as gradient. Evaluation: `log_z` holds the last
    AIS estimate (`refresh_log_z`).
    """

    def __init__(self, num_vars1, num_vars2, sampler="pa", num_samples=1000, num_sweeps=40, seed=0,
                 name="rbm_prior"):
        super().__init__(name=name)
        self.num_vars1, self.num_vars2 = num_vars1, num_vars2
        self.b1 = tf.Variable(tf.zeros([num_vars1]), name="b1")
        self.b2 = tf.Variable(tf.zeros([num_vars2]), name="b2")
        self.w = tf.Variable(tf.zeros([num_vars1, num_vars2]), name="w")
        self.sampler = TRAINING_SAMPLERS[sampler](num_vars1, num_vars2, num_chains=num_samples,
                                                  num_sweeps=num_sweeps, seed=seed)
        # log Z of the zero-initialised RBM is exactly n log 2.
        self.log_z = tf.Variable((num_vars1 + num_vars2) * math.log(2.0), trainable=False, name="log_z")
        self.log_z_stderr = tf.Variable(0.0, trainable=False, name="log_z_stderr")

    @property
    def num_vars(self):
        return self.num_vars1 + self.num_vars2

    @property
    def variables_to_train(self):
        return [self.b1, self.b2, self.w]

    def params(self):
        """RBMParams with a batch axis of one."""
        return rbm.RBMParams(self.b1[None], self.b2[None], self.w[None])

    def energy(self, z):
        """E(z) for z [..., n] (binary or relaxed) -> [...]."""
        z1, z2 = split_halves(z, self.num_vars1)
        shape = tf.shape(z)[:-1]
        e = rbm.energy(self.params(), tf.reshape(z1, [1, -1, self.num_vars1]),
                       tf.reshape(z2, [1, -1, self.num_vars2]))
        return tf.reshape(e, shape)

    def training_log_prob(self, zeta, log_z):
        """log p(zeta) in training: -E(zeta) - log Z for relaxed zeta [..., n] -> [...].

        `log_z` is the training surrogate (`log_z_surrogate`)."""
        return -self.energy(zeta) - log_z

    def cross_entropy(self, draw, log_z):
        """-E_q[log p(z)] of a TrainingDraw: E at its Rao-Blackwellised point plus log Z. -> [N*k]."""
        return self.energy(draw.rb_point) + log_z

    def kl(self, draw, log_z):
        """Training KL(q || p) of a TrainingDraw: cross-entropy plus the draw's -H(q) term. -> [N*k]."""
        return self.cross_entropy(draw, log_z) + draw.neg_entropy

    def sample_for_training(self):
        """One step of the training sampler at the current parameters (SamplerOutput)."""
        return self.sampler.sample(tf.nest.map_structure(tf.stop_gradient, self.params()))

    def log_z_surrogate(self, samples):
        """Scalar whose value is the sampler's log Z and whose gradient is E_p[-dE/dtheta]."""
        neg_energy = -tf.reduce_mean(rbm.energy(self.params(), samples.z1, samples.z2))
        running = tf.where(tf.math.is_finite(samples.log_z), samples.log_z, self.log_z)
        return tf.stop_gradient(running) + neg_energy - tf.stop_gradient(neg_energy)

    def refresh_log_z(self, num_chains, num_temperatures, rng):
        """Runs AIS from the uniform distribution and stores log Z; returns the AISResult.

        The training sampler's running log Z is re-anchored to it, which bounds what the per-step
        estimate accumulates between evaluations (its finite-population error and any mode its
        sweeps cannot follow). Only the value is anchored; the log Z gradient comes from the samples.
        """
        result = ais.annealed_log_z(self.params(), num_chains, num_temperatures, rng)
        self.log_z.assign(result.log_z[0])
        self.log_z_stderr.assign(result.log_z_stderr[0])
        self.sampler.anchor_log_z(self.params(), result.log_z[0])
        return result

    @property
    def decay_variables(self):
        """The coupling matrix W, the prior's only weight-decay target (not the biases)."""
        return [self.w]
