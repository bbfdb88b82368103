"""Concrete (Gumbel-softmax) relaxation of a Bernoulli variable, on TFP's RelaxedBernoulli."""
import tensorflow as tf
import tensorflow_probability as tfp

from dvae_tf2.distributions.base import BetaRelaxedBernoulli, logits_and_beta_properties

tfd = tfp.distributions

# Logistic noise bound log((1 - 1e-5) / 1e-5): the legacy clip of u to [1e-5, 1 - 1e-5].
_NOISE_BOUND = 11.512915


class ConcreteRelaxedBernoulli(BetaRelaxedBernoulli):
    """zeta = sigmoid(beta (l + L)), L ~ Logistic(0, 1): TFP's RelaxedBernoulli(1 / beta, logits).

    `cdf` and `log_prob` are TFP's on (0, 1) (0 or 1, and -inf, outside). The sample bypasses TFP's
    sampler, whose gradient is NaN once beta (l + L) saturates float32 (about > 17): it applies the
    sigmoid itself, with L bounded by the legacy clip of u to [1e-5, 1 - 1e-5]. logits and beta
    broadcast (batch shape); beta > 0.
    """

    _parameter_properties = staticmethod(logits_and_beta_properties)

    def __init__(self, logits, beta, validate_args=False, allow_nan_stats=True, name="ConcreteRelaxedBernoulli"):
        parameters = dict(locals())
        with tf.name_scope(name) as name:
            super().__init__(logits, beta, parameters, validate_args, allow_nan_stats, name)
            self._tfp = tfd.RelaxedBernoulli(temperature=tfp.util.DeferredTensor(self._beta, tf.math.reciprocal),
                                             logits=self.logits, validate_args=validate_args,
                                             allow_nan_stats=allow_nan_stats)

    def sample_from_uniform(self, u):
        """Reparameterised sample for uniform noise u (broadcast with the batch): L = Logistic(0, 1) quantile of u."""
        logistic = tfd.Logistic(loc=tf.zeros([], self.dtype), scale=tf.ones([], self.dtype))
        noise = tf.clip_by_value(logistic.quantile(u), -_NOISE_BOUND, _NOISE_BOUND)
        return tf.sigmoid(self._beta * (self.logits + noise))

    def transform_noise(self, u):
        return self.sample_from_uniform(u)

    def _on_open_interval(self, v, method, below, above):
        """TFP's `method` on (0, 1), where it is defined (it is NaN outside); `below` / `above` beyond."""
        inside = (v > 0.0) & (v < 1.0)
        value = method(tf.where(inside, v, 0.5 * tf.ones_like(v)))
        return tf.where(inside, value, tf.where(v <= 0.0, below * tf.ones_like(value), above * tf.ones_like(value)))

    def _cdf(self, v):
        return self._on_open_interval(v, self._tfp.cdf, 0.0, 1.0)

    def _log_prob(self, v):
        return self._on_open_interval(v, self._tfp.log_prob, -float("inf"), -float("inf"))
