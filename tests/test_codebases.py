"""The code-base records: every Config default that differs between DVAE## and DVAE# comes out as the legacy code
bases (SPEC.md, SPEC-DVAE-SHARP.md) set it, for both code bases, both experiments and every --struct."""
import os

import pytest

from dvae_tf2.codebases import CODEBASES, DVAE_SHARP, DVAE_SHARPSHARP, CodebaseSpec
from dvae_tf2.config import EXPERIMENTS, STRUCTS, Config

# (Config arguments), then the legacy values: (L, latents, hidden layers, context net widths, group net widths,
# BN momentum, prior AIS temperatures, validation stride, IW samples per validation image, test NLL at every
# validation, run directory under /l).
H = 200
LEGACY = [
    (dict(baseline="pwl_relax"),
     (1, 200, 2, [H, H], [], 0.99, 10000, 10, 4000, False, "binarized_mnist/vae/200/pwl_relax/1/1")),
    (dict(baseline="rbm_post", dataset="omniglot", k=5),
     (1, 200, 2, [H, H], [], 0.99, 10000, 1, 4000, False, "omniglot/vae/200/rbm_post/1/5")),
    (dict(baseline="dvaes_power", num_groups=2, eval_iw_samples=300, run_suffix="seed2"),
     (2, 200, 2, [H, H], [], 0.99, 10000, 10, 300, False, "binarized_mnist/vae/200/dvaes_power/2/1-seed2")),
    (dict(baseline="gsm_relax", experiment="struct", num_groups=4, num_latents=400, dataset="omniglot"),
     (4, 400, 1, [H], [], 0.99, 10000, 1, 4000, False, "omniglot/struct/400/gsm_relax/4/1")),
    (dict(baseline="pwl_relax", experiment="struct", num_hidden_units=64),
     (1, 200, 1, [64], [], 0.99, 10000, 10, 4000, False, "binarized_mnist/struct/200/pwl_relax/1/1")),
    (dict(codebase=DVAE_SHARP, baseline="dvaes_power"),   # no --struct: 2-layer-nonlin
     (2, 400, 2, [], [H, H], 0.8, 1000, 1, 100, True, "binarized_mnist/2-layer-nonlin/dvaes_power/1")),
    (dict(codebase=DVAE_SHARP, baseline="dvaes_gi", struct="1-layer-lin", k=5),
     (1, 200, 0, [], [], 0.8, 1000, 1, 100, True, "binarized_mnist/1-layer-lin/dvaes_gi/5")),
    (dict(codebase=DVAE_SHARP, baseline="dvae_spike_exp", struct="1-layer-nonlin", dataset="omniglot"),
     (1, 200, 2, [], [H, H], 0.8, 1000, 1, 100, True, "omniglot/1-layer-nonlin/dvae_spike_exp/1")),
    (dict(codebase=DVAE_SHARP, baseline="dvaepp_exp", struct="2-layer-nonlin", run_suffix="b"),
     (2, 400, 2, [], [H, H], 0.8, 1000, 1, 100, True, "binarized_mnist/2-layer-nonlin/dvaepp_exp/1-b")),
    (dict(codebase=DVAE_SHARP, baseline="dvaes_exp", struct="4-layer-nonlin", k=5, num_hidden_units=32),
     (4, 400, 2, [], [32, 32], 0.8, 1000, 1, 100, True, "binarized_mnist/4-layer-nonlin/dvaes_exp/5")),
    # Flags given override the code base's defaults.
    (dict(codebase=DVAE_SHARP, baseline="dvaes_power", struct="1-layer-lin", val_stride=4, val_iw_samples=7,
          prior_ais_temperatures=55),
     (1, 200, 0, [], [], 0.8, 55, 4, 7, True, "binarized_mnist/1-layer-lin/dvaes_power/1")),
    (dict(baseline="pwl_relax", dataset="omniglot", val_stride=3, val_iw_samples=9, prior_ais_temperatures=77),
     (1, 200, 2, [H, H], [], 0.99, 77, 3, 9, False, "omniglot/vae/200/pwl_relax/1/1")),
]


@pytest.mark.parametrize("kwargs,legacy", LEGACY, ids=[str(i) for i in range(len(LEGACY))])
def test_derived_defaults_are_the_legacy_ones(kwargs, legacy):
    config = Config(log_dir="/l", **kwargs).validate()
    *values, run_dir = legacy
    assert [config.num_groups, config.num_latents, config.num_hidden_layers, config.encoder_context_hidden,
            config.encoder_group_hidden, config.bn_momentum, config.prior_ais_temperatures, config.val_stride,
            config.validation_iw_samples, config.codebase_spec.test_nll_every_validation] == values
    assert config.run_dir == os.path.join("/l", *run_dir.split("/"))


def test_every_struct_and_experiment_is_covered():
    sharp = {kwargs.get("struct", "2-layer-nonlin") for kwargs, _ in LEGACY if kwargs.get("codebase") == DVAE_SHARP}
    sharpsharp = {kwargs.get("experiment", "vae") for kwargs, _ in LEGACY if "codebase" not in kwargs}
    assert sharp == set(STRUCTS) and sharpsharp == set(EXPERIMENTS)


def test_the_registry_names_each_record_by_its_flag_value():
    assert list(CODEBASES) == [DVAE_SHARPSHARP, DVAE_SHARP]
    assert all(isinstance(spec, CodebaseSpec) and spec.name == name for name, spec in CODEBASES.items())
    assert Config(codebase=DVAE_SHARP, baseline="dvaes_power").codebase_spec is CODEBASES[DVAE_SHARP]
    assert [spec.configured_by_struct for spec in CODEBASES.values()] == [False, True]


def test_an_experiment_or_struct_of_the_other_code_base_is_named():
    with pytest.raises(ValueError, match="--experiment=struct is a DVAE## experiment; the DVAE# code base trains "
                                         "--experiment=vae"):
        Config(codebase=DVAE_SHARP, baseline="dvaes_power", experiment="struct").validate()
    with pytest.raises(ValueError, match="--struct=1-layer-lin belongs to the DVAE# code base; use "
                                         "--codebase=dvae_sharp"):
        Config(baseline="dvaes_power", struct="1-layer-lin").validate()
    with pytest.raises(ValueError, match="--struct='3-layer' is invalid; valid values: 1-layer-lin, 1-layer-nonlin"):
        Config(codebase=DVAE_SHARP, baseline="dvaes_power", struct="3-layer")
