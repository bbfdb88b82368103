"""Command line: the legacy DVAE## invocation parses; bad values fail naming the flag."""
import dataclasses
import os

import pytest
from absl import flags

import flags as dvae_flags
from dvae_tf2.config import Config

LEGACY_EXAMPLE = ["main.py", "--log_dir=/tmp/logs", "--data_dir=/tmp/data", "--L=1", "--baseline=rbm_post",
                  "--dateset=binarized_mnist", "--experiment=vae", "--k=1", "--num_latents=200"]


def _parse(argv):
    fv = flags.FlagValues()
    dvae_flags.define_flags(fv)
    fv(argv)
    return dvae_flags.config_from_flags(fv)


def test_legacy_readme_example_builds_the_legacy_config():
    config = _parse(LEGACY_EXAMPLE)
    assert (config.dataset, config.baseline, config.num_groups, config.k, config.num_latents) == (
        "binarized_mnist", "rbm_post", 1, 1, 200)
    assert config.beta == 4.0 and config.base_lr == 3e-3 and config.prior_sampler == "pa"
    assert config.num_train_iter == 1_000_000 and config.eval_every == 20000 and config.eval_iw_samples == 4000
    assert config.run_dir == os.path.join("/tmp/logs", "binarized_mnist", "vae", "200", "rbm_post", "1", "1")


def test_defaults_follow_dataset_experiment_and_length():
    config = _parse(["main.py", "--baseline=pwl_relax", "--dataset=omniglot", "--experiment=struct",
                     "--num_train_iter=50000", "--qupa=false"])
    assert config.beta == 3.0 and config.base_lr == 3e-4 and config.num_hidden_layers == 1
    assert config.eval_every == 10000 and config.prior_sampler == "pcd"
    assert _parse(["main.py", "--baseline=gsm_relax", "--beta=7"]).beta == 7.0
    # Validation uses the test's IW sample count unless told otherwise.
    assert _parse(["main.py", "--baseline=pwl_relax", "--eval_iw_samples=300"]).validation_iw_samples == 300
    config = _parse(["main.py", "--baseline=pwl_relax", "--eval_iw_samples=300", "--val_iw_samples=20"])
    assert (config.validation_iw_samples, config.eval_iw_samples) == (20, 300)
    assert not config.deterministic and _parse(["main.py", "--baseline=pwl_relax", "--deterministic"]).deterministic


@pytest.mark.parametrize("argv,message", [
    (["--baseline=foo"], "baseline"),
    (["--dataset=mnist"], "dataset"),
    (["--experiment=gan"], "experiment"),
    (["--k=0"], "k"),
    (["--val_iw_samples=-1"], "val_iw_samples"),
    (["--prior_old_sweep_fraction=1.0"], "prior_old_sweep_fraction"),
    (["--prior_reanneal_every=-5"], "prior_reanneal_every"),
    (["--prior_reanneal_temperatures=1"], "prior_reanneal_temperatures"),
    (["--gi_scale_gradient=exakt"], "gi_scale_gradient"),
    (["--seed=-1"], "seed"),
])
def test_bad_enum_and_range_values_name_the_flag(argv, message):
    with pytest.raises(flags.IllegalFlagValueError, match=message):
        _parse(["main.py"] + argv)


@pytest.mark.parametrize("argv,message", [
    (["--baseline=pwl_relax", "--L=3"], r"--L=3 is invalid; valid values: 1, 2, 4"),
    (["--baseline=rbm_post", "--L=2"], r"--L=2 is invalid with --baseline=rbm_post"),
    (["--baseline=pwl_relax", "--dateset=mnist"], r"--dateset='mnist' is invalid; valid values: binarized_mnist"),
    (["--baseline=pwl_relax", "--L=4", "--num_latents=202"], r"--num_latents=202"),
])
def test_bad_combinations_fail_with_the_valid_values(argv, message):
    with pytest.raises(ValueError, match=message):
        _parse(["main.py"] + argv)


def test_legacy_default_baseline_is_dvaes_power_with_beta_30():
    config = _parse(["main.py", "--log_dir=/tmp/logs"])
    assert (config.baseline, config.beta, config.num_groups) == ("dvaes_power", 30.0, 1)
    assert config.run_dir == os.path.join("/tmp/logs", "binarized_mnist", "vae", "200", "dvaes_power", "1", "1")


def test_prior_sampler_settings_reach_the_config():
    config = _parse(["main.py", "--baseline=pwl_relax", "--prior_old_sweep_fraction=0.5", "--prior_reanneal_every=0",
                     "--prior_reanneal_temperatures=300"])
    assert (config.prior_old_sweep_fraction, config.prior_reanneal_every, config.prior_reanneal_temperatures) == \
        (0.5, 0, 300)
    with pytest.raises(ValueError, match=r"prior_old_sweep_fraction=1.5 must be in \[0, 1\)"):
        Config(prior_old_sweep_fraction=1.5).validate()


def test_validation_stride_defaults_to_the_legacy_one_per_dataset():
    assert _parse(["main.py", "--baseline=pwl_relax"]).val_stride == 10             # MNIST: valid[::10]
    assert _parse(["main.py", "--baseline=pwl_relax", "--dataset=omniglot"]).val_stride == 1  # all 1345
    assert _parse(["main.py", "--baseline=pwl_relax", "--dataset=omniglot", "--val_stride=4"]).val_stride == 4
    with pytest.raises(flags.IllegalFlagValueError, match="val_stride"):
        _parse(["main.py", "--val_stride=0"])


def test_dvae_sharp_readme_example_builds_the_dvae_sharp_config():
    config = _parse(["main.py", "--log_dir=LOGS", "--data_dir=DATA", "--dataset=binarized_mnist",
                     "--baseline=dvaes_exp", "--struct=4-layer-nonlin", "--k=5"])
    assert (config.codebase, config.struct, config.num_groups, config.num_latents) == ("dvae_sharp", "4-layer-nonlin",
                                                                                        4, 400)
    assert config.beta == 10.0 and config.use_iw and config.prior_ais_temperatures == 1000
    assert config.run_dir == os.path.join("LOGS", "binarized_mnist", "4-layer-nonlin", "dvaes_exp", "5")
    # --beta overrides the table (the legacy code crashed on it); --train_batchsize is --batch_size.
    config = _parse(["main.py", "--baseline=dvaepp_power", "--struct=1-layer-lin", "--beta=7", "--train_batchsize=50",
                     "--eval_batchsize=20", "--qupa=false"])
    assert (config.beta, config.batch_size, config.eval_rows_per_batch, config.prior_sampler) == (7.0, 50, 2000, "pcd")


@pytest.mark.parametrize("argv,codebase", [
    (["--baseline=dvaes_power"], "dvae_sharpsharp"),                 # in both: DVAE## unless told otherwise
    (["--baseline=dvaes_power", "--qupa=true"], "dvae_sharp"),
    (["--baseline=dvaes_power", "--beta=20"], "dvae_sharp"),
    (["--baseline=dvaes_power", "--L=2"], "dvae_sharpsharp"),
    (["--baseline=dvaes_power", "--struct=1-layer-lin"], "dvae_sharp"),
    (["--baseline=dvaes_power", "--codebase=dvae_sharp"], "dvae_sharp"),
    (["--baseline=dvaes_power", "--codebase=dvae_sharpsharp", "--beta=20"], "dvae_sharpsharp"),
    (["--baseline=dvaepp_exp"], "dvae_sharp"),                      # in one only
    (["--baseline=rbm_post"], "dvae_sharpsharp"),
])
def test_code_base_follows_the_flags_given(argv, codebase):
    assert _parse(["main.py"] + argv).codebase == codebase


@pytest.mark.parametrize("argv,message", [
    (["--struct=1-layer-lin", "--L=2"], r"--struct \(DVAE# code base\) and --L \(DVAE## code base\) cannot be mixed"),
    (["--train_batchsize=10", "--num_latents=400", "--experiment=vae"],
     r"--train_batchsize \(DVAE# code base\) and --experiment, --num_latents \(DVAE## code base\)"),
    (["--codebase=dvae_sharp", "--L=2"], r"--L does not belong to --codebase=dvae_sharp"),
    (["--codebase=dvae_sharpsharp", "--struct=1-layer-lin"], r"--struct does not belong to --codebase=dvae_sharpsharp"),
    (["--baseline=rbm_post", "--struct=1-layer-lin"], r"--baseline='rbm_post' is invalid for the dvae_sharp"),
    (["--batch_size=10", "--train_batchsize=10"], r"--batch_size and --train_batchsize name the same setting"),
    (["--struct=1-layer-lin", "--input_size=100"], r"--input_size=100 is invalid; valid values: 784"),
])
def test_mixed_or_invalid_code_base_flags_fail_with_one_line(argv, message):
    with pytest.raises(ValueError, match=message):
        _parse(["main.py"] + argv)


def test_gi_scale_gradient_is_legacy_by_default_and_reaches_the_posterior():
    argv = ["main.py", "--baseline=dvaes_gi", "--struct=1-layer-nonlin"]
    assert _parse(argv).gi_scale_gradient == "legacy"
    config = _parse(argv + ["--gi_scale_gradient=exact"])
    assert config.gi_scale_gradient == "exact"
    posterior = config.baseline_spec.posterior(config, 10, seed=0)
    assert posterior.scale_gradient == "exact"
    with pytest.raises(ValueError, match="--gi_scale_gradient='exakt' is invalid; valid values: legacy, exact"):
        Config(gi_scale_gradient="exakt").validate()
    with pytest.raises(ValueError, match="--seed=-2 must be >= 0"):
        Config(seed=-2).validate()


def test_flag_reference_doc_matches_the_flag_definitions():
    from flags import reference
    committed = reference.DOC_PATH.read_text()
    assert committed == reference.markdown(), "docs/flags.md is out of date: run python -m flags.reference"
    every_flag = flags.FlagValues()
    dvae_flags.define_import_tf1_flags(every_flag)
    ours = {name for module, flag_list in every_flag.flags_by_module_dict().items() if module.startswith("flags")
            for name in (f.name for f in flag_list)}
    documented = {line.split("`--")[1].split("`")[0] for line in committed.splitlines() if line.startswith("| `--")}
    assert documented == ours


def test_flag_reference_check_mode_reports_a_stale_file(tmp_path):
    from flags import reference
    stale = tmp_path / "flags.md"
    stale.write_text("# old\n")
    assert reference.main(["--check", str(stale)]) == 1
    assert reference.main([str(stale)]) == 0 and reference.main(["--check", str(stale)]) == 0
    assert stale.read_text() == reference.markdown()


def test_every_flag_reaches_the_config_under_its_field():
    """A same-named flag sets its field with no mapping written anywhere; no flag is silently dropped."""
    fv = flags.FlagValues()
    dvae_flags.define_import_tf1_flags(fv)
    fields = {field.name for field in dataclasses.fields(Config)}
    ours = [f.name for module, flag_list in fv.flags_by_module_dict().items() if module.startswith("flags")
            for f in flag_list]
    field_of_flag = {flag: field for field, flag in dvae_flags.FLAG_OF_FIELD.items()}
    unmapped = [name for name in ours if field_of_flag.get(name, name) not in fields
                and name not in dvae_flags.NOT_CONFIG_FLAGS]
    assert unmapped == []
    # Non-default values of a few plain fields, a renamed one and a combined one arrive as given.
    config = _parse(["main.py", "--baseline=pwl_relax", "--num_hidden_units=64", "--prior_reanneal_every=7",
                     "--L=2", "--xla=False", "--test_subset=3", "--seed=11", "--checkpoint_every_secs=5"])
    assert (config.num_hidden_units, config.prior_reanneal_every, config.num_groups, config.jit_compile) == (
        64, 7, 2, False)
    assert (config.test_subset, config.seed, config.checkpoint_every_secs) == (3, 11, 5.0)
