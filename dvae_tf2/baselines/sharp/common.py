"""Builders shared by the DVAE# baselines: overlapping mixtures with the marginal or DVAE++ prior.

A smoothing is named by its class in `dvae_tf2.distributions`, resolved when a layer is built (lazily: the
registry is read without TensorFlow).
"""
import functools

from dvae_tf2 import distributions
from dvae_tf2.baselines.sharp.beta_table import betas
from dvae_tf2.baselines.spec import DVAE_SHARP, IW_PLAIN, NO_IW, BaselineSpec, rbm_prior
from dvae_tf2.distributions.options import BERNOULLI, MIXTURE


def _smoothing(name, config):
    return getattr(distributions, name)(config.beta)


def _mixture(smoothing, objective_terms):
    return lambda config: functools.partial(distributions.OverlappingMixture, smoothing=_smoothing(smoothing, config),
                                            objective_terms=objective_terms)


def _marginal_prior(smoothing):
    def make_prior(spec, config):
        from dvae_tf2.priors import MarginalRBMPrior
        return rbm_prior(spec, config, prior_class=MarginalRBMPrior, smoothing=_smoothing(smoothing, config))
    return make_prior


def _cross_entropy_prior(smoothing):
    def make_prior(spec, config):
        from dvae_tf2.priors import OverlappingCrossEntropyPrior
        return rbm_prior(spec, config, prior_class=OverlappingCrossEntropyPrior,
                         smoothing=_smoothing(smoothing, config), use_log_ratio=config.num_groups > 1)
    return make_prior


def marginal_prior_baseline(name, description, smoothing):
    """DVAE#: overlapping mixture posterior, mean-field marginal RBM prior (KL form (c)), IW bound for k > 1."""
    return BaselineSpec(
        name=name, description=description, default_beta=betas(name), codebase=DVAE_SHARP, iw_estimator=IW_PLAIN,
        relaxation=_mixture(smoothing, MIXTURE),   # DVAE#: log q keeps its gradient w.r.t. q
        smoothing_parameters=lambda config: _smoothing(smoothing, config).summary_parameters(),
        make_prior=_marginal_prior(smoothing))


def cross_entropy_prior_baseline(name, description, smoothing):
    """DVAE++: overlapping mixture posterior, the DVAE++ cross-entropy (KL form (a)), k samples averaged.

    One-group posteriors use nu1 = q1 (the exact KL); hierarchical ones the log-ratio at zeta1.
    """
    return BaselineSpec(
        name=name, description=description, default_beta=betas(name), codebase=DVAE_SHARP, iw_estimator=NO_IW,
        relaxation=_mixture(smoothing, BERNOULLI),
        smoothing_parameters=lambda config: _smoothing(smoothing, config).summary_parameters(),
        make_prior=_cross_entropy_prior(smoothing))
