"""Continuous relaxations of factorial Bernoulli variables.

Every relaxation maps Bernoulli logits `l` (q = sigmoid(l)) and noise to a
differentiable sample zeta in [0, 1] that concentrates on {0, 1} as beta grows.
Shapes: logits [..., n] -> zeta [..., n].
"""
import dataclasses

import tensorflow as tf
import tensorflow_probability as tfp

tfd = tfp.distributions

_PWL_SLOPE_FLOOR = 0.01
# Logistic noise bound log((1 - 1e-5) / 1e-5): the legacy clip of u to [1e-5, 1 - 1e-5].
_CONCRETE_NOISE_BOUND = 11.512915


def pwl_relax(logits, beta, u):
    """Piece-wise linear relaxation (Andriyash et al. 2018).

    zeta = clip(0.5 + s (u - (1 - q)), 0, 1) with slope s = beta / (4 (q (1 - q) + 0.01)).

    Args:
      logits: [..., n] Bernoulli logits.
      beta: scalar inverse temperature.
      u: [..., n] uniform(0, 1) noise.
    Returns:
      zeta: [..., n], differentiable w.r.t. logits (through q and s).
    """
    q = tf.sigmoid(logits)
    slope = beta / (4.0 * (q * (1.0 - q) + _PWL_SLOPE_FLOOR))
    return tf.clip_by_value(0.5 + slope * (u - (1.0 - q)), 0.0, 1.0)


def pwl_cdf(v, logits, beta):
    """P(zeta <= v) for the PWL relaxation, v in [0, 1) (closed form, used by tests)."""
    q = tf.sigmoid(logits)
    slope = beta / (4.0 * (q * (1.0 - q) + _PWL_SLOPE_FLOOR))
    return tf.clip_by_value(1.0 - q + (v - 0.5) / slope, 0.0, 1.0)


def concrete_relax(logits, beta, seed):
    """Concrete / Gumbel-softmax relaxation: zeta = sigmoid(beta (l + L)), L ~ Logistic(0, 1).

    This is the reparameterised sample of TFP's RelaxedBernoulli(temperature=1/beta, logits), whose
    own `sample` has NaN gradients once beta * (l + L) saturates float32 (about > 17); here the
    logistic noise comes from TFP and the sigmoid is applied directly (its gradient underflows to 0).
    L is bounded by the legacy clip of u to [1e-5, 1 - 1e-5].

    Args:
      logits: [..., n] Bernoulli logits.
      beta: scalar inverse temperature.
      seed: stateless seed, int32 [2].
    """
    noise = tfd.Logistic(loc=0.0, scale=1.0).sample(tf.shape(logits), seed=seed)
    noise = tf.clip_by_value(noise, -_CONCRETE_NOISE_BOUND, _CONCRETE_NOISE_BOUND)
    return tf.sigmoid(beta * (logits + noise))


def concrete_cdf(v, logits, beta):
    """P(zeta <= v) for the Concrete relaxation, v in (0, 1) (closed form, used by tests)."""
    return tf.sigmoid((tf.math.log(v) - tf.math.log1p(-v)) / beta - logits)


@dataclasses.dataclass(frozen=True)
class Relaxation:
    """A named relaxation with its inverse temperature; `sample` draws its own noise."""

    name: str
    beta: float

    def sample(self, logits, rng):
        """Relaxed sample for `logits` using noise from the tf.random.Generator `rng`."""
        if self.name == "pwl":
            return pwl_relax(logits, self.beta, rng.uniform(tf.shape(logits)))
        if self.name == "concrete":
            return concrete_relax(logits, self.beta, rng.uniform_full_int([2], dtype=tf.int32))
        raise ValueError(f"unknown relaxation {self.name!r}; valid: 'pwl', 'concrete'")


RELAXATIONS = ("pwl", "concrete")
