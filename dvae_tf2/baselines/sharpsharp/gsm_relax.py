"""gsm_relax: Concrete (Gumbel-softmax) relaxation of the directed posterior (DVAE## baseline, "GumBolt")."""
import functools

from dvae_tf2 import distributions
from dvae_tf2.baselines.spec import BaselineSpec

SPEC = BaselineSpec(
    name="gsm_relax",
    description="Concrete relaxation of the shared-context directed posterior",
    default_beta={"binarized_mnist": 10.0, "omniglot": 10.0},
    relaxation=lambda config: functools.partial(distributions.ConcreteRelaxedBernoulli, beta=config.beta),
    smoothing_parameters=lambda config: {"beta": config.beta})
