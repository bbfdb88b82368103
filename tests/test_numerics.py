"""Non-finite training values: recorded on the device, reported at the next check, nothing saved after them."""
import json
import os

import numpy as np
import pytest
import tensorflow as tf

from dvae_tf2.data import datasets
from dvae_tf2.training import NonFiniteError, Trainer
from dvae_tf2.training.numerics import REPORT_NAME, FiniteGuard
from tests.tiny_models import tiny_config


def test_guard_reports_the_first_non_finite_step_and_quantity(tmp_path):
    guard = FiniteGuard(["objective", "gradient of w"], batch_size=3, checked_through=10)
    record = tf.function(guard.record, jit_compile=True)
    record(tf.constant(11, tf.int64), [tf.constant(1.0), tf.ones([2, 2])], tf.constant([1, 2, 3]))
    guard.check(12, str(tmp_path))        # all finite so far: nothing raised, nothing written
    assert guard.checked_through == 12 and not os.listdir(tmp_path)
    record(tf.constant(13, tf.int64), [tf.constant(1.0), tf.constant([[0.0, np.inf]])], tf.constant([4, 5, 6]))
    record(tf.constant(14, tf.int64), [tf.constant(np.nan), tf.ones([2, 2])], tf.constant([7, 8, 9]))
    with pytest.raises(NonFiniteError, match="between steps 13 and 15: first at step 13, in the gradient of w"):
        guard.check(15, str(tmp_path))
    report = json.load(open(tmp_path / REPORT_NAME))
    assert report == {"step": 13, "quantity": "gradient of w", "batch_indices": [4, 5, 6]}


@pytest.mark.slow
def test_diverging_learning_rate_stops_before_saving_anything(tmp_path, shared_data_dir):
    mnist = datasets.load_dataset("binarized_mnist", shared_data_dir, download=False)
    settings = dict(log_dir=str(tmp_path), data_dir=shared_data_dir, num_train_iter=60, eval_every=20,
                    summary_every=10, eval_iw_samples=4, val_stride=500, test_subset=20, prior_ais_chains=16,
                    prior_ais_temperatures=20)
    Trainer(tiny_config(**settings), mnist).train(until_step=20)
    latest = os.path.join(tiny_config(**settings).run_dir, "checkpoints", "latest")
    saved = {name: open(os.path.join(latest, name), "rb").read() for name in os.listdir(latest)}
    diverging = Trainer(tiny_config(**settings, base_lr=1e30), mnist, resume=True)
    with pytest.raises(NonFiniteError, match=r"between steps 2\d and 30: first at step 2\d, in the ") as error:
        diverging.train()
    assert {name: open(os.path.join(latest, name), "rb").read() for name in os.listdir(latest)} == saved
    report = json.load(open(os.path.join(diverging.run_dir, REPORT_NAME)))
    assert str(report["step"]) in str(error.value) and report["quantity"] in str(error.value)
    assert len(report["batch_indices"]) == 100 and len(set(report["batch_indices"])) == 100
    # The indices are those of the training batch of that step (batches are a function of seed and step).
    batches = datasets.training_batches(mnist, 100, diverging.config.seed, start_step=report["step"] - 1)
    _, index = next(iter(batches))
    assert report["batch_indices"] == index.numpy().tolist()
