"""RBM samplers: a block-Gibbs transition kernel; PCD, population annealing and parallel tempering for training;
AIS/PA and brute force for log Z."""
from dvae_tf2.samplers.parallel_tempering import ParallelTemperingSampler
from dvae_tf2.samplers.pcd import PCDSampler, SamplerOutput
from dvae_tf2.samplers.population_annealing import PopulationAnnealingSampler

TRAINING_SAMPLERS = {"pa": PopulationAnnealingSampler, "pcd": PCDSampler, "pt": ParallelTemperingSampler}

__all__ = ["ParallelTemperingSampler", "PCDSampler", "PopulationAnnealingSampler", "SamplerOutput", "TRAINING_SAMPLERS"]
