"""What the registry knows about a baseline, and the builders most baselines share."""
import dataclasses
import typing

from dvae_tf2.posteriors import HierarchicalPosterior
from dvae_tf2.priors import RBMPrior


def directed_posterior(spec, config, training_size, seed):
    """The shared-context hierarchical posterior with the baseline's relaxation."""
    del training_size
    return HierarchicalPosterior(config.num_groups, config.num_latents_per_group, config.num_hidden_units,
                                 config.num_hidden_layers, spec.relaxation(config), seed)


def rbm_prior(spec, config, prior_class=RBMPrior, **kwargs):
    """The RBM prior over the two halves of the latents, with the configured training sampler."""
    del spec
    return prior_class(config.num_vars1, config.num_vars2, sampler=config.prior_sampler,
                       num_samples=config.num_prior_samples, num_sweeps=config.num_prior_sweeps,
                       seed=config.seed + 1, **kwargs)


def no_check(config):
    del config


@dataclasses.dataclass(frozen=True)
class BaselineSpec:
    """A baseline: how to build its posterior and prior, its default beta, its own config checks.

    relaxation(config) -> callable mapping logits to a `dvae_tf2.distributions` object (directed
    posteriors); make_posterior(spec, config, training_size, seed) and make_prior(spec, config)
    build the layers; check(config) raises ValueError naming the offending flag.
    """
    name: str
    description: str
    default_beta: typing.Mapping[str, float]          # by dataset
    relaxation: typing.Optional[typing.Callable] = None
    make_posterior: typing.Callable = directed_posterior
    make_prior: typing.Callable = rbm_prior
    check: typing.Callable = no_check
    codebase: str = "dvaess"                           # legacy code base: DVAE## (dvaess) or DVAE# (dvae)

    def beta_for(self, dataset):
        return self.default_beta[dataset]

    def posterior(self, config, training_size, seed):
        return self.make_posterior(self, config, training_size, seed)

    def prior(self, config):
        return self.make_prior(self, config)
