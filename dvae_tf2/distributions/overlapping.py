"""Mixtures of overlapping smoothing distributions (DVAE++ / DVAE#) and their smoothings.

z ~ Bernoulli(q), zeta ~ r(zeta | z) with r(zeta | 1) = r(1 - zeta | 0), so the marginal is
    r_q(zeta) = (1 - q) r(zeta | 0) + q r(1 - zeta | 0).
Written by hand: TFP's Mixture cannot reparameterise through the mixing probability q, which is
the whole point here (the gradient comes from implicitly differentiating the mixture CDF).
"""
import math

import tensorflow as tf
import tensorflow_probability as tfp
from tensorflow_probability.python.internal import dtype_util

from dvae_tf2.distributions.base import (UNIFORM, NoiseDrivenDistribution, RelaxedBernoulliDistribution,
                                         check_positive_float)
from dvae_tf2.distributions.options import BERNOULLI, MIXTURE, STOPPED_MIXTURE

# The legacy power-function density and CDF are evaluated at zeta + 1e-7: zeta = u^beta
# underflows to 0 in float32, where the density would be infinite.
_POWER_OFFSET = 1e-7


def fixed_width_properties(cls, dtype, num_classes=None):
    """A smoothing has no tensor parameters: its width beta is a fixed Python float (see Smoothing)."""
    return {}


class Smoothing(NoiseDrivenDistribution):
    """r(zeta | z = 0) of an overlapping mixture: a distribution of zeta0 of fixed width beta, scalar batch and event.

    beta is a Python float, not a tensor parameter (`parameter_properties` is empty): its constants are
    computed once in double precision and `log_prob`, `cdf` and `transform_noise` evaluate in their
    argument's dtype (float32 in training, float64 in the implicit-gradient checks); `dtype`, float64
    unless given, is what `sample` and `mean` return. `support` is the interval outside which `cdf` is
    0 or 1 and `log_prob` is -inf. Subclasses set `_parameter_properties = classmethod(fixed_width_properties)` and
    write `_log_prob_on_support`, `_cdf_on_support`, `transform_noise`, `_mean` and `summary_parameters`.
    """

    support = (0.0, 1.0)

    def __init__(self, beta, dtype, parameters, validate_args, allow_nan_stats, name):
        self._beta = check_positive_float("beta", beta) if validate_args else float(beta)
        super().__init__(dtype, parameters, validate_args, allow_nan_stats, name)

    _parameter_properties = classmethod(fixed_width_properties)

    @property
    def beta(self):
        return self._beta

    def summary_parameters(self):
        """{name: value} of the smoothing as the DVAE# code names it (its TensorBoard scalars)."""
        raise NotImplementedError(f"{type(self).__name__} does not define summary_parameters")

    def _outside(self, zeta):
        lo, hi = self.support
        return zeta < lo, zeta > hi

    def _log_prob(self, zeta):
        below, above = self._outside(zeta)
        log_prob = self._log_prob_on_support(zeta)
        return tf.where(below | above, tf.constant(-math.inf, log_prob.dtype), log_prob)

    def _cdf(self, zeta):
        below, above = self._outside(zeta)
        cdf = self._cdf_on_support(zeta)
        return tf.where(below, tf.zeros_like(cdf), tf.where(above, tf.ones_like(cdf), cdf))


class PowerFunctionSmoothing(Smoothing):
    """r(zeta | z = 0) = lambda zeta^(lambda - 1) on [0, 1], lambda = 1 / beta: Beta(lambda, 1).

    Hand-written rather than tfd.Beta: Beta's sampler is rejection-based (u^beta is the exact
    inverse CDF and underflows to 0 exactly where the legacy offset above is needed).
    """

    _parameter_properties = classmethod(fixed_width_properties)

    def __init__(self, beta, dtype=tf.float64, validate_args=False, allow_nan_stats=True,
                 name="PowerFunctionSmoothing"):
        parameters = dict(locals())
        with tf.name_scope(name) as name:
            super().__init__(beta, dtype, parameters, validate_args, allow_nan_stats, name)
            self.power = 1.0 / self._beta   # lambda

    def summary_parameters(self):
        """lambda."""
        return {"lambda": self.power}

    def _log_prob_on_support(self, zeta):
        """log r(zeta | 0), elementwise."""
        return (self.power - 1.0) * tf.math.log(zeta + _POWER_OFFSET) + math.log(self.power)

    def _cdf_on_support(self, zeta):
        """R(zeta) = zeta^lambda, elementwise."""
        return tf.pow(zeta + _POWER_OFFSET, self.power)

    def transform_noise(self, u):
        """zeta0 = u^beta, the inverse CDF at u ~ U(0, 1)."""
        return tf.pow(u, self._beta)

    def _mean(self):
        """E[zeta0] = lambda / (lambda + 1) = 1 / (1 + beta)."""
        return tf.constant(1.0 / (1.0 + self._beta), self.dtype)


class OverlappingMixture(RelaxedBernoulliDistribution):
    """r_q(zeta) = (1 - q) r(zeta|0) + q r(1 - zeta|0) for logits of any shape (the batch shape), elementwise.

    The sample draws z and zeta0 with separate noise (ancestral sampling: the Bernoulli's uniform, then
    the smoothing's noise) and attaches the gradient
    d zeta / d q = [R(zeta) - 1 + R(1 - zeta)] / r_q(zeta) (implicit differentiation of the
    mixture CDF F(zeta) = (1 - q) R(zeta) + q (1 - R(1 - zeta)); DVAE# Sec. 3.4) by a stop-gradient
    identity instead of differentiating the sampler. No gradient flows to the smoothing's width.
    `smoothing` is a `Smoothing` (evaluated in the mixture's dtype).
    `objective_terms` says what log q and the entropy term of the objective are: the mixture density
    at the sample with q stopped (STOPPED_MIXTURE, the DVAE## code base: gradient through zeta only),
    the mixture density with every gradient (MIXTURE, the DVAE# code base), or the Bernoulli terms
    of the base class (BERNOULLI, DVAE++: the analytic entropy).
    """

    def __init__(self, logits, smoothing, objective_terms=STOPPED_MIXTURE, validate_args=False,
                 allow_nan_stats=True, name="OverlappingMixture"):
        parameters = dict(locals())
        if objective_terms not in (STOPPED_MIXTURE, MIXTURE, BERNOULLI):
            raise ValueError(f"objective_terms must be one of {STOPPED_MIXTURE!r}, {MIXTURE!r}, {BERNOULLI!r}, "
                             f"got {objective_terms!r}")
        with tf.name_scope(name) as name:
            dtype = dtype_util.common_dtype([logits], tf.float32)
            self._smoothing = smoothing
            self._objective_terms = objective_terms
            super().__init__(logits, dtype, parameters, validate_args, allow_nan_stats, name)

    @classmethod
    def _parameter_properties(cls, dtype, num_classes=None):
        return dict(logits=tfp.util.ParameterProperties(), smoothing=tfp.util.BatchedComponentProperties())

    @property
    def smoothing(self):
        return self._smoothing

    @property
    def objective_terms(self):
        return self._objective_terms

    @property
    def noise_kinds(self):
        return (UNIFORM,) + tuple(self._smoothing.noise_kinds)

    def _component_log_probs(self, zeta):
        """(log r(zeta|0), log r(1 - zeta|0))."""
        return self._smoothing.log_prob(zeta), self._smoothing.log_prob(1.0 - zeta)

    def _log_prob(self, zeta):
        """log r_q(zeta), elementwise: logaddexp of the two weighted components."""
        log_r0, log_r1 = self._component_log_probs(zeta)
        return tfp.math.log_add_exp(-tf.math.softplus(self.logits) + log_r0,
                                    -tf.math.softplus(-self.logits) + log_r1)

    def _cdf(self, zeta):
        q = self.probs
        return (1.0 - q) * self._smoothing.cdf(zeta) + q * (1.0 - self._smoothing.cdf(1.0 - zeta))

    def _mean(self):
        m0 = tf.cast(self._smoothing.mean(), self.dtype)
        q = self.probs
        return (1.0 - q) * m0 + q * (1.0 - m0)

    def grad_zeta_wrt_q(self, zeta):
        """d zeta / d q at fixed noise (implicit differentiation of the CDF), elementwise."""
        numerator = self._smoothing.cdf(zeta) - 1.0 + self._smoothing.cdf(1.0 - zeta)
        return numerator / tf.exp(self.log_prob(zeta))

    def sample_from_noise(self, u, zeta0):
        """The sample for Bernoulli noise u ~ U(0, 1) and a draw zeta0 ~ r(.|0), with its gradient."""
        q = self.probs
        zeta = tf.stop_gradient(tf.where(u < q, 1.0 - zeta0, zeta0))
        slope = tf.stop_gradient(self.grad_zeta_wrt_q(zeta))
        return zeta + slope * q - tf.stop_gradient(slope * q)

    def transform_noise(self, u, *smoothing_noise):
        return self.sample_from_noise(u, self._smoothing.transform_noise(*smoothing_noise))

    def objective_log_prob(self, zeta):
        """sum log r_q(zeta) (q stopped for STOPPED_MIXTURE), or the base class's Bernoulli term."""
        if self._objective_terms == BERNOULLI:
            return super().objective_log_prob(zeta)
        logits = tf.stop_gradient(self.logits) if self._objective_terms == STOPPED_MIXTURE else self.logits
        return tf.reduce_sum(self.copy(logits=logits).log_prob(zeta), axis=-1)

    def objective_neg_entropy(self, zeta):
        """E_q[log q] estimated at the sample (DVAE#): the same term as `objective_log_prob`."""
        if self._objective_terms == BERNOULLI:
            return super().objective_neg_entropy(zeta)
        return self.objective_log_prob(zeta)
