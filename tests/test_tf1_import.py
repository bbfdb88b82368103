"""Legacy TF1 checkpoints (written here in graph mode under the legacy variable names, random values) imported into
our model: encoder, decoder and prior outputs against a numpy forward pass of the same arrays; the run directory
import_tf1 writes and evaluates."""
import json
import os

import numpy as np
import pytest
import tensorflow as tf

from dvae_tf2.data import datasets
from dvae_tf2.training import tf1_import
from dvae_tf2.baselines import DVAE_SHARP
from dvae_tf2.config import Config
from dvae_tf2.model.dvae import build_model
from dvae_tf2.training import Trainer, restore_best_model
from dvae_tf2.tools import import_tf1
from tests.tf1_legacy import write_tf1_checkpoint

EPS = 1e-2          # the legacy batch norm's epsilon
HIDDEN = 200        # the legacy deterministic layers' width
TRAINING_SIZE = 7   # rows of the RBM posterior's persistent chains in these tests
STEP = 339999


def _network(rng, arrays, name, sizes):
    """Legacy FeedForwardNetwork arrays: layer_<i>/dense for each size pair, layer_<i>/bn on all but the last
    (with_output) or on all (a network without output layer, the DVAE## pre_proc)."""
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layer = f"{name}/layer_{i}"
        arrays[f"{layer}/dense/kernel"] = rng.normal(0, 1 / np.sqrt(fan_in), [fan_in, fan_out]).astype(np.float32)
        arrays[f"{layer}/dense/bias"] = rng.normal(0, 0.1, [fan_out]).astype(np.float32)
        if i < len(sizes) - 2 or name == "pre_proc":
            _batch_norm(rng, arrays, f"{layer}/bn", fan_out)


def _batch_norm(rng, arrays, name, width):
    arrays[f"{name}/gamma"] = rng.uniform(0.5, 1.5, [width]).astype(np.float32)
    arrays[f"{name}/beta"] = rng.normal(0, 0.1, [width]).astype(np.float32)
    arrays[f"{name}/moving_mean"] = rng.normal(0, 0.3, [width]).astype(np.float32)
    arrays[f"{name}/moving_variance"] = rng.uniform(0.5, 2.0, [width]).astype(np.float32)


def legacy_arrays(config, seed=0):
    """Random arrays under the names and shapes of the legacy graph of config, from the legacy code's scopes, plus
    optimizer state and the global step."""
    rng = np.random.default_rng(seed)
    arrays, n = {}, config.num_latents
    n1 = n // 2
    units = n // config.num_groups
    if config.codebase == DVAE_SHARP:          # 2-layer-nonlin: two groups of 2 hidden layers each
        for i in range(config.num_groups):
            _network(rng, arrays, f"lay0_enc_{i}", [784 + i * units, HIDDEN, HIDDEN, units])
        prior = ("Variable", "Variable_1", "Variable_2")
    elif config.baseline == "rbm_post":
        _network(rng, arrays, "lay0_enc", [784, HIDDEN, HIDDEN, n + n1 * n1])
        _batch_norm(rng, arrays, "rbm_post/bn_w", n1 * n1)
        prior = ("bias1", "bias2", "pairwise")
    else:
        _network(rng, arrays, "pre_proc", [784, HIDDEN, HIDDEN])
        for i in range(config.num_groups):
            _network(rng, arrays, f"lay0_enc_{i}", [HIDDEN + i * units, units])
        prior = ("bias1", "bias2", "pairwise")
    _network(rng, arrays, "recon_output", [n, HIDDEN, HIDDEN, 784])
    for name, shape in zip(prior, ([n1, 1], [n1, 1], [n1, n1])):
        arrays[name] = rng.normal(0, 0.3, shape).astype(np.float32)
    if config.baseline == "rbm_post":   # the persistent chains are unnamed: the graph's first Variable
        arrays["Variable"] = rng.integers(0, 2, [TRAINING_SIZE, config.k, n1]).astype(np.float32)
    arrays["lay0_enc_0/layer_0/dense/kernel/Adam" if "lay0_enc_0/layer_0/dense/kernel" in arrays
           else "lay0_enc/layer_0/dense/kernel/Adam"] = np.zeros([784, HIDDEN], np.float32)
    arrays["beta1_power"] = np.float32(0.9)
    arrays["global_step_var"] = np.int32(STEP + 1)
    return arrays


def _feed_forward(arrays, name, h):
    """The legacy network on h: dense, then batch norm (inference: moving statistics) and tanh except at the end."""
    i = 0
    while f"{name}/layer_{i}/dense/kernel" in arrays:
        layer = f"{name}/layer_{i}"
        h = h @ arrays[f"{layer}/dense/kernel"].astype(np.float64) + arrays[f"{layer}/dense/bias"]
        if f"{layer}/bn/gamma" in arrays:
            h = np.tanh(_bn(arrays, f"{layer}/bn", h))
        i += 1
    return h


def _bn(arrays, name, h):
    return (arrays[f"{name}/gamma"] * (h - arrays[f"{name}/moving_mean"])
            / np.sqrt(arrays[f"{name}/moving_variance"].astype(np.float64) + EPS) + arrays[f"{name}/beta"])


def _configs():
    return {"rbm_post": Config(baseline="rbm_post", num_latents=200, k=1).validate(),
            "pwl_relax": Config(baseline="pwl_relax", num_latents=200, num_groups=2).validate(),
            "2-layer-nonlin": Config(codebase=DVAE_SHARP, baseline="dvaes_power",
                                     struct="2-layer-nonlin").validate()}


@pytest.fixture(scope="module")
def inputs():
    rng = np.random.default_rng(5)
    mean = rng.uniform(0.05, 0.95, 784).astype(np.float32)
    x = (rng.uniform(size=[6, 784]) < mean).astype(np.float32)
    return mean, x


@pytest.mark.parametrize("name", ["rbm_post", "pwl_relax", "2-layer-nonlin"])
def test_imported_model_computes_the_legacy_networks_and_prior(tmp_path, inputs, name):
    config = _configs()[name]
    arrays = legacy_arrays(config)
    prefix = write_tf1_checkpoint(str(tmp_path / "legacy"), arrays, STEP)
    assert tf1_import.checkpoint_prefix(str(tmp_path / "legacy")) == prefix
    mean, x = inputs
    model = build_model(config, mean, training_size=TRAINING_SIZE)
    report = tf1_import.load_legacy_checkpoint(prefix, model)
    assert report.step == STEP + 1 and report.unmapped == []
    assert {n for n, _ in report.ignored} == {n for n in arrays if n.endswith("/Adam")} | {"beta1_power",
                                                                                         "global_step_var"}
    assert {n for n, _ in report.mapped} | {n for n, _ in report.ignored} == set(arrays)
    centered = x.astype(np.float64) - mean
    n1 = config.num_latents // 2
    if name == "rbm_post":   # b1, b2 and the batch-normed couplings, mapped to the {0,1} RBM as the legacy code
        out = _feed_forward(arrays, "lay0_enc", centered)
        coupling = (1.5 * _bn(arrays, "rbm_post/bn_w", out[:, 2 * n1:]) / np.sqrt(n1)).reshape(-1, n1, n1)
        expected = (2.0 * (out[:, :n1] - coupling.sum(2)), 2.0 * (out[:, n1:2 * n1] - coupling.sum(1)),
                    4.0 * coupling)
        params = model.encoder.params(centered.astype(np.float32), training=False)
        for ours, theirs in zip(params, expected):
            np.testing.assert_allclose(ours.numpy(), theirs, rtol=2e-4, atol=2e-4)
        np.testing.assert_array_equal(model.encoder.chains.numpy(), arrays["Variable"] > 0.5)
    else:   # group logits along the z_i = [logit_i > 0] path
        context = _feed_forward(arrays, "pre_proc", centered) if name == "pwl_relax" else centered
        expected, samples = [], []
        for i in range(config.num_groups):
            logits = _feed_forward(arrays, f"lay0_enc_{i}", np.concatenate([context] + samples, axis=1))
            expected.append(logits)
            samples.append((logits > 0).astype(np.float64))
        ours, _, _ = model.encoder.ancestral_pass(
            centered.astype(np.float32), 1, lambda output, i: (tf.cast(output > 0, tf.float32), None), False)
        for group, theirs in zip(ours, expected):
            np.testing.assert_allclose(group.numpy(), theirs, rtol=2e-4, atol=2e-4)
    z = np.random.default_rng(1).integers(0, 2, [5, config.num_latents]).astype(np.float32)
    clipped = np.clip(mean.astype(np.float64), 0.001, 0.999)
    decoder = _feed_forward(arrays, "recon_output", z.astype(np.float64)) + np.log(clipped / (1 - clipped))
    np.testing.assert_allclose(model.decoder_logits(z, training=False).numpy(), decoder, rtol=2e-4, atol=2e-4)
    names = ("Variable", "Variable_1", "Variable_2") if config.codebase == DVAE_SHARP else ("bias1", "bias2",
                                                                                             "pairwise")
    b1, b2, w = (arrays[n].astype(np.float64) for n in names)
    energy = -(z[:, :n1] @ b1[:, 0] + z[:, n1:] @ b2[:, 0] + np.sum((z[:, :n1] @ w) * z[:, n1:], axis=1))
    np.testing.assert_allclose(model.prior.energy(z).numpy(), energy, rtol=1e-5, atol=1e-4)


def test_missing_and_misshaped_variables_are_one_error_naming_them(tmp_path, inputs):
    config = _configs()["pwl_relax"]
    model = build_model(config, inputs[0], training_size=TRAINING_SIZE)
    arrays = legacy_arrays(config)
    del arrays["lay0_enc_1/layer_0/dense/bias"]
    prefix = write_tf1_checkpoint(str(tmp_path / "a"), arrays, STEP)
    with pytest.raises(tf1_import.LegacyCheckpointError,
                       match="lacks the legacy variable lay0_enc_1/layer_0/dense/bias that --baseline=pwl_relax"):
        tf1_import.load_legacy_checkpoint(prefix, model)
    arrays = legacy_arrays(Config(baseline="pwl_relax", num_latents=400, num_groups=2).validate())
    prefix = write_tf1_checkpoint(str(tmp_path / "b"), arrays, STEP)
    with pytest.raises(tf1_import.LegacyCheckpointError,
                       match=r"legacy variable lay0_enc_0/layer_0/dense/kernel has shape \[200, 200\], but .* needs "
                             r"\[200, 100\] for this configuration"):
        tf1_import.load_legacy_checkpoint(prefix, model)
    arrays = legacy_arrays(config)
    arrays["qupa/population"] = np.zeros([3], np.float32)   # e.g. the legacy sampler's state: reported
    model = build_model(config, inputs[0], training_size=TRAINING_SIZE)
    assert tf1_import.load_legacy_checkpoint(write_tf1_checkpoint(str(tmp_path / "c"), arrays, STEP),
                                             model).unmapped == ["qupa/population"]
    with pytest.raises(FileNotFoundError, match="holds no TF1 checkpoint"):
        tf1_import.checkpoint_prefix(str(tmp_path))


@pytest.mark.slow
def test_import_tf1_writes_an_evaluated_run_our_tools_load(tmp_path, shared_data_dir, capsys):
    splits = datasets.load_dataset("binarized_mnist", shared_data_dir, download=False)
    flags = ["--baseline=rbm_post", "--num_latents=200", f"--log_dir={tmp_path / 'ours'}", "--run_suffix=tf1",
             f"--data_dir={shared_data_dir}", "--eval_iw_samples=4", "--test_subset=20", "--val_stride=1000",
             "--prior_ais_chains=32", "--prior_ais_temperatures=50", "--posterior_ais_temperatures=10",
             "--xla=false"]
    legacy_dir = tmp_path / "legacy" / "binarized_mnist" / "vae" / "200" / "rbm_post" / "1" / "1"
    config = Config(baseline="rbm_post", num_latents=200)
    arrays = legacy_arrays(config)
    arrays["Variable"] = np.zeros([len(splits.train), 1, 100], np.float32)
    write_tf1_checkpoint(str(legacy_dir), arrays, STEP)
    assert import_tf1.main(["import_tf1", f"--checkpoint={legacy_dir}"] + flags) == 0
    printed = json.loads(capsys.readouterr().out)
    run_dir = printed["run_dir"]
    assert run_dir.endswith(os.path.join("rbm_post", "1", "1-tf1")) and printed["legacy_step"] == STEP + 1
    results = json.load(open(os.path.join(run_dir, "results.json")))
    assert results["steps"] == STEP + 1 and results["test_images"] == 20 and results["eval_iw_samples"] == 4
    assert np.isfinite(results["test_neg_ll"]) and results["test_neg_ll"] <= results["test_neg_elbo"] + 1e-3
    assert printed["test_neg_ll"] == results["test_neg_ll"] and printed["unmapped"] == []
    report = json.load(open(os.path.join(run_dir, tf1_import.REPORT_FILE)))
    assert len(report["mapped"]) == len(arrays) - 3
    saved = json.load(open(os.path.join(run_dir, "config.json")))
    model, step = restore_best_model(Config(**saved).validate(), splits)
    assert step == STEP + 1
    np.testing.assert_array_equal(model.prior.w.numpy(), arrays["pairwise"])
    resumed = Trainer(Config(**saved).validate(), splits, resume=True)   # --resume loads it too
    assert resumed.step == STEP + 1
    np.testing.assert_array_equal(resumed.model.decoder.output_layer.kernel.numpy(),
                                  arrays["recon_output/layer_2/dense/kernel"])
