"""Builders shared by the DVAE# baselines: overlapping mixtures with the marginal or DVAE++ prior."""
import functools

from dvae_tf2.baselines.sharp.beta_table import betas
from dvae_tf2.baselines.spec import DVAE_SHARP, IW_PLAIN, NO_IW, BaselineSpec, rbm_prior
from dvae_tf2.distributions import OverlappingMixture
from dvae_tf2.distributions.overlapping import BERNOULLI, MIXTURE
from dvae_tf2.priors import MarginalRBMPrior, OverlappingCrossEntropyPrior


def _mixture(smoothing_class, objective_terms):
    return lambda config: functools.partial(OverlappingMixture, smoothing=smoothing_class(config.beta),
                                            objective_terms=objective_terms)


def marginal_prior_baseline(name, description, smoothing_class):
    """DVAE#: overlapping mixture posterior, mean-field marginal RBM prior (KL form (c)), IW bound for k > 1."""
    return BaselineSpec(
        name=name, description=description, default_beta=betas(name), codebase=DVAE_SHARP, iw_estimator=IW_PLAIN,
        relaxation=_mixture(smoothing_class, MIXTURE),   # DVAE#: log q keeps its gradient w.r.t. q
        smoothing_parameters=lambda config: smoothing_class(config.beta).summary_parameters(),
        make_prior=lambda spec, config: rbm_prior(spec, config, prior_class=MarginalRBMPrior,
                                                  smoothing=smoothing_class(config.beta)))


def cross_entropy_prior_baseline(name, description, smoothing_class):
    """DVAE++: overlapping mixture posterior, the DVAE++ cross-entropy (KL form (a)), k samples averaged.

    One-group posteriors use nu1 = q1 (the exact KL); hierarchical ones the log-ratio at zeta1.
    """
    return BaselineSpec(
        name=name, description=description, default_beta=betas(name), codebase=DVAE_SHARP, iw_estimator=NO_IW,
        relaxation=_mixture(smoothing_class, BERNOULLI),
        smoothing_parameters=lambda config: smoothing_class(config.beta).summary_parameters(),
        make_prior=lambda spec, config: rbm_prior(spec, config, prior_class=OverlappingCrossEntropyPrior,
                                                  smoothing=smoothing_class(config.beta),
                                                  use_log_ratio=config.num_groups > 1))
