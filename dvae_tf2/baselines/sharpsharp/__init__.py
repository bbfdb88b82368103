"""Baselines of the DVAE## code base (shared-context directed posteriors, and the RBM posterior)."""
