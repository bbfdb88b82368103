"""Continuous relaxations and overlapping smoothings of factorial Bernoulli variables.

Each is a `tfp.distributions.Distribution` (scalar event, batch shape = the logits' shape) built from
Bernoulli logits l (q = sigmoid(l)): a reparameterised `sample(sample_shape, seed=...)` with stateless
seeds, `cdf`, `log_prob` where a density exists, and the objective's two log q terms. Training draws
its noise from the project's random source with `sample_from_rng(rng)` (see `base.py`).
The smoothings r(zeta | 0) of the overlapping mixtures are distributions too.

The classes are imported on first use, so that the plain options (`options.py`) are read without TensorFlow.
"""
from dvae_tf2.runtime.lazy_exports import lazy_exports

# public name -> the module that defines it
_EXPORTS = {
    "ConcreteRelaxedBernoulli": "dvae_tf2.distributions.concrete",
    "ExponentialSmoothing": "dvae_tf2.distributions.exponential_smoothing",
    "UniformExponentialSmoothing": "dvae_tf2.distributions.exponential_smoothing",
    "ShiftedGaussianMixture": "dvae_tf2.distributions.gaussian_integral",
    "GaussianSmoothing": "dvae_tf2.distributions.gaussian_smoothing",
    "OverlappingMixture": "dvae_tf2.distributions.overlapping",
    "PowerFunctionSmoothing": "dvae_tf2.distributions.overlapping",
    "Smoothing": "dvae_tf2.distributions.overlapping",
    "PWLRelaxedBernoulli": "dvae_tf2.distributions.pwl",
    "SpikeAndExponential": "dvae_tf2.distributions.spike_exp",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
