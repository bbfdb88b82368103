"""Per-image test log-likelihoods: the Evaluator returns them, the final evaluation saves them, seeds get own dirs."""
import json
import os

import numpy as np
import pytest
import tensorflow as tf
from absl import flags
from scipy.special import logsumexp

import flags as dvae_flags
from dvae_tf2.analysis import uncertainty
from dvae_tf2.data import datasets
from dvae_tf2.config import Config
from dvae_tf2.model.dvae import EvaluationTerms
from dvae_tf2.training import Trainer
from dvae_tf2.training.evaluation import Evaluator


class _FixedWeights:
    """Stands in for a DVAE: log w[i, k] = -(sum of image i's pixels) + k (so log p(x) is known per image)."""

    def evaluation_terms(self, x, num_samples):
        base = -tf.reduce_sum(x, axis=-1, keepdims=True)
        log_w = base + tf.range(num_samples, dtype=tf.float32)[None, :]
        return EvaluationTerms(log_weights=log_w, elbo=log_w, log_px=log_w)


def test_evaluator_returns_per_image_log_likelihoods_in_input_order():
    images = np.zeros((7, 5), np.float32)
    for i in range(7):
        images[i, : i % 5] = 1.0
    result = Evaluator(_FixedWeights(), rows_per_batch=6)(images, num_samples=3)   # 2 images per batch
    expected = -images.sum(axis=1) + logsumexp(np.arange(3.0)) - np.log(3.0)
    np.testing.assert_allclose(result.log_likelihoods, expected, rtol=1e-6)
    assert result.log_likelihoods.dtype == np.float64 and result.num_images == 7
    assert result.neg_ll == pytest.approx(-expected.mean(), rel=1e-6)
    assert result.neg_ll_stderr == pytest.approx(np.std(expected, ddof=1) / np.sqrt(7), rel=1e-6)


def test_uncertainty_helpers():
    assert uncertainty.standard_error([1.0, 3.0]) == pytest.approx(1.0)
    assert np.isnan(uncertainty.standard_error([2.0]))
    difference, stderr = uncertainty.paired_difference([5.0, 7.0, 9.0], [4.0, 5.0, 6.0])
    assert difference == pytest.approx(2.0) and stderr == pytest.approx(np.std([1, 2, 3], ddof=1) / np.sqrt(3))
    with pytest.raises(ValueError, match="same images"):
        uncertainty.paired_difference([1.0, 2.0], [1.0])
    assert uncertainty.mean_and_sd([1.0, 2.0, 3.0]) == pytest.approx((2.0, 1.0))


def test_final_evaluation_saves_per_image_log_likelihoods(tmp_path):
    rng = np.random.default_rng(0)
    splits = datasets.DataSplits("binarized_mnist", *(rng.binomial(1, 0.3, (n, 784)).astype(np.float32)
                                                  for n in (60, 30, 40)), dynamic_binarization=False)
    config = Config(log_dir=str(tmp_path), baseline="pwl_relax", num_latents=8, num_hidden_units=8,
                    num_train_iter=10, num_prior_samples=16, num_prior_sweeps=1, prior_ais_chains=16,
                    prior_ais_temperatures=20, eval_iw_samples=4, test_subset=20, jit_compile=False,
                    run_suffix="seed7", seed=7).validate()
    trainer = Trainer(config, splits)
    trainer.validate(0)   # saves the best checkpoint that final_evaluation restores
    results = trainer.final_evaluation(wall_seconds=1.0, validation_seconds=0.5, start_step=0)
    assert config.run_dir.endswith(os.path.join("1", "1-seed7"))
    log_likelihoods = np.load(os.path.join(config.run_dir, "test_log_likelihoods.npy"))
    saved = json.load(open(os.path.join(config.run_dir, "results.json")))
    assert log_likelihoods.shape == (20,) and np.all(log_likelihoods < 0)
    assert saved["test_neg_ll"] == pytest.approx(-log_likelihoods.mean(), rel=1e-9)
    assert saved["test_neg_ll_stderr"] == pytest.approx(np.std(log_likelihoods, ddof=1) / np.sqrt(20), rel=1e-9)
    assert saved["test_neg_ll_stderr"] > 0 and saved == json.loads(json.dumps(results))
    assert saved["test_images_digest"] == datasets.images_digest(datasets.strided_subset(splits.test, 20))
    assert saved["test_images_digest"] != datasets.images_digest(splits.test[:20])
    assert not [f for f in os.listdir(config.run_dir) if f.endswith(".part")]


def _parse(argv):
    fv = flags.FlagValues()
    dvae_flags.define_flags(fv)
    fv(["main.py", "--log_dir=/tmp/logs", "--baseline=pwl_relax"] + argv)
    return dvae_flags.config_from_flags(fv)


def test_run_suffix_extends_the_last_directory_level_and_is_checked():
    legacy = os.path.join("/tmp/logs", "binarized_mnist", "vae", "200", "pwl_relax", "1", "1")
    assert _parse([]).run_dir == legacy
    assert _parse(["--run_suffix=seed2", "--seed=2"]).run_dir == legacy + "-seed2"
    for bad in ("a/b", "..x/", "seed 2"):
        with pytest.raises(ValueError, match="--run_suffix="):
            _parse([f"--run_suffix={bad}"])
