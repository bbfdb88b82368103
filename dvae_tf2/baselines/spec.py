"""What the registry knows about a baseline, and the builders most baselines share.

The registry imports no TensorFlow: the configuration and the flags read it without starting TensorFlow, so the
builders import the layers they build when called.
"""
import dataclasses
import typing

from dvae_tf2.codebases import CODEBASES, DVAE_SHARP, DVAE_SHARPSHARP

# How k > 1 samples per example are used in training.
IW_DREG = "dreg"       # importance-weighted bound, encoder by the annealed doubly reparameterised gradient
IW_PLAIN = "iwae"      # importance-weighted bound, the same surrogate for every parameter
NO_IW = "mean"         # the ELBO averaged over the k samples (DVAE, DVAE++)


def directed_posterior(spec, config, training_size, seed):
    """The hierarchical posterior of the run's code base, with the baseline's relaxation."""
    del training_size
    from dvae_tf2.posteriors import HierarchicalPosterior
    return HierarchicalPosterior(config.num_groups, config.num_latents_per_group, config.encoder_context_hidden,
                                 config.encoder_group_hidden, spec.relaxation(config), seed,
                                 bn_momentum=config.bn_momentum, weight_decay=config.weight_decay)


def rbm_prior(spec, config, prior_class=None, **kwargs):
    """The RBM prior (prior_class, default RBMPrior) over the two halves of the latents, with the configured training
    sampler; W is decayed."""
    del spec
    from dvae_tf2.priors import RBMPrior
    from dvae_tf2.runtime import random_streams
    return (prior_class or RBMPrior)(config.num_vars1, config.num_vars2, sampler=config.prior_sampler,
                                     num_samples=config.num_prior_samples, num_sweeps=config.num_prior_sweeps,
                                     old_sweep_fraction=config.prior_old_sweep_fraction,
                                     seed=random_streams.run_streams(config.seed).prior_sampler,
                                     weight_decay=config.weight_decay, **kwargs)


def no_check(config):
    del config


def no_smoothing_parameters(config):
    del config
    return {}


@dataclasses.dataclass(frozen=True)
class BaselineSpec:
    """A baseline: how to build its posterior and prior, its default beta, its own config checks.

    relaxation(config) -> callable mapping logits to a `dvae_tf2.distributions` object (directed
    posteriors); make_posterior(spec, config, training_size, seed) and make_prior(spec, config)
    build the layers; check(config) raises ValueError naming the offending flag. default_beta maps
    a dataset, or a (dataset, struct) pair for the DVAE# code base, to the legacy beta.
    smoothing_parameters(config) -> {name: value} of the posterior's smoothing as the baseline's legacy code
    names them (its `posterior/<name>` summaries; empty where it writes none).
    """
    name: str
    description: str
    default_beta: typing.Mapping
    relaxation: typing.Optional[typing.Callable] = None
    make_posterior: typing.Callable = directed_posterior
    make_prior: typing.Callable = rbm_prior
    check: typing.Callable = no_check
    smoothing_parameters: typing.Callable = no_smoothing_parameters
    codebase: str = DVAE_SHARPSHARP
    iw_estimator: str = IW_DREG

    def beta_for(self, dataset, struct=None):
        """The legacy beta, or None if the table has none for this dataset (and, for a code base configured by
        --struct, struct)."""
        return self.default_beta.get((dataset, struct) if CODEBASES[self.codebase].configured_by_struct else dataset)

    def posterior(self, config, training_size, seed):
        return self.make_posterior(self, config, training_size, seed)

    def prior(self, config):
        return self.make_prior(self, config)
