"""Checkpoint saves do not print TensorFlow's internal timing line; other log lines still pass."""
import logging as std_logging

import tensorflow as tf
from absl import logging

from dvae_tf2.training import checkpoints  # noqa: F401  (installs the filter)


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
