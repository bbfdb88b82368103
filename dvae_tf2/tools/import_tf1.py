"""Imports a legacy TF1 checkpoint into a dvae_tf2 run directory and evaluates it with our evaluation.

python -m dvae_tf2.tools.import_tf1 --checkpoint=LEGACY_RUN_DIR <the legacy flags of that run> [--log_dir=...]
    [--run_suffix=tf1] [--eval_iw_samples=...] [--test_subset=...]

The flags are main.py's (the legacy ones of either code base included) and describe the legacy run; the run
directory is written where main.py would write that run (--log_dir, --run_suffix). It prints the evaluated
numbers and what became of every legacy variable (mapped, ignored, unmapped); tf1_import.json keeps that list.
"""
import json
import os
import sys

from dvae_tf2.runtime import quiet_start

if __name__ == "__main__":   # before TensorFlow loads
    quiet_start.quiet_tensorflow(quiet_start.requested_cpu_devices(sys.argv))

from absl import flags, logging  # noqa: E402

import flags as dvae_flags  # noqa: E402
from dvae_tf2.data import datasets  # noqa: E402
from dvae_tf2.runtime import cli  # noqa: E402
from dvae_tf2.training import tf1_import  # noqa: E402
from dvae_tf2.tools import tf1_runs  # noqa: E402
from dvae_tf2.training import RunDirectoryError  # noqa: E402

FLAG_VALUES = flags.FlagValues()
dvae_flags.define_import_tf1_flags(FLAG_VALUES)
EXPECTED_FAILURES = (ValueError, FileNotFoundError, FileExistsError, RunDirectoryError, datasets.DatasetError)


def _check_layout(checkpoint_dir, config):
    """Warns when the legacy run directory's own path (in a legacy layout) names another configuration."""
    parts = os.path.normpath(os.path.abspath(checkpoint_dir)).split(os.sep)
    for depth in (6, 4):
        legacy = tf1_runs.parse_layout(parts[-depth:])
        if legacy is not None:
            ours = {**legacy, **{key: getattr(config, key) for key in legacy}}
            if tf1_runs.config_key(ours) != tf1_runs.config_key(legacy):
                logging.warning("the legacy run directory %s names %s, but the flags describe %s", checkpoint_dir,
                                tf1_runs.config_key(legacy), tf1_runs.config_key(ours))
            return


def main(argv=None):
    argv = sys.argv if argv is None else argv
    try:
        rest = FLAG_VALUES(argv)
    except flags.Error as error:
        cli.fail(f"{error} (--helpfull lists the flags)")
    if len(rest) > 1:
        cli.fail(f"unexpected arguments: {' '.join(rest[1:])} (flags are written --name=value)")
    with cli.expected_failures(*EXPECTED_FAILURES):
        config = dvae_flags.config_from_flags(FLAG_VALUES)
        prefix = tf1_import.checkpoint_prefix(FLAG_VALUES.checkpoint)
        _check_layout(os.path.dirname(prefix), config)
        splits = datasets.load_dataset(config.dataset, config.data_dir)
        report, results = tf1_import.import_and_evaluate(config, splits, prefix)
    print(json.dumps({"run_dir": config.run_dir, "checkpoint": prefix, "legacy_step": report.step,
                      **{key: results[key] for key in ("val_neg_ll", "test_neg_elbo", "test_neg_ll",
                                                       "test_neg_ll_stderr", "test_images", "eval_iw_samples",
                                                       "prior_log_z", "prior_log_z_stderr")},
                      "mapped": len(report.mapped), "ignored": report.ignored, "unmapped": report.unmapped},
                     indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
