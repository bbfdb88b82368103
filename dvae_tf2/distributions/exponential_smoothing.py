"""Exponential smoothings for overlapping mixtures (DVAE# Sec. 3.2): r(zeta | z = 0) on [0, 1].

Written by hand: TFP has no exponential distribution truncated to [0, 1] (tfd.Exponential lives on
[0, inf) and truncating it through TransformedDistribution gives no closed-form inverse CDF).
Each is a `Smoothing` (beta a Python float) used as `OverlappingMixture(logits, smoothing)`.
"""
import math

import tensorflow as tf
import tensorflow_probability as tfp

from dvae_tf2.distributions.base import UNIFORM
from dvae_tf2.distributions.overlapping import Smoothing, fixed_width_properties

UNIFORM_WEIGHT = 0.05  # eps of the uniform + exponential mixture (dvaes_unexp)


class ExponentialSmoothing(Smoothing):
    """r(zeta | 0) = beta e^(-beta zeta) / (1 - e^(-beta)) on [0, 1], elementwise."""

    _parameter_properties = classmethod(fixed_width_properties)

    def __init__(self, beta, dtype=tf.float64, validate_args=False, allow_nan_stats=True,
                 name="ExponentialSmoothing"):
        parameters = dict(locals())
        with tf.name_scope(name) as name:
            super().__init__(beta, dtype, parameters, validate_args, allow_nan_stats, name)
            self._log_mass = math.log(-math.expm1(-self._beta))  # log(1 - e^(-beta))

    def summary_parameters(self):
        """beta."""
        return {"beta": self._beta}

    def _log_prob_on_support(self, zeta):
        """log r(zeta | 0) = log beta - beta zeta - log(1 - e^(-beta))."""
        return math.log(self._beta) - self._beta * zeta - self._log_mass

    def _cdf_on_support(self, zeta):
        """R(zeta) = (1 - e^(-beta zeta)) / (1 - e^(-beta))."""
        return tf.math.expm1(-self._beta * zeta) / math.expm1(-self._beta)

    def _quantile(self, u):
        """R^-1(u) = -log(1 - (1 - e^(-beta)) u) / beta, elementwise for u in [0, 1]."""
        return -tf.math.log1p(math.expm1(-self._beta) * u) / self._beta

    def transform_noise(self, u):
        """zeta0 = R^-1(u), u ~ U(0, 1)."""
        return self._quantile(u)

    def _mean(self):
        """E[zeta0] = 1 / beta - 1 / (e^beta - 1), as e^(-beta) / (1 - e^(-beta)) so large beta cannot overflow."""
        return tf.constant(1.0 / self._beta + math.exp(-self._beta) / math.expm1(-self._beta), self.dtype)


class UniformExponentialSmoothing(Smoothing):
    """r(zeta | 0) = (1 - eps) r_exp(zeta | 0) + eps on [0, 1]: the exponential smoothing with a
    uniform floor, so log r(zeta | 0) stays bounded below (dvaes_unexp). eps in (0, 1)."""

    noise_kinds = (UNIFORM, UNIFORM)

    _parameter_properties = classmethod(fixed_width_properties)

    def __init__(self, beta, uniform_weight=UNIFORM_WEIGHT, dtype=tf.float64, validate_args=False,
                 allow_nan_stats=True, name="UniformExponentialSmoothing"):
        parameters = dict(locals())
        if validate_args and not 0.0 < uniform_weight < 1.0:
            raise ValueError(f"Argument `uniform_weight` must lie in (0, 1), got {uniform_weight}.")
        with tf.name_scope(name) as name:
            super().__init__(beta, dtype, parameters, validate_args, allow_nan_stats, name)
            self.uniform_weight = float(uniform_weight)
            self.exponential = ExponentialSmoothing(beta, dtype=dtype, validate_args=validate_args)

    def summary_parameters(self):
        """beta and the uniform weight eps."""
        return {"beta": self._beta, "eps": self.uniform_weight}

    def _log_prob_on_support(self, zeta):
        """log[(1 - eps) r_exp(zeta) + eps], as a log-sum-exp of the two components."""
        return tfp.math.log_add_exp(math.log1p(-self.uniform_weight) + self.exponential.log_prob(zeta),
                                    math.log(self.uniform_weight) * tf.ones_like(zeta))

    def _cdf_on_support(self, zeta):
        """R(zeta) = (1 - eps) R_exp(zeta) + eps zeta."""
        return (1.0 - self.uniform_weight) * self.exponential.cdf(zeta) + self.uniform_weight * zeta

    def transform_noise(self, pick, u):
        """Ancestral draw: pick < eps ? u : R_exp^-1(u), with pick, u ~ U(0, 1) independent."""
        return tf.where(pick < self.uniform_weight, u, self.exponential.transform_noise(u))

    def _mean(self):
        """E[zeta0] = (1 - eps) m_exp + eps / 2."""
        return (1.0 - self.uniform_weight) * self.exponential.mean() + 0.5 * self.uniform_weight
