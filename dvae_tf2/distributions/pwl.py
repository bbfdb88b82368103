"""Piece-wise linear relaxation of a Bernoulli variable (Andriyash et al. 2018).

Written by hand: TFP has no piece-wise linear relaxation.
"""
import tensorflow as tf

from dvae_tf2.distributions.base import RelaxedBernoulliBase

_SLOPE_FLOOR = 0.01


class PWLRelaxedBernoulli(RelaxedBernoulliBase):
    """zeta = clip(0.5 + s (u - (1 - q)), 0, 1), s = beta / (4 (q (1 - q) + 0.01)), u ~ U(0, 1).

    zeta is uniform with density 1/s on its unclipped range, with atoms at 0 and 1. Shapes:
    logits [..., n]; every method is elementwise.
    """

    def slope(self):
        q = self.probs
        return self.beta / (4.0 * (q * (1.0 - q) + _SLOPE_FLOOR))

    def sample_from_uniform(self, u):
        """The relaxed sample for given uniform noise u [..., n], differentiable w.r.t. the logits."""
        return tf.clip_by_value(0.5 + self.slope() * (u - (1.0 - self.probs)), 0.0, 1.0)

    def sample(self, rng):
        """Reparameterised sample with noise from the tf.random.Generator `rng`."""
        return self.sample_from_uniform(rng.uniform(tf.shape(self.logits)))

    def cdf(self, v):
        """P(zeta <= v) for v in [0, 1)."""
        return tf.clip_by_value(1.0 - self.probs + (v - 0.5) / self.slope(), 0.0, 1.0)
