"""Concrete (Gumbel-softmax) relaxation of a Bernoulli variable, on TFP's RelaxedBernoulli."""
import tensorflow as tf
import tensorflow_probability as tfp

from dvae_tf2.distributions.base import RelaxedBernoulliBase

tfd = tfp.distributions

# Logistic noise bound log((1 - 1e-5) / 1e-5): the legacy clip of u to [1e-5, 1 - 1e-5].
_NOISE_BOUND = 11.512915


class ConcreteRelaxedBernoulli(RelaxedBernoulliBase):
    """zeta = sigmoid(beta (l + L)), L ~ Logistic(0, 1): TFP's RelaxedBernoulli(1 / beta, logits).

    `cdf` and `log_prob` are TFP's. `sample` applies the sigmoid itself because TFP's sample has NaN
    gradients once beta (l + L) saturates float32 (about > 17); L is bounded by the legacy clip of
    u to [1e-5, 1 - 1e-5]. Shapes: logits [..., n]; every method is elementwise.
    """

    def __init__(self, logits, beta):
        super().__init__(logits, beta)
        self._tfp = tfd.RelaxedBernoulli(temperature=1.0 / beta, logits=logits)

    def sample_from_uniform(self, u):
        """Reparameterised sample for uniform noise u [..., n]: L is the Logistic(0, 1) quantile of u."""
        noise = tf.clip_by_value(tfd.Logistic(loc=0.0, scale=1.0).quantile(u), -_NOISE_BOUND, _NOISE_BOUND)
        return tf.sigmoid(self.beta * (self.logits + noise))

    def sample(self, rng):
        """Reparameterised sample with noise from the tf.random.Generator `rng`."""
        return self.sample_from_uniform(rng.uniform(tf.shape(self.logits)))

    def cdf(self, v):
        return self._tfp.cdf(v)

    def log_prob(self, v):
        return self._tfp.log_prob(v)
