"""dvaepp_exp: DVAE++ exponential smoothing, overlapping cross-entropy KL (DVAE# code base)."""
from dvae_tf2.baselines.sharp.common import cross_entropy_prior_baseline

SPEC = cross_entropy_prior_baseline(
    "dvaepp_exp", "DVAE++ exponential smoothing, overlapping cross-entropy KL",
    "ExponentialSmoothing")
