"""Gaussian smoothing for overlapping mixtures (dvaes_gauss): r(zeta | z = 0) = N(0, 1 / beta) on R.

Used as `OverlappingMixture(logits, GaussianSmoothing(beta))`: then r(zeta | 1) = N(1, 1 / beta).
"""
import math

import tensorflow as tf
import tensorflow_probability as tfp

tfd = tfp.distributions


class GaussianSmoothing:
    """r(zeta | 0) = N(zeta; 0, sigma^2), sigma = 1 / sqrt(beta); beta a Python float.

    log_prob and cdf are tfd.Normal's, built in the dtype of their argument (float32 or float64).
    """

    def __init__(self, beta):
        self.beta = beta
        self.scale = 1.0 / math.sqrt(beta)

    def parameters(self):
        """{name: value} of the smoothing as the DVAE# code names it: sigma."""
        return {"sigma": self.scale}

    def _normal(self, dtype):
        return tfd.Normal(loc=tf.constant(0.0, dtype), scale=tf.constant(self.scale, dtype))

    def log_prob(self, zeta):
        zeta = tf.convert_to_tensor(zeta)
        return self._normal(zeta.dtype).log_prob(zeta)

    def cdf(self, zeta):
        """R(zeta) = Phi(zeta sqrt(beta))."""
        zeta = tf.convert_to_tensor(zeta)
        return self._normal(zeta.dtype).cdf(zeta)

    def sample(self, shape, rng):
        """zeta0 = sigma eps, eps ~ N(0, 1) from the tf.random.Generator `rng`."""
        return self.scale * rng.normal(shape)

    def mean(self):
        return 0.0
