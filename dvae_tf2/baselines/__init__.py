"""The baseline registry: code base -> name -> BaselineSpec.

A new baseline is one module (in `sharpsharp/` for the DVAE## code base, `sharp/` for DVAE#) and
one line here. `dvaes_power` exists in both code bases, built differently. Each module imports the layers it
builds inside its builders, so the registry (read by the configuration and the flags) loads no TensorFlow.
"""
from dvae_tf2.baselines.sharp import (dvae_spike_exp, dvaepp_exp, dvaepp_power, dvaes_exp, dvaes_gauss, dvaes_gi,
                                      dvaes_unexp)
from dvae_tf2.baselines.sharp import dvaes_power as sharp_dvaes_power
from dvae_tf2.baselines.sharpsharp import dvaes_power, gsm_relax, pwl_relax, rbm_post
from dvae_tf2.baselines.spec import BaselineSpec
from dvae_tf2.codebases import CODEBASES, DVAE_SHARP, DVAE_SHARPSHARP

BASELINES = {
    DVAE_SHARPSHARP: {spec.name: spec for spec in (
        dvaes_power.SPEC,
        pwl_relax.SPEC,
        gsm_relax.SPEC,
        rbm_post.SPEC,
    )},
    DVAE_SHARP: {spec.name: spec for spec in (
        dvae_spike_exp.SPEC,
        dvaepp_exp.SPEC,
        dvaepp_power.SPEC,
        dvaes_gi.SPEC,
        dvaes_gauss.SPEC,
        dvaes_exp.SPEC,
        dvaes_unexp.SPEC,
        sharp_dvaes_power.SPEC,
    )},
}


def all_baseline_names():
    """Every baseline name of either code base (the --baseline choices), registry order, no repeats."""
    names = [name for codebase in CODEBASES for name in BASELINES[codebase]]
    return list(dict.fromkeys(names))


def codebases_of(name):
    """The code bases that define baseline `name`."""
    return tuple(c for c in CODEBASES if name in BASELINES[c])


def get_baseline(name, codebase=DVAE_SHARPSHARP):
    """The BaselineSpec called `name` in `codebase`; ValueError naming the valid names otherwise."""
    if codebase not in BASELINES:
        raise ValueError(f"--codebase={codebase!r} is invalid; valid values: {', '.join(CODEBASES)}")
    if name not in BASELINES[codebase]:
        raise ValueError(f"--baseline={name!r} is invalid for the {codebase} code base; valid values: "
                         f"{', '.join(BASELINES[codebase])}")
    return BASELINES[codebase][name]


__all__ = ["BASELINES", "CODEBASES", "DVAE_SHARP", "DVAE_SHARPSHARP", "BaselineSpec", "all_baseline_names",
           "codebases_of", "get_baseline"]
