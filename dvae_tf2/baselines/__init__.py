"""The baseline registry: a name -> BaselineSpec. A new baseline is one module and one line here."""
from dvae_tf2.baselines import dvaes_power, gsm_relax, pwl_relax, rbm_post
from dvae_tf2.baselines.spec import BaselineSpec

BASELINES = {spec.name: spec for spec in (
    dvaes_power.SPEC,
    pwl_relax.SPEC,
    gsm_relax.SPEC,
    rbm_post.SPEC,
)}


def get_baseline(name):
    """The BaselineSpec called `name`; ValueError naming the valid names otherwise."""
    if name not in BASELINES:
        raise ValueError(f"--baseline={name!r} is invalid; valid values: {', '.join(BASELINES)}")
    return BASELINES[name]


__all__ = ["BASELINES", "BaselineSpec", "get_baseline"]
