"""pwl_relax: piece-wise linear relaxation of the directed posterior (DVAE## baseline)."""
import functools

from dvae_tf2 import distributions
from dvae_tf2.baselines.spec import BaselineSpec

SPEC = BaselineSpec(
    name="pwl_relax",
    description="PWL relaxation of the shared-context directed posterior",
    default_beta={"binarized_mnist": 4.0, "omniglot": 3.0},
    relaxation=lambda config: functools.partial(distributions.PWLRelaxedBernoulli, beta=config.beta),
    smoothing_parameters=lambda config: {"beta": config.beta})
