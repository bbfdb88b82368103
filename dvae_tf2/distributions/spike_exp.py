"""Spike-and-exponential relaxation of a Bernoulli variable (Rolfe 2016, DVAE; baseline dvae_spike_exp).

r(zeta | 0) = delta(zeta), r(zeta | 1) = beta e^(beta (zeta - 1)) / (1 - e^(-beta)) on [0, 1].
Written by hand: TFP has no distribution with an atom plus a truncated exponential, and the
inverse CDF is analytic, so the reparameterised gradient goes through q directly.
"""
import math

import tensorflow as tf

from dvae_tf2.distributions.base import RelaxedBernoulliBase

_PROB_CLIP = 1e-7


class SpikeAndExponential(RelaxedBernoulliBase):
    """zeta = 0 with probability 1 - q, else zeta ~ r(zeta | 1); logits [..., n], elementwise.

    q = sigmoid(logits) is clipped to [1e-7, 1 - 1e-7] (the legacy clip); beta is a Python float
    with e^beta finite in the sample's dtype (beta < 88 in float32).
    The objective terms are the base class's Bernoulli ones (the legacy choice for spike-and-exp).
    """

    @property
    def clipped_probs(self):
        return tf.clip_by_value(self.probs, _PROB_CLIP, 1.0 - _PROB_CLIP)

    def sample_from_uniform(self, u):
        """Inverse CDF at u [..., n] (Rolfe 2016, spike-and-exponential), differentiable w.r.t. the logits.

        zeta = (1 / beta) log(1 + (e^beta - 1) max(u - 1 + q, 0) / q): 0 on the spike u <= 1 - q.
        """
        q = self.clipped_probs
        tail = tf.nn.relu(u - 1.0 + q) / q
        return tf.math.log1p(math.expm1(self.beta) * tail) / self.beta

    def sample(self, rng):
        """Reparameterised sample with noise from the tf.random.Generator `rng`."""
        return self.sample_from_uniform(rng.uniform(tf.shape(self.logits)))

    def cdf(self, zeta):
        """F(zeta) = 1 - q + q (e^(beta zeta) - 1) / (e^beta - 1) for zeta in [0, 1]."""
        q = self.clipped_probs
        return 1.0 - q + q * tf.math.expm1(self.beta * zeta) / math.expm1(self.beta)

    def mean(self):
        """E[zeta] = q (1 - 1 / beta + 1 / (e^beta - 1))."""
        return self.clipped_probs * (1.0 - 1.0 / self.beta + 1.0 / math.expm1(self.beta))
