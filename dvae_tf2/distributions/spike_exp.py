"""Spike-and-exponential relaxation of a Bernoulli variable (Rolfe 2016, DVAE; baseline dvae_spike_exp).

r(zeta | 0) = delta(zeta), r(zeta | 1) = beta e^(beta (zeta - 1)) / (1 - e^(-beta)) on [0, 1].
Written by hand: TFP has no distribution with an atom plus a truncated exponential, and the
inverse CDF is analytic, so the reparameterised gradient goes through q directly.
"""
import tensorflow as tf
from tensorflow_probability.python.internal import assert_util, dtype_util, tensor_util

from dvae_tf2.distributions.base import BetaRelaxedBernoulli, logits_and_beta_properties

_PROB_CLIP = 1e-7


class SpikeAndExponential(BetaRelaxedBernoulli):
    """zeta = 0 with probability 1 - q, else zeta ~ r(zeta | 1); logits and beta broadcast (batch shape).

    q = sigmoid(logits) is clipped to [1e-7, 1 - 1e-7] (the legacy clip); beta > 0 with e^beta finite in
    the dtype (beta < 88 in float32). The atom at 0 leaves it a `cdf` but no density (`log_prob`).
    The objective terms are the base class's Bernoulli ones (the legacy choice for spike-and-exp).
    """

    _parameter_properties = staticmethod(logits_and_beta_properties)

    def __init__(self, logits, beta, validate_args=False, allow_nan_stats=True, name="SpikeAndExponential"):
        parameters = dict(locals())
        with tf.name_scope(name) as name:
            super().__init__(logits, beta, parameters, validate_args, allow_nan_stats, name)

    @property
    def clipped_probs(self):
        return tf.clip_by_value(self.probs, _PROB_CLIP, 1.0 - _PROB_CLIP)

    def _expm1_beta(self):
        """e^beta - 1 in double precision, rounded once to the dtype."""
        return tf.cast(tf.math.expm1(tf.cast(self._beta, tf.float64)), self.dtype)

    def sample_from_uniform(self, u):
        """Inverse CDF at u (broadcast with the batch; Rolfe 2016), differentiable w.r.t. the logits.

        zeta = (1 / beta) log(1 + (e^beta - 1) max(u - 1 + q, 0) / q): 0 on the spike u <= 1 - q.
        """
        q = self.clipped_probs
        tail = tf.nn.relu(u - 1.0 + q) / q
        return tf.math.log1p(self._expm1_beta() * tail) / self._beta

    def transform_noise(self, u):
        return self.sample_from_uniform(u)

    def _cdf(self, zeta):
        """F(zeta) = 1 - q + q (e^(beta zeta) - 1) / (e^beta - 1) on [0, 1]; 0 below, 1 above."""
        q = self.clipped_probs
        inside = 1.0 - q + q * tf.math.expm1(self._beta * zeta) / self._expm1_beta()
        return tf.where(zeta < 0.0, tf.zeros_like(inside), tf.where(zeta >= 1.0, tf.ones_like(inside), inside))

    def _mean(self):
        """E[zeta] = q (1 - 1 / beta + 1 / (e^beta - 1))."""
        return self.clipped_probs * (1.0 - 1.0 / self._beta + 1.0 / self._expm1_beta())

    def _parameter_control_dependencies(self, is_init):
        assertions = super()._parameter_control_dependencies(is_init)
        if self.validate_args and is_init != tensor_util.is_ref(self._beta):
            assertions.append(assert_util.assert_less(
                self._beta, tf.math.log(tf.constant(dtype_util.max(self.dtype), self.dtype)),
                message=f"Argument `beta` must keep e^beta finite in {self.dtype.name}."))
        return assertions
