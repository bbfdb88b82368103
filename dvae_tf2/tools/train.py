"""Trains and evaluates a DVAE## model: parse flags -> build config -> train -> evaluate.

The main job: `python main.py`, `python -m dvae_tf2.tools.train` and the `dvae-train` command all run `run()`.
"""
import dataclasses
import json
import sys

from dvae_tf2.runtime import quiet_start

# Before the imports below load TensorFlow.
quiet_start.quiet_tensorflow(quiet_start.requested_cpu_devices(sys.argv),
                             set_up_devices=not quiet_start.multi_worker_requested(sys.argv))

from absl import app, logging  # noqa: E402

import flags as dvae_flags  # noqa: E402
from dvae_tf2.data import datasets  # noqa: E402
from dvae_tf2.runtime import cli, devices, distribute  # noqa: E402
from dvae_tf2.training import CheckpointMismatchError, NonFiniteError, RunDirectoryError, Trainer  # noqa: E402
from dvae_tf2.training.evaluation import EvaluationMemoryError  # noqa: E402
from dvae_tf2.training.stop_signals import TrainingStopped  # noqa: E402

# Failures a user can cause and fix after the flags are read: one `error:` line, exit status 2 (dvae_tf2.runtime.cli).
EXPECTED_FAILURES = (datasets.DatasetError, RunDirectoryError, FileExistsError, FileNotFoundError,
                     CheckpointMismatchError, NonFiniteError, EvaluationMemoryError)

dvae_flags.define_flags()


def main(argv):
    if len(argv) > 1:
        cli.fail(f"unexpected arguments: {' '.join(argv[1:])} (flags are written --name=value)")
    with cli.expected_failures(ValueError):
        config = dvae_flags.config_from_flags()
        # Before anything else touches the devices: --num_cpu_devices splits the CPU.
        strategy = distribute.make_strategy(config.distribution_strategy, config.num_gpus, config.num_cpu_devices)
        distribute.check_batch_split(strategy, config.batch_size)
        config = dataclasses.replace(config, log_dir=distribute.worker_log_dir(strategy, config.log_dir))
    with cli.expected_failures(*EXPECTED_FAILURES):
        logging.info("run directory: %s", config.run_dir)
        devices.log_devices()
        splits = datasets.load_dataset(config.dataset, config.data_dir)
        try:
            results = Trainer(config, splits, resume=dvae_flags.FLAGS.resume, strategy=strategy).train()
        except TrainingStopped as stopped:   # logged by the trainer; the shell's status for a signal
            sys.exit(128 + stopped.signum)
    summary = {key: results[key] for key in ("steps", "wall_time_s", "validation_seconds", "steps_per_s",
                                             "compiled_steps_per_s",
                                             "val_neg_elbo", "val_neg_ll", "test_neg_elbo", "test_neg_ll",
                                             "prior_log_z")}
    print(json.dumps(summary, indent=2))


def run():
    app.run(main, flags_parser=cli.parse_flags)


if __name__ == "__main__":
    run()
