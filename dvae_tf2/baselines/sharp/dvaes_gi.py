"""dvaes_gi: DVAE# Gaussian-integral relaxation, exact log p(zeta) of the smoothed RBM (DVAE# code base).

The table's beta is not a smoothing width here but the prior's lower bound lambda_min on the
diagonal shift of the Gaussian integral.
"""
from dvae_tf2.baselines.sharp.beta_table import betas
from dvae_tf2.baselines.spec import DVAE_SHARP, IW_PLAIN, BaselineSpec, rbm_prior
from dvae_tf2.posteriors import GaussianIntegralPosterior
from dvae_tf2.priors import GaussianIntegralPrior


def _posterior(spec, config, training_size, seed):
    del spec, training_size
    return GaussianIntegralPosterior(config.num_groups, config.num_latents_per_group, config.encoder_context_hidden,
                                     config.encoder_group_hidden, seed, bn_momentum=config.bn_momentum,
                                     scale_gradient=config.gi_scale_gradient, weight_decay=config.weight_decay)


SPEC = BaselineSpec(
    name="dvaes_gi", description="DVAE# Gaussian-integral relaxation, exact Gaussian-integral marginal prior",
    default_beta=betas("dvaes_gi"), codebase=DVAE_SHARP, iw_estimator=IW_PLAIN,
    make_posterior=_posterior,
    make_prior=lambda spec, config: rbm_prior(spec, config, prior_class=GaussianIntegralPrior,
                                              lambda_min=config.beta))
