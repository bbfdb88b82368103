"""End-to-end: short real training runs on binarized MNIST and synthetic OMNIGLOT (slow; they run in CI)."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from dvae_tf2.data import datasets
from dvae_tf2.tools import summarize
from dvae_tf2.config import Config
from dvae_tf2.training import CheckpointMismatchError, Trainer, load_run_config, restore_best_model
from tests.synthetic_data import write_chardata
from tests.tiny_models import all_model_variables

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def mnist(shared_data_dir):
    return datasets.load_dataset("binarized_mnist", shared_data_dir, download=False)


def _config(log_dir, data_dir, **overrides):
    base = dict(log_dir=str(log_dir), data_dir=data_dir, baseline="pwl_relax", num_latents=40, num_hidden_units=64,
                num_train_iter=400, eval_every=200, num_prior_samples=100, num_prior_sweeps=5,
                prior_ais_chains=128, prior_ais_temperatures=300, posterior_ais_temperatures=50,
                eval_iw_samples=20, val_stride=50, test_subset=200, summary_every=100, seed=5)
    base.update(overrides)
    return Config(**base).validate()


@pytest.mark.slow
@pytest.mark.parametrize("baseline", ["pwl_relax", "rbm_post"])
def test_short_training_lowers_validation_nll(tmp_path, shared_data_dir, mnist, baseline):
    config = _config(tmp_path, shared_data_dir, baseline=baseline)
    trainer = Trainer(config, mnist)
    trainer.refresh_prior_log_z()
    before = trainer.evaluate(mnist.valid[::50], config.eval_iw_samples, "initial")
    results = trainer.train()
    assert results["val_neg_ll"] < before.neg_ll - 50, (before, results)
    assert results["test_neg_ll"] <= results["test_neg_elbo"] + 1e-3
    assert 60 < results["test_neg_ll"] < 250
    saved = json.load(open(os.path.join(config.run_dir, "results.json")))
    for key in ("config", "steps", "wall_time_s", "val_neg_elbo", "val_neg_ll", "test_neg_elbo", "test_neg_ll",
                "prior_log_z"):
        assert key in saved
    assert saved["steps"] == 400 and saved["config"]["baseline"] == baseline
    # steps_per_s counts the session's first step, which compiles the step; compiled_steps_per_s does not.
    assert saved["compiled_steps_per_s"] > saved["steps_per_s"] > 0
    bias = saved["prior_sampler_bias"]   # measured at the best checkpoint, whose population was re-anchored
    assert abs(bias["log_z_lag"]) < 0.5 and 0 < bias["grad_error"] < 10 * bias["grad_noise_floor"], bias
    assert 0 < bias["grad_bias"] < 5, bias
    table = summarize.markdown_table([result for _, result in summarize.find_results(config.log_dir)])
    assert f"| {baseline} | 1 | 1 | 400 |" in table and f"| {results['test_neg_ll']:.2f} |" in table
    events = [f for f in os.listdir(config.run_dir) if f.startswith("events.out.tfevents")]
    assert events and os.path.exists(os.path.join(config.run_dir, "samples.png"))
    tags = {value.tag for f in events
            for event in tf.compat.v1.train.summary_iterator(os.path.join(config.run_dir, f))
            for value in event.summary.value}
    posterior_tag = "posterior/w" if baseline == "rbm_post" else "posterior/q"
    assert {"train/objective", "obj/recon_loss", "obj/kl", "weigh_decay/total", "kl_coeff", "learning_rate", "beta",
            "prior/log_z_train", "prior/sampler_ess", "val/neg_elbo", "val/neg_ll", "prior/log_z_ais",
            "prior/grad_bias", "prior/log_z_lag", "prior/grad_error", "test/neg_ll", "test/neg_elbo", "recon/image",
            "val/reconstruction_images", "samples/generated", "prior/w", posterior_tag} <= tags, tags
    # The best checkpoint restores every variable of the model the final evaluation used.
    restored, step = restore_best_model(load_run_config(config.run_dir), mnist)
    assert step == results["best_step"]
    def weights(model):   # what the final evaluation does not change (it refreshes log Z and draws noise)
        chains = [model.encoder.chains] if baseline == "rbm_post" else []
        return model.encoder.variables + model.decoder.variables + model.prior.variables_to_train + chains

    for a, b in zip(weights(restored), weights(trainer.model), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    # Posterior analysis command on the trained run (rbm_post only).
    analysis = subprocess.run([sys.executable, "analyze_posterior.py", f"--run_dir={config.run_dir}",
                               f"--data_dir={shared_data_dir}", "--num_images=20", "--num_starts=10"],
                              cwd=_REPO, capture_output=True, text=True, timeout=600)
    if baseline != "rbm_post":
        assert analysis.returncode != 0 and "whose posterior is directed" in analysis.stderr
        return
    assert analysis.returncode == 0, analysis.stderr[-3000:]
    report = json.load(open(os.path.join(config.run_dir, "posterior_analysis.json")))
    assert report["num_images"] == 20 and report["modes_mean"] >= 1 and report["mean_field_kl_mean"] > 0
    assert len(report["per_image"]["num_modes"]) == 20


@pytest.mark.slow
@pytest.mark.parametrize("baseline,k", [("rbm_post", 2)])
def test_resumed_run_matches_uninterrupted_run(tmp_path, shared_data_dir, mnist, baseline, k):
    # Weights, optimizer, BN statistics, posterior chains, sampler population, RNG states all come back; the
    # prior sampler's restarts too (after steps 10 and 20; the one after step 30, the interruption, in the resumed
    # session). rbm_post holds every kind of state; directed posteriors' resumes are checked bitwise in
    # test_determinism and across real signals in test_interruptions.
    run = dict(num_train_iter=40, eval_every=20, baseline=baseline, k=k, prior_reanneal_every=10)
    straight = Trainer(_config(tmp_path / "a", shared_data_dir, **run), mnist)
    straight.train(until_step=40 - 1)
    config_b = _config(tmp_path / "b", shared_data_dir, **run)
    Trainer(config_b, mnist).train(until_step=30)
    resumed = Trainer(config_b, mnist, resume=True)
    assert resumed.step == 30
    resumed.train(until_step=40 - 1)

    def state(trainer):
        return [np.asarray(v) for v in all_model_variables(trainer.model) + trainer.optimizer.variables]

    for a, b in zip(state(straight), state(resumed), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    with pytest.raises(CheckpointMismatchError, match="num_hidden_units: saved 64 vs requested 32"):
        Trainer(_config(tmp_path / "b", shared_data_dir, **run, num_hidden_units=32), mnist, resume=True)
    with pytest.raises(FileExistsError, match="--resume"):
        Trainer(config_b, mnist)


@pytest.mark.slow
def test_legacy_readme_command_runs_verbatim(tmp_path, shared_data_dir):
    # The DVAE## README example (rbm_post, misspelt --dateset), shortened by the flags after --num_latents.
    command = [sys.executable, "main.py", f"--log_dir={tmp_path}", f"--data_dir={shared_data_dir}", "--L=1",
               "--baseline=rbm_post", "--dateset=binarized_mnist", "--experiment=vae", "--k=1",
               "--num_latents=200", "--num_train_iter=30", "--eval_iw_samples=10", "--val_stride=500",
               "--test_subset=20", "--posterior_ais_temperatures=50", "--num_prior_samples=100",
               "--prior_ais_temperatures=200",
               "--prior_ais_chains=64", "--num_prior_sweeps=3"]
    run = subprocess.run(command, cwd=_REPO, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "--dateset is a misspelling" in run.stderr
    results = json.load(open(tmp_path / "binarized_mnist/vae/200/rbm_post/1/1/results.json"))
    assert results["steps"] == 30 and np.isfinite(results["test_neg_ll"])

    bad = subprocess.run([sys.executable, "main.py", "--baseline=pwl_relax", "--L=3"], cwd=_REPO,
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode != 0 and "--L=3 is invalid; valid values: 1, 2, 4" in bad.stderr


@pytest.mark.slow
def test_structured_prediction_on_omniglot_with_concrete_hierarchical_posterior(tmp_path):
    # Synthetic chardata.mat: dynamic binarization of training batches, struct objective, L = 2, gsm_relax.
    write_chardata(tmp_path / "data", num_train=1345 + 500, num_test=100)
    splits = datasets.load_dataset("omniglot", str(tmp_path / "data"), download=False)
    config = _config(tmp_path / "logs", str(tmp_path / "data"), dataset="omniglot", experiment="struct",
                     baseline="gsm_relax", num_groups=2, k=2, num_train_iter=200, eval_every=100, val_stride=5,
                     test_subset=0, beta=10.0, base_lr=3e-3)
    trainer = Trainer(config, splits)
    before = trainer.evaluate(splits.valid[::5], config.eval_iw_samples, "initial")
    results = trainer.train()
    assert results["val_neg_ll"] < before.neg_ll - 5, (before, results)
    # The legacy struct -ELBO, E[log q + cost], is no bound; the mean cost is.
    assert results["test_neg_ll"] <= results["test_cost"] + 1e-3 and results["prior_log_z"] is None
    assert results["test_neg_elbo"] < results["test_cost"]
    assert results["test_images"] == 100 and results["config"]["dataset"] == "omniglot"
