"""dvaes_gi: DVAE# Gaussian-integral relaxation, exact log p(zeta) of the smoothed RBM (DVAE# code base).

The table's beta is not a smoothing width here but the prior's lower bound lambda_min on the
diagonal shift of the Gaussian integral.
"""
from dvae_tf2.baselines.sharp.beta_table import betas
from dvae_tf2.baselines.spec import DVAE_SHARP, IW_PLAIN, BaselineSpec, rbm_prior


def _posterior(spec, config, training_size, seed):
    del spec, training_size
    from dvae_tf2.posteriors import GaussianIntegralPosterior
    return GaussianIntegralPosterior(config.num_groups, config.num_latents_per_group, config.encoder_context_hidden,
                                     config.encoder_group_hidden, seed, bn_momentum=config.bn_momentum,
                                     scale_gradient=config.gi_scale_gradient, weight_decay=config.weight_decay)


def _prior(spec, config):
    from dvae_tf2.priors import GaussianIntegralPrior
    return rbm_prior(spec, config, prior_class=GaussianIntegralPrior, lambda_min=config.beta)


SPEC = BaselineSpec(
    name="dvaes_gi", description="DVAE# Gaussian-integral relaxation, exact Gaussian-integral marginal prior",
    default_beta=betas("dvaes_gi"), codebase=DVAE_SHARP, iw_estimator=IW_PLAIN,
    make_posterior=_posterior,
    make_prior=_prior)
