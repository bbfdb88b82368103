"""rbm_post: DVAE##, an RBM approximate posterior trained through relaxed Gibbs sweeps (Algorithm 1)."""
from dvae_tf2.baselines.spec import BaselineSpec


def _check(config):
    if config.num_groups != 1:
        raise ValueError(f"--L={config.num_groups} is invalid with --baseline=rbm_post: the RBM posterior has L=1")


def _posterior(spec, config, training_size, seed):
    del spec
    from dvae_tf2.posteriors import RBMPosterior
    return RBMPosterior.for_run(config, training_size, seed)


SPEC = BaselineSpec(
    name="rbm_post",
    description="DVAE## RBM posterior (persistent chains, s hard + t relaxed PWL Gibbs sweeps)",
    default_beta={"binarized_mnist": 4.0, "omniglot": 3.0},
    make_posterior=_posterior,
    check=_check)
