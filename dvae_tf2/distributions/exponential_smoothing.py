"""Exponential smoothings for overlapping mixtures (DVAE# Sec. 3.2): r(zeta | z = 0) on [0, 1].

Written by hand: TFP has no exponential distribution truncated to [0, 1] (tfd.Exponential lives on
[0, inf) and truncating it through TransformedDistribution gives no closed-form inverse CDF).
Each smoothing offers `beta`, `log_prob`, `cdf`, `sample(shape, rng)` and `mean()` and is used as
`OverlappingMixture(logits, smoothing)`. beta is a Python float.
"""
import math

import tensorflow as tf
import tensorflow_probability as tfp

UNIFORM_WEIGHT = 0.05  # eps of the uniform + exponential mixture (dvaes_unexp)


class ExponentialSmoothing:
    """r(zeta | 0) = beta e^(-beta zeta) / (1 - e^(-beta)) on [0, 1], elementwise."""

    def __init__(self, beta):
        self.beta = beta
        self._log_mass = math.log(-math.expm1(-beta))  # log(1 - e^(-beta))

    def parameters(self):
        """{name: value} of the smoothing as the DVAE# code names it: beta."""
        return {"beta": self.beta}

    def log_prob(self, zeta):
        """log r(zeta | 0) = log beta - beta zeta - log(1 - e^(-beta))."""
        return math.log(self.beta) - self.beta * zeta - self._log_mass

    def cdf(self, zeta):
        """R(zeta) = (1 - e^(-beta zeta)) / (1 - e^(-beta))."""
        return tf.math.expm1(-self.beta * zeta) / math.expm1(-self.beta)

    def quantile(self, u):
        """R^-1(u) = -log(1 - (1 - e^(-beta)) u) / beta, elementwise for u in [0, 1]."""
        return -tf.math.log1p(math.expm1(-self.beta) * u) / self.beta

    def sample(self, shape, rng):
        """zeta0 = R^-1(u), u ~ U(0, 1) from the tf.random.Generator `rng`."""
        return self.quantile(rng.uniform(shape))

    def mean(self):
        """E[zeta0] = 1 / beta - 1 / (e^beta - 1), as e^(-beta) / (1 - e^(-beta)) so large beta cannot overflow."""
        return 1.0 / self.beta + math.exp(-self.beta) / math.expm1(-self.beta)


class UniformExponentialSmoothing:
    """r(zeta | 0) = (1 - eps) r_exp(zeta | 0) + eps on [0, 1]: the exponential smoothing with a
    uniform floor, so log r(zeta | 0) stays bounded below (dvaes_unexp)."""

    def __init__(self, beta, uniform_weight=UNIFORM_WEIGHT):
        self.beta = beta
        self.uniform_weight = uniform_weight
        self.exponential = ExponentialSmoothing(beta)

    def parameters(self):
        """{name: value} of the smoothing as the DVAE# code names it: beta and the uniform weight eps."""
        return {"beta": self.beta, "eps": self.uniform_weight}

    def log_prob(self, zeta):
        """log[(1 - eps) r_exp(zeta) + eps], as a log-sum-exp of the two components."""
        return tfp.math.log_add_exp(math.log1p(-self.uniform_weight) + self.exponential.log_prob(zeta),
                                    math.log(self.uniform_weight) * tf.ones_like(zeta))

    def cdf(self, zeta):
        """R(zeta) = (1 - eps) R_exp(zeta) + eps zeta."""
        return (1.0 - self.uniform_weight) * self.exponential.cdf(zeta) + self.uniform_weight * zeta

    def sample(self, shape, rng):
        """Ancestral draw: u1 < eps ? u2 : R_exp^-1(u2), with u1, u2 ~ U(0, 1) independent."""
        pick_uniform = rng.uniform(shape) < self.uniform_weight
        u = rng.uniform(shape)
        return tf.where(pick_uniform, u, self.exponential.quantile(u))

    def mean(self):
        """E[zeta0] = (1 - eps) m_exp + eps / 2."""
        return (1.0 - self.uniform_weight) * self.exponential.mean() + 0.5 * self.uniform_weight
