"""dvaes_power: DVAE# power-function overlapping smoothing with the mean-field marginal RBM prior.

In the DVAE## code base: the shared-context directed posterior, beta = 30 on both datasets.
"""
import functools

from dvae_tf2 import distributions
from dvae_tf2.baselines.spec import BaselineSpec, rbm_prior


def _relaxation(config):
    return functools.partial(distributions.OverlappingMixture,
                             smoothing=distributions.PowerFunctionSmoothing(config.beta))


def _prior(spec, config):
    from dvae_tf2.priors import MarginalRBMPrior
    return rbm_prior(spec, config, prior_class=MarginalRBMPrior,
                     smoothing=distributions.PowerFunctionSmoothing(config.beta))


SPEC = BaselineSpec(
    name="dvaes_power",
    description="DVAE# power-function smoothing, mean-field marginal RBM prior, shared-context directed posterior",
    default_beta={"binarized_mnist": 30.0, "omniglot": 30.0},
    relaxation=_relaxation,
    make_prior=_prior,
    smoothing_parameters=lambda config: distributions.PowerFunctionSmoothing(config.beta).summary_parameters())
