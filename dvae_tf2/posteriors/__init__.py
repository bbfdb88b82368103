"""Approximate posteriors q(z|x): the directed hierarchical one and the DVAE## RBM posterior."""
from dvae_tf2.posteriors.base import EvaluationDraw, Posterior, TrainingDraw
from dvae_tf2.posteriors.gaussian_integral import GaussianIntegralPosterior
from dvae_tf2.posteriors.hierarchical import HierarchicalPosterior
from dvae_tf2.posteriors.rbm_posterior import RBMPosterior

__all__ = ["EvaluationDraw", "GaussianIntegralPosterior", "HierarchicalPosterior", "Posterior", "RBMPosterior",
           "TrainingDraw"]
