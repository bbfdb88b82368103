"""Checkpoints: restores refuse other variables in one line; saves do not print TensorFlow's internal timing line."""
import logging as std_logging

import pytest
import tensorflow as tf
from absl import logging

from dvae_tf2.training import checkpoints  # installs the log filter on import


def test_checkpoint_save_logs_no_sharding_timing(tmp_path):
    records = []
    handler = std_logging.Handler()
    handler.emit = records.append
    absl_logger = logging.get_absl_logger()
    absl_logger.addHandler(handler)
    verbosity = logging.get_verbosity()
    logging.set_verbosity(logging.INFO)
    try:
        manager = tf.train.CheckpointManager(tf.train.Checkpoint(v=tf.Variable(1.0)), str(tmp_path), max_to_keep=1)
        manager.save()
        logging.info("a line of ours")
    finally:
        absl_logger.removeHandler(handler)
        logging.set_verbosity(verbosity)
    messages = [record.getMessage() for record in records]
    assert "a line of ours" in messages
    assert not any("Sharding callback" in m for m in messages), messages


def test_a_checkpoint_of_other_variables_is_refused_in_one_line(tmp_path):
    # A checkpoint written before the model gained a variable (as the random streams' generators were added).
    path = tf.train.Checkpoint(a=tf.Variable(1.0)).save(str(tmp_path / "old"))
    newer = tf.train.Checkpoint(a=tf.Variable(0.0), b=tf.Variable(0.0))
    with pytest.raises(checkpoints.CheckpointMismatchError, match="earlier version") as raised:
        checkpoints.restore_matched(newer, path)
    assert "\n" not in str(raised.value) and path in str(raised.value)
    # The same file restores into the objects it was written from, and partially into a subset of them.
    same = tf.train.Checkpoint(a=tf.Variable(0.0))
    checkpoints.restore_matched(same, path)
    assert float(same.a.numpy()) == 1.0
    bigger = tf.train.Checkpoint(a=tf.Variable(1.0), b=tf.Variable(2.0)).save(str(tmp_path / "big"))
    checkpoints.restore_matched(tf.train.Checkpoint(a=tf.Variable(0.0)), bigger)   # e.g. the prior of old struct runs
