"""Continuous relaxations and overlapping smoothings of factorial Bernoulli variables.

Every class here is built from Bernoulli logits l (q = sigmoid(l), shape [..., n]) and offers, in
the TensorFlow Probability style, a reparameterised `sample(rng)`, the elementwise `cdf(v)` and,
where the objective needs a density, `log_prob(v)`. Noise comes from a `tf.random.Generator`.
"""
from dvae_tf2.distributions.concrete import ConcreteRelaxedBernoulli
from dvae_tf2.distributions.exponential_smoothing import ExponentialSmoothing, UniformExponentialSmoothing
from dvae_tf2.distributions.gaussian_integral import ShiftedGaussianMixture
from dvae_tf2.distributions.gaussian_smoothing import GaussianSmoothing
from dvae_tf2.distributions.overlapping import OverlappingMixture, PowerFunctionSmoothing
from dvae_tf2.distributions.pwl import PWLRelaxedBernoulli
from dvae_tf2.distributions.spike_exp import SpikeAndExponential

__all__ = ["ConcreteRelaxedBernoulli", "ExponentialSmoothing", "GaussianSmoothing", "OverlappingMixture",
           "PWLRelaxedBernoulli", "PowerFunctionSmoothing", "ShiftedGaussianMixture", "SpikeAndExponential",
           "UniformExponentialSmoothing"]
