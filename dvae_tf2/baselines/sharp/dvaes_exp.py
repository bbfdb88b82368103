"""dvaes_exp: DVAE# exponential smoothing, mean-field marginal RBM prior (DVAE# code base)."""
from dvae_tf2.baselines.sharp.common import marginal_prior_baseline

SPEC = marginal_prior_baseline(
    "dvaes_exp", "DVAE# exponential smoothing, mean-field marginal RBM prior",
    "ExponentialSmoothing")
