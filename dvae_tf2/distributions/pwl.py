"""Piece-wise linear relaxation of a Bernoulli variable (Andriyash et al. 2018).

Written by hand: TFP has no piece-wise linear relaxation.
"""
import tensorflow as tf

from dvae_tf2.distributions.base import BetaRelaxedBernoulli, logits_and_beta_properties

_SLOPE_FLOOR = 0.01


class PWLRelaxedBernoulli(BetaRelaxedBernoulli):
    """zeta = clip(0.5 + s (u - (1 - q)), 0, 1), s = beta / (4 (q (1 - q) + 0.01)), u ~ U(0, 1).

    zeta is uniform with density 1/s on its unclipped range, with atoms at 0 and 1, so it has a `cdf`
    but no density (`log_prob`). logits and beta broadcast (batch shape); beta > 0.
    """

    _parameter_properties = staticmethod(logits_and_beta_properties)

    def __init__(self, logits, beta, validate_args=False, allow_nan_stats=True, name="PWLRelaxedBernoulli"):
        parameters = dict(locals())
        with tf.name_scope(name) as name:
            super().__init__(logits, beta, parameters, validate_args, allow_nan_stats, name)

    def slope(self):
        q = self.probs
        return self._beta / (4.0 * (q * (1.0 - q) + _SLOPE_FLOOR))

    def sample_from_uniform(self, u):
        """The relaxed sample for given uniform noise u (broadcast with the batch), differentiable w.r.t. the logits."""
        return tf.clip_by_value(0.5 + self.slope() * (u - (1.0 - self.probs)), 0.0, 1.0)

    def transform_noise(self, u):
        return self.sample_from_uniform(u)

    def _cdf(self, v):
        """P(zeta <= v): 0 below 0, the atom 1 - q - 1/(2s) at 0 (if positive), linear, 1 from 1 on."""
        linear = tf.clip_by_value(1.0 - self.probs + (v - 0.5) / self.slope(), 0.0, 1.0)
        return tf.where(v < 0.0, tf.zeros_like(linear), tf.where(v >= 1.0, tf.ones_like(linear), linear))
