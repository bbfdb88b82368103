"""Gaussian smoothing for overlapping mixtures (dvaes_gauss): r(zeta | z = 0) = N(0, 1 / beta) on R.

Used as `OverlappingMixture(logits, GaussianSmoothing(beta))`: then r(zeta | 1) = N(1, 1 / beta).
"""
import math

import tensorflow as tf
import tensorflow_probability as tfp

from dvae_tf2.distributions.base import NORMAL
from dvae_tf2.distributions.overlapping import Smoothing, fixed_width_properties

tfd = tfp.distributions


class GaussianSmoothing(Smoothing):
    """r(zeta | 0) = N(zeta; 0, sigma^2), sigma = 1 / sqrt(beta); beta a Python float.

    log_prob and cdf are tfd.Normal's, built in the dtype of their argument (float32 or float64).
    """

    noise_kinds = (NORMAL,)

    _parameter_properties = classmethod(fixed_width_properties)

    def __init__(self, beta, dtype=tf.float64, validate_args=False, allow_nan_stats=True, name="GaussianSmoothing"):
        parameters = dict(locals())
        with tf.name_scope(name) as name:
            super().__init__(beta, dtype, parameters, validate_args, allow_nan_stats, name)
            self.scale = 1.0 / math.sqrt(self._beta)

    def summary_parameters(self):
        """sigma."""
        return {"sigma": self.scale}

    def _normal(self, dtype):
        return tfd.Normal(loc=tf.constant(0.0, dtype), scale=tf.constant(self.scale, dtype))

    def _log_prob(self, zeta):
        return self._normal(zeta.dtype).log_prob(zeta)

    def _cdf(self, zeta):
        """R(zeta) = Phi(zeta sqrt(beta))."""
        return self._normal(zeta.dtype).cdf(zeta)

    def transform_noise(self, eps):
        """zeta0 = sigma eps, eps ~ N(0, 1)."""
        return self.scale * eps

    def _mean(self):
        return tf.zeros([], self.dtype)
