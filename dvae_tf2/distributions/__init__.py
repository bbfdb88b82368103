"""Continuous relaxations and overlapping smoothings of factorial Bernoulli variables.

Each is a `tfp.distributions.Distribution` (scalar event, batch shape = the logits' shape) built from
Bernoulli logits l (q = sigmoid(l)): a reparameterised `sample(sample_shape, seed=...)` with stateless
seeds, `cdf`, `log_prob` where a density exists, and the objective's two log q terms. Training draws
its noise from the project's random source with `sample_from_rng(rng)` (see `base.py`).
The smoothings r(zeta | 0) of the overlapping mixtures are distributions too.
"""
from dvae_tf2.distributions.concrete import ConcreteRelaxedBernoulli
from dvae_tf2.distributions.exponential_smoothing import ExponentialSmoothing, UniformExponentialSmoothing
from dvae_tf2.distributions.gaussian_integral import ShiftedGaussianMixture
from dvae_tf2.distributions.gaussian_smoothing import GaussianSmoothing
from dvae_tf2.distributions.overlapping import OverlappingMixture, PowerFunctionSmoothing, Smoothing
from dvae_tf2.distributions.pwl import PWLRelaxedBernoulli
from dvae_tf2.distributions.spike_exp import SpikeAndExponential

__all__ = ["ConcreteRelaxedBernoulli", "ExponentialSmoothing", "GaussianSmoothing", "OverlappingMixture",
           "PWLRelaxedBernoulli", "PowerFunctionSmoothing", "ShiftedGaussianMixture", "Smoothing",
           "SpikeAndExponential", "UniformExponentialSmoothing"]
