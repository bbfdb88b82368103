"""dvae_spike_exp: DVAE (Rolfe 2016) spike-and-exponential smoothing (DVAE# code base).

One group: the exact KL of the factorial posterior (the DVAE++ form with nu1 = q1); two or four
groups: Rolfe's gradient surrogate. k > 1 averages the samples' ELBOs.
"""
import functools

from dvae_tf2 import distributions
from dvae_tf2.baselines.sharp.beta_table import betas
from dvae_tf2.baselines.spec import DVAE_SHARP, NO_IW, BaselineSpec, rbm_prior


def _prior(spec, config):
    if config.num_groups == 1:
        return rbm_prior(spec, config)
    from dvae_tf2.priors import RolfeSurrogatePrior
    return rbm_prior(spec, config, prior_class=RolfeSurrogatePrior, last_group_units=config.num_latents_per_group)


SPEC = BaselineSpec(
    name="dvae_spike_exp", description="DVAE spike-and-exponential smoothing (Rolfe's KL gradient for 2/4 groups)",
    default_beta=betas("dvae_spike_exp"), codebase=DVAE_SHARP, iw_estimator=NO_IW,
    relaxation=lambda config: functools.partial(distributions.SpikeAndExponential, beta=config.beta),
    smoothing_parameters=lambda config: {"beta": config.beta},
    make_prior=_prior)
