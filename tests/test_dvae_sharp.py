"""The DVAE# code base: its objectives per baseline family and a short real run per --struct (slow ones run in CI)."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from dvae_tf2.data import datasets
from dvae_tf2.model import objectives
from dvae_tf2.config import Config
from dvae_tf2.distributions import OverlappingMixture, PowerFunctionSmoothing
from dvae_tf2.distributions.overlapping import MIXTURE, STOPPED_MIXTURE
from dvae_tf2.model.dvae import DVAE
from dvae_tf2.priors.overlapping_kl import overlapping_cross_entropy_kl
from dvae_tf2.training import Trainer

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def mnist(shared_data_dir):
    return datasets.load_dataset("binarized_mnist", shared_data_dir, download=False)


def _sharp(log_dir, data_dir, **overrides):
    base = dict(codebase="dvae_sharp", log_dir=str(log_dir), data_dir=data_dir, baseline="dvaes_power",
                struct="1-layer-nonlin", num_hidden_units=64, num_train_iter=200, eval_every=100,
                num_prior_samples=100, num_prior_sweeps=5, prior_ais_chains=128, prior_ais_temperatures=300,
                eval_iw_samples=20, val_iw_samples=10, val_stride=50, test_subset=200, summary_every=100, seed=4)
    base.update(overrides)
    return Config(**base).validate()


def _model(baseline, struct, k, images):
    config = _sharp("/tmp", "/tmp", baseline=baseline, struct=struct, k=k, num_hidden_units=16)
    model = DVAE(config, images.mean(axis=0), training_size=len(images))
    rng = np.random.default_rng(0)
    model.prior.w.assign(rng.normal(0, 0.05, model.prior.w.shape).astype(np.float32))
    return model


@pytest.fixture(scope="module")
def images(shared_data_dir):
    return np.load(f"{shared_data_dir}/binarized_mnist/binarized_mnist_valid.npz")["arr_0"][:8].astype(np.float32)


def test_dvaepp_one_layer_kl_is_the_exact_bernoulli_kl_form(images):
    # 1-layer: nu1 = q1, so the training KL is -b.q - q1^T W q2 + log Z - H(q), whatever the sample.
    model = _model("dvaepp_power", "1-layer-lin", 1, images)
    draw = model.encoder.training_draw(model.encoder_input(images), None, 1, model.rng)
    log_z = tf.constant(3.0)
    kl = model.prior.cross_entropy(draw, log_z) + draw.neg_entropy
    expected = overlapping_cross_entropy_kl(model.prior.params(), 100, draw.logits, tf.zeros_like(draw.logits[:, :100]),
                                            log_z)
    np.testing.assert_allclose(kl.numpy(), expected.numpy(), rtol=1e-5)
    rb = tf.concat([tf.sigmoid(draw.logits)], axis=-1)
    np.testing.assert_allclose(kl.numpy(), (model.prior.energy(rb) + log_z - objectives.bernoulli_entropy(
        draw.logits)).numpy(), rtol=1e-5)


def test_dvaepp_hierarchical_kl_uses_the_log_ratio_at_the_first_half_sample(images):
    model = _model("dvaepp_exp", "2-layer-nonlin", 1, images)
    draw = model.encoder.training_draw(model.encoder_input(images), None, 1, model.rng)
    kl_with = model.prior.cross_entropy(draw, tf.constant(0.0))
    model.prior.use_log_ratio = False
    kl_without = model.prior.cross_entropy(draw, tf.constant(0.0))
    assert not np.allclose(kl_with.numpy(), kl_without.numpy())


@pytest.mark.parametrize("baseline,k,iw,same_surrogates", [
    ("dvaes_exp", 3, True, True),        # DVAE#: plain IWAE surrogate for every parameter
    ("dvaepp_exp", 3, False, True),      # DVAE++: the 3 samples' ELBOs averaged, no IW
])
def test_k_samples_objective_per_family(images, baseline, k, iw, same_surrogates):
    model = _model(baseline, "1-layer-nonlin", k, images)
    assert model.config.use_iw == iw
    losses = model.training_losses(tf.constant(images), tf.range(len(images)), tf.constant(0.7))
    assert np.isfinite(losses.objective.numpy()) and losses.log_weights.shape == (len(images), k)
    assert (float(losses.loss_p) == float(losses.loss_q)) == same_surrogates
    if not iw:
        assert float(losses.objective) == pytest.approx(float(losses.reconstruction) + 0.7 * float(losses.kl),
                                                        rel=1e-5)


def test_gaussian_integral_baseline_trains_its_scales_and_keeps_lambda_above_the_spectrum(images):
    model = _model("dvaes_gi", "2-layer-nonlin", 1, images)
    encoder = model.encoder
    assert [layer.output_layer.units for layer in encoder.group_layers] == [400, 400]     # [l, l_delta] per group
    scales = [encoder.scale_0, encoder.scale_1]
    assert all(np.array_equal(v.numpy(), np.ones([1, 200])) for v in scales)
    assert not any(v is s for v in model.decay_variables for s in scales)
    model.prior.w.assign(np.random.default_rng(1).normal(0, 1.0, [200, 200]).astype(np.float32))
    sigma_max = np.linalg.svd(model.prior.w.numpy(), compute_uv=False)[0]
    shifts = [float(model.prior.diagonal_shift()) for _ in range(60)]   # power iterations carried across steps
    assert all(shift <= max(sigma_max + 5.0, 30.0) * (1 + 1e-5) for shift in shifts)
    assert shifts[-1] == pytest.approx(max(sigma_max + 5.0, 30.0), rel=1e-3)
    with tf.GradientTape() as tape:
        losses = model.training_losses(tf.constant(images), tf.range(len(images)), tf.constant(1.0))
    grads = tape.gradient(losses.loss_p, scales + [model.prior.w])
    assert np.isfinite(losses.objective.numpy()) and all(np.all(np.isfinite(g)) and np.any(g != 0) for g in grads)


@pytest.mark.slow
@pytest.mark.parametrize("struct,baseline,k", [
    ("1-layer-lin", "dvaepp_exp", 1), ("1-layer-nonlin", "dvaes_gi", 1), ("2-layer-nonlin", "dvaes_gauss", 1),
    ("4-layer-nonlin", "dvae_spike_exp", 1)])
def test_short_dvae_sharp_run_per_struct_lowers_the_nll(tmp_path, shared_data_dir, mnist, struct, baseline, k):
    config = _sharp(tmp_path, shared_data_dir, struct=struct, baseline=baseline, k=k)
    trainer = Trainer(config, mnist)
    trainer.refresh_prior_log_z()
    before = trainer.evaluate(mnist.valid[::50], 10, "initial")
    results = trainer.train()
    assert results["val_neg_ll"] < before.neg_ll - 40, (before, results)
    assert results["test_neg_ll"] <= results["test_neg_elbo"] + 1e-3 and 80 < results["test_neg_ll"] < 250
    assert os.path.exists(os.path.join(tmp_path, "binarized_mnist", struct, baseline, str(k), "results.json"))
    events = [f for f in os.listdir(config.run_dir) if f.startswith("events.out.tfevents")]
    tags = {value.tag for f in events for event in tf.compat.v1.train.summary_iterator(os.path.join(config.run_dir, f))
            for value in event.summary.value}
    assert {"val/neg_ll", "test_periodic/neg_ll", "test/neg_ll"} <= tags


@pytest.mark.slow
def test_dvae_sharp_readme_command_runs_verbatim(tmp_path, shared_data_dir):
    # The DVAE# README example, shortened by the flags after --k.
    command = [sys.executable, "main.py", f"--log_dir={tmp_path}", f"--data_dir={shared_data_dir}",
               "--dataset=binarized_mnist", "--baseline=dvaes_exp", "--struct=4-layer-nonlin", "--k=5",
               "--num_train_iter=40", "--eval_iw_samples=10", "--val_stride=100", "--test_subset=100",
               "--num_prior_samples=100", "--prior_ais_temperatures=200", "--prior_ais_chains=64",
               "--num_prior_sweeps=3", "--eval_batchsize=100"]
    run = subprocess.run(command, cwd=_REPO, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.load(open(tmp_path / "binarized_mnist/4-layer-nonlin/dvaes_exp/5/results.json"))
    assert results["steps"] == 40 and results["config"]["beta"] == 10.0 and np.isfinite(results["test_neg_ll"])
    mixed = subprocess.run([sys.executable, "main.py", "--struct=1-layer-lin", "--L=2"], cwd=_REPO,
                           capture_output=True, text=True, timeout=300)
    assert mixed.returncode != 0 and "cannot be mixed" in mixed.stderr


def test_log_q_keeps_its_q_gradient_in_the_dvae_sharp_code_base_only():
    # DVAE##: log q(zeta) with q stopped (the gradient reaches the encoder through zeta alone); DVAE#: not.
    logits, zeta = tf.Variable([[0.3, -0.5]]), tf.constant([[0.2, 0.9]])
    for terms, has_q_gradient in ((STOPPED_MIXTURE, False), (MIXTURE, True)):
        with tf.GradientTape() as tape:
            log_q = OverlappingMixture(logits, PowerFunctionSmoothing(30.0), terms).objective_log_prob(zeta)
        grad = tape.gradient(log_q, logits)
        assert (grad is not None and np.any(grad.numpy() != 0)) == has_q_gradient
