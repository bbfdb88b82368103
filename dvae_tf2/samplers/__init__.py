"""RBM samplers: a block-Gibbs transition kernel; PCD, population annealing and parallel tempering for training;
AIS/PA and brute force for log Z."""
from dvae_tf2.samplers.base import Population, SamplerOutput, SamplerSettings, TrainingSampler
from dvae_tf2.samplers.parallel_tempering import ParallelTemperingSampler
from dvae_tf2.samplers.pcd import PCDSampler
from dvae_tf2.samplers.population_annealing import PopulationAnnealingSampler

TRAINING_SAMPLERS = {"pa": PopulationAnnealingSampler, "pcd": PCDSampler, "pt": ParallelTemperingSampler}


def training_sampler(name, settings):
    """The TRAINING_SAMPLERS entry `name` built from SamplerSettings; ValueError naming the valid names otherwise."""
    if name not in TRAINING_SAMPLERS:
        raise ValueError(f"unknown training sampler {name!r}; valid names: {', '.join(TRAINING_SAMPLERS)}")
    return TRAINING_SAMPLERS[name].from_settings(settings)


__all__ = ["ParallelTemperingSampler", "PCDSampler", "Population", "PopulationAnnealingSampler", "SamplerOutput",
           "SamplerSettings", "TRAINING_SAMPLERS", "TrainingSampler", "training_sampler"]
