"""Run directories and their checkpoints: config.json, `latest` and `best`, resume checks."""
import dataclasses
import json
import os
import tempfile
import time

import tensorflow as tf
from absl import logging

from dvae_tf2.runtime import atomic_io
from dvae_tf2.config import Config
from dvae_tf2.model.dvae import build_model



def _not_checkpoint_timing(record):
    """False for TensorFlow's checkpoint writer's INFO line at every save ("Sharding callback duration"), which
    tells a user nothing; everything else passes."""
    return not (record.levelno == logging.converter.STANDARD_INFO
                and record.pathname.endswith(os.path.join("checkpoint", "functional_saver.py")))


logging.get_absl_logger().addFilter(_not_checkpoint_timing)

# Config fields that must match to resume from a checkpoint.
RESUME_KEYS = ("dataset", "experiment", "baseline", "num_latents", "num_groups", "k", "num_train_iter",
               "batch_size", "num_hidden_units", "prior_sampler", "num_prior_samples", "input_size", "seed")


class CheckpointMismatchError(ValueError):
    """Raised when resuming a run whose saved configuration differs from the requested one."""


class RunDirectoryError(OSError):
    """The run directory cannot be created or written."""


def restore_matched(checkpoint, path):
    """Restores `checkpoint` (a tf.train.Checkpoint) from `path`, every existing object matched, else raises
    CheckpointMismatchError in one line: the file holds other variables than this version builds for the
    configuration, e.g. one written before a change of the model's state. Values in the file that `checkpoint`
    does not hold are ignored: the optimizer's slots when only the model is restored, or state an earlier version
    kept (the zero RBM prior of struct runs)."""
    status = checkpoint.restore(path)
    status.expect_partial()   # what matters is that every variable built here got its value, checked next
    try:
        status.assert_existing_objects_matched()
    except AssertionError as error:
        detail = str(error).split(".")[0]
        raise CheckpointMismatchError(
            f"cannot restore {path}: it does not hold the variables this version of dvae_tf2 builds for the run's "
            f"configuration ({detail}); it was probably written by an earlier version (e.g. before --seed was "
            "split into independent random streams): resume it with that version, or start a new run") from error


def make_run_dir(run_dir):
    """Creates run_dir (and its parents) and checks that files can be written in it."""
    try:
        os.makedirs(run_dir, exist_ok=True)
        with tempfile.TemporaryFile(dir=run_dir):
            pass
    except OSError as error:
        raise RunDirectoryError(f"cannot write the run directory {run_dir} ({error.strerror or error}); choose a "
                                "writable --log_dir") from error


def load_run_config(run_dir):
    """The Config saved in a run directory (config.json)."""
    path = os.path.join(run_dir, "config.json")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{run_dir} is not a run directory: {path} is missing")
    with open(path) as f:
        return Config(**json.load(f)).validate()


def restore_best_model(config, splits, which="best"):
    """Builds the run's model and restores its `best` checkpoint (by validation NLL), or with which="latest" its
    last one -> (model, step): a DVAE, or StructuredPrediction for struct."""
    if which not in ("best", "latest"):
        raise ValueError(f"which must be 'best' or 'latest', got {which!r}")
    model = build_model(config, splits.train_mean, len(splits.train))
    checkpoint_dir = os.path.join(config.run_dir, "checkpoints", which)
    path = tf.train.latest_checkpoint(checkpoint_dir)
    if path is None:
        raise FileNotFoundError(f"no {which} checkpoint under {checkpoint_dir}")
    step = tf.Variable(0, dtype=tf.int64)
    optimizer = tf.train.Checkpoint(_iterations=step)   # only the step counter of the saved Keras optimizer
    restore_matched(tf.train.Checkpoint(model=model, optimizer=optimizer), path)
    return model, int(step.numpy())


class RunCheckpoints:
    """The `latest` (resume) and `best` (by validation NLL) checkpoints of one run directory."""

    def __init__(self, checkpoint, run_dir):
        self.checkpoint = checkpoint
        self.run_dir = run_dir
        directory = os.path.join(run_dir, "checkpoints")
        self.latest = tf.train.CheckpointManager(checkpoint, os.path.join(directory, "latest"), max_to_keep=1)
        self.best = tf.train.CheckpointManager(checkpoint, os.path.join(directory, "best"), max_to_keep=1)

    def prepare(self, config, resume):
        """Writes config.json for a new run, or checks it and restores `latest` with resume=True.

        Raises FileExistsError (a run exists, no resume), FileNotFoundError (resume without a
        checkpoint) or CheckpointMismatchError (resume with a different configuration).
        """
        config_path = os.path.join(self.run_dir, "config.json")
        current = dataclasses.asdict(config)
        if resume:
            if self.latest.latest_checkpoint is None:
                raise FileNotFoundError(f"--resume: no checkpoint under {self.latest.directory}")
            with open(config_path) as f:
                saved = json.load(f)
            diff = [f"{key}: saved {saved.get(key)!r} vs requested {current[key]!r}"
                    for key in RESUME_KEYS if saved.get(key) != current[key]]
            if diff:
                raise CheckpointMismatchError(f"cannot resume {self.run_dir}: configuration differs ("
                                              + "; ".join(diff) + ")")
            restore_matched(self.checkpoint, self.latest.latest_checkpoint)
        elif self.latest.latest_checkpoint is not None:
            raise FileExistsError(f"{self.run_dir} already holds a run; pass --resume to continue it "
                                  "or choose another --log_dir")
        atomic_io.write_json(config_path, current)

    def save_latest(self, step):
        self.latest.save(checkpoint_number=step)

    def save_best(self, step):
        self.best.save(checkpoint_number=step)

    def restore_best(self):
        """Restores the best checkpoint; returns its path."""
        path = self.best.latest_checkpoint
        if path is None:
            raise RuntimeError(f"no best checkpoint under {self.best.directory}")
        restore_matched(self.checkpoint, path)
        return path


class SaveSchedule:
    """When to write `latest` between validations: every `every_secs` seconds since the last save and/or
    every `every_steps` steps (0 turns either off)."""

    def __init__(self, every_secs, every_steps, clock=time.monotonic):
        self.every_secs = every_secs
        self.every_steps = every_steps
        self.clock = clock
        self.last_save = clock()

    def due(self, step):
        by_steps = self.every_steps > 0 and step % self.every_steps == 0
        return by_steps or (self.every_secs > 0 and self.clock() - self.last_save >= self.every_secs)

    def saved(self):
        self.last_save = self.clock()
