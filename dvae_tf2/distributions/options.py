"""Plain-string options of the relaxations, TensorFlow-free: the configuration and the baseline registry read them
without loading the distributions."""
# OverlappingMixture's objective terms (see overlapping.py).
STOPPED_MIXTURE, MIXTURE, BERNOULLI = "stopped_mixture", "mixture", "bernoulli"
# d zeta / d s of the Gaussian-integral posterior: "legacy" centres the components at 0 and 1 (the DVAE# code; off
# by delta / s), "exact" at delta and 1 + delta (the implicit derivative of F).
LEGACY_SCALE_GRADIENT, EXACT_SCALE_GRADIENT = "legacy", "exact"
SCALE_GRADIENTS = (LEGACY_SCALE_GRADIENT, EXACT_SCALE_GRADIENT)
