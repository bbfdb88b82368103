"""The discrete VAE: the model, its networks, the RBM math and the variational objectives."""
