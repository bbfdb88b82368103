"""dvae_tf2: discrete VAEs with Boltzmann-machine priors and posteriors (DVAE#, DVAE##) in TF2.

The public pieces (docs/api.md) are attributes of this package, imported on first use: importing dvae_tf2 loads
no TensorFlow, so that an entry point can still `import dvae_tf2.runtime.quiet_start` before TensorFlow starts.
"""
from dvae_tf2.runtime.lazy_exports import lazy_exports

# public name -> the module that defines it
_EXPORTS = {
    "Config": "dvae_tf2.config",
    "DVAE": "dvae_tf2.model.dvae",
    "StructuredPrediction": "dvae_tf2.model.dvae",
    "build_model": "dvae_tf2.model.dvae",
    "RBMParams": "dvae_tf2.model.rbm",
    "rbm": "dvae_tf2.model.rbm",
    "RBMPrior": "dvae_tf2.priors",
    "MarginalRBMPrior": "dvae_tf2.priors",
    "PopulationAnnealingSampler": "dvae_tf2.samplers",
    "PCDSampler": "dvae_tf2.samplers",
    "ParallelTemperingSampler": "dvae_tf2.samplers",
    "BlockGibbsKernel": "dvae_tf2.samplers.kernels",
    "SamplerOutput": "dvae_tf2.samplers",
    "annealed_log_z": "dvae_tf2.samplers.ais",
    "AISResult": "dvae_tf2.samplers.ais",
    "exact_log_z": "dvae_tf2.samplers.exact",
    "exact_moments": "dvae_tf2.samplers.exact",
    "ConcreteRelaxedBernoulli": "dvae_tf2.distributions",
    "PWLRelaxedBernoulli": "dvae_tf2.distributions",
    "SpikeAndExponential": "dvae_tf2.distributions",
    "OverlappingMixture": "dvae_tf2.distributions",
    "ExponentialSmoothing": "dvae_tf2.distributions",
    "UniformExponentialSmoothing": "dvae_tf2.distributions",
    "PowerFunctionSmoothing": "dvae_tf2.distributions",
    "GaussianSmoothing": "dvae_tf2.distributions",
    "ShiftedGaussianMixture": "dvae_tf2.distributions",
    "Evaluator": "dvae_tf2.training.evaluation",
    "EvalResult": "dvae_tf2.training.evaluation",
    "iw_bound": "dvae_tf2.model.objectives",
    "Trainer": "dvae_tf2.training",
    "load_dataset": "dvae_tf2.data.datasets",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
