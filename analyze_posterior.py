"""Posterior analysis of a trained rbm_post run; the code is dvae_tf2.tools.analyze_posterior (also installed as
`dvae-analyze-posterior`)."""
from dvae_tf2.tools import analyze_posterior

if __name__ == "__main__":
    analyze_posterior.run()
