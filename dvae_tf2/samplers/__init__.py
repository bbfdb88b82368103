"""RBM samplers: block Gibbs, PCD and population annealing for training, AIS/PA and brute force for log Z."""
from dvae_tf2.samplers.pcd import PCDSampler, SamplerOutput
from dvae_tf2.samplers.population_annealing import PopulationAnnealingSampler

TRAINING_SAMPLERS = {"pa": PopulationAnnealingSampler, "pcd": PCDSampler}

__all__ = ["PCDSampler", "PopulationAnnealingSampler", "SamplerOutput", "TRAINING_SAMPLERS"]
