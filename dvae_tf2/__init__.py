"""dvae_tf2: discrete VAEs with Boltzmann-machine priors and posteriors (DVAE#, DVAE##) in TF2."""
