"""dvaes_power: DVAE# power-function overlapping smoothing with the mean-field marginal RBM prior.

In the DVAE## code base: the shared-context directed posterior, beta = 30 on both datasets.
"""
import functools

from dvae_tf2.baselines.spec import BaselineSpec, rbm_prior
from dvae_tf2.distributions import OverlappingMixture, PowerFunctionSmoothing
from dvae_tf2.priors import MarginalRBMPrior


def _relaxation(config):
    return functools.partial(OverlappingMixture, smoothing=PowerFunctionSmoothing(config.beta))


def _prior(spec, config):
    return rbm_prior(spec, config, prior_class=MarginalRBMPrior, smoothing=PowerFunctionSmoothing(config.beta))


SPEC = BaselineSpec(
    name="dvaes_power",
    description="DVAE# power-function smoothing, mean-field marginal RBM prior, shared-context directed posterior",
    default_beta={"binarized_mnist": 30.0, "omniglot": 30.0},
    relaxation=_relaxation,
    make_prior=_prior,
    smoothing_parameters=lambda config: PowerFunctionSmoothing(config.beta).summary_parameters())
