"""Mixtures of overlapping smoothing distributions (DVAE++ / DVAE#) and their smoothings.

z ~ Bernoulli(q), zeta ~ r(zeta | z) with r(zeta | 1) = r(1 - zeta | 0), so the marginal is
    r_q(zeta) = (1 - q) r(zeta | 0) + q r(1 - zeta | 0).
Written by hand: TFP's Mixture cannot reparameterise through the mixing probability q, which is
the whole point here (the gradient comes from implicitly differentiating the mixture CDF).
"""
import math

import tensorflow as tf
import tensorflow_probability as tfp

from dvae_tf2.distributions.base import RelaxedBernoulliBase

STOPPED_MIXTURE, MIXTURE, BERNOULLI = "stopped_mixture", "mixture", "bernoulli"   # objective_terms

# The legacy power-function density and CDF are evaluated at zeta + 1e-7: zeta = u^beta
# underflows to 0 in float32, where the density would be infinite.
_POWER_OFFSET = 1e-7


class PowerFunctionSmoothing:
    """r(zeta | z = 0) = lambda zeta^(lambda - 1) on [0, 1], lambda = 1 / beta: Beta(lambda, 1).

    Hand-written rather than tfd.Beta: Beta's sampler is rejection-based (u^beta is the exact
    inverse CDF and underflows to 0 exactly where the legacy offset above is needed).
    """

    def __init__(self, beta):
        self.beta = beta
        self.power = 1.0 / beta   # lambda

    def parameters(self):
        """{name: value} of the smoothing as the DVAE# code names it: lambda."""
        return {"lambda": self.power}

    def log_prob(self, zeta):
        """log r(zeta | 0), elementwise."""
        return (self.power - 1.0) * tf.math.log(zeta + _POWER_OFFSET) + math.log(self.power)

    def cdf(self, zeta):
        """R(zeta) = zeta^lambda, elementwise."""
        return tf.pow(zeta + _POWER_OFFSET, self.power)

    def sample(self, shape, rng):
        """zeta0 = u^beta, the inverse CDF at u ~ U(0, 1)."""
        return tf.pow(rng.uniform(shape), self.beta)

    def mean(self):
        """E[zeta0] = lambda / (lambda + 1) = 1 / (1 + beta)."""
        return 1.0 / (1.0 + self.beta)


class OverlappingMixture(RelaxedBernoulliBase):
    """r_q(zeta) = (1 - q) r(zeta|0) + q r(1 - zeta|0) for logits [..., n], elementwise.

    `sample` draws z and zeta0 with separate noise (ancestral sampling) and attaches the gradient
    d zeta / d q = [R(zeta) - 1 + R(1 - zeta)] / r_q(zeta) (implicit differentiation of the
    mixture CDF F(zeta) = (1 - q) R(zeta) + q (1 - R(1 - zeta)); DVAE# Sec. 3.4). No gradient
    flows to the smoothing's parameters. `smoothing` has log_prob, cdf, sample(shape, rng), mean.
    `objective_terms` says what log q and the entropy term of the objective are: the mixture density
    at the sample with q stopped (STOPPED_MIXTURE, the DVAE## code base: gradient through zeta only),
    the mixture density with every gradient (MIXTURE, the DVAE# code base), or the Bernoulli terms
    of the base class (BERNOULLI, DVAE++: the analytic entropy).
    """

    def __init__(self, logits, smoothing, objective_terms=STOPPED_MIXTURE):
        super().__init__(logits, smoothing.beta)
        self.smoothing = smoothing
        self.objective_terms = objective_terms

    def _component_log_probs(self, zeta):
        """(log r(zeta|0), log r(1 - zeta|0))."""
        return self.smoothing.log_prob(zeta), self.smoothing.log_prob(1.0 - zeta)

    def log_prob(self, zeta):
        """log r_q(zeta), elementwise: logaddexp of the two weighted components."""
        log_r0, log_r1 = self._component_log_probs(zeta)
        return tfp.math.log_add_exp(-tf.math.softplus(self.logits) + log_r0,
                                    -tf.math.softplus(-self.logits) + log_r1)

    def cdf(self, zeta):
        q = self.probs
        return (1.0 - q) * self.smoothing.cdf(zeta) + q * (1.0 - self.smoothing.cdf(1.0 - zeta))

    def mean(self):
        m0 = self.smoothing.mean()
        q = self.probs
        return (1.0 - q) * m0 + q * (1.0 - m0)

    def grad_zeta_wrt_q(self, zeta):
        """d zeta / d q at fixed noise (implicit differentiation of the CDF), elementwise."""
        numerator = self.smoothing.cdf(zeta) - 1.0 + self.smoothing.cdf(1.0 - zeta)
        return numerator / tf.exp(self.log_prob(zeta))

    def sample_from_noise(self, u, zeta0):
        """The sample for Bernoulli noise u ~ U(0, 1) and a draw zeta0 ~ r(.|0), with its gradient."""
        q = self.probs
        zeta = tf.stop_gradient(tf.where(u < q, 1.0 - zeta0, zeta0))
        slope = tf.stop_gradient(self.grad_zeta_wrt_q(zeta))
        return zeta + slope * q - tf.stop_gradient(slope * q)

    def sample(self, rng):
        """Reparameterised sample with noise from the tf.random.Generator `rng`."""
        shape = tf.shape(self.logits)
        return self.sample_from_noise(rng.uniform(shape), self.smoothing.sample(shape, rng))

    def objective_log_prob(self, zeta):
        """sum log r_q(zeta) (q stopped for STOPPED_MIXTURE), or the base class's Bernoulli term."""
        if self.objective_terms == BERNOULLI:
            return super().objective_log_prob(zeta)
        logits = tf.stop_gradient(self.logits) if self.objective_terms == STOPPED_MIXTURE else self.logits
        return tf.reduce_sum(OverlappingMixture(logits, self.smoothing).log_prob(zeta), axis=-1)

    def objective_neg_entropy(self, zeta):
        """E_q[log q] estimated at the sample (DVAE#): the same term as `objective_log_prob`."""
        if self.objective_terms == BERNOULLI:
            return super().objective_neg_entropy(zeta)
        return self.objective_log_prob(zeta)
