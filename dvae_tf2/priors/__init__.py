"""Priors p(z): the RBM, and its marginal over relaxed zeta under an overlapping smoothing (DVAE#)."""
from dvae_tf2.priors.marginal_rbm import MarginalRBMPrior
from dvae_tf2.priors.rbm_prior import RBMPrior, split_halves

__all__ = ["MarginalRBMPrior", "RBMPrior", "split_halves"]
