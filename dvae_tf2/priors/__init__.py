"""Priors p(z): the RBM, its marginal over relaxed zeta under an overlapping smoothing (DVAE#), and the
DVAE++ cross-entropy and Gaussian-integral KL forms."""
from dvae_tf2.priors.base import Prior, PriorTerms
from dvae_tf2.priors.gaussian_integral import GaussianIntegralPrior, gaussian_integral_log_prob
from dvae_tf2.priors.marginal_rbm import MarginalRBMPrior
from dvae_tf2.priors.overlapping_kl import OverlappingCrossEntropyPrior, overlapping_cross_entropy_kl
from dvae_tf2.priors.rbm_prior import RBMPrior, split_halves
from dvae_tf2.priors.rolfe_kl import RolfeSurrogatePrior

__all__ = ["GaussianIntegralPrior", "MarginalRBMPrior", "OverlappingCrossEntropyPrior", "Prior", "PriorTerms", "RBMPrior",
           "RolfeSurrogatePrior", "gaussian_integral_log_prob", "overlapping_cross_entropy_kl", "split_halves"]
