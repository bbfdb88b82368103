"""Trains and evaluates a DVAE## model: parse flags -> build config -> train -> evaluate."""
import json
import sys

from absl import app, logging

import flags as dvae_flags
from dvae_tf2 import data
from dvae_tf2.training import Trainer

dvae_flags.define_flags()


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    try:
        config = dvae_flags.config_from_flags()
    except ValueError as e:
        logging.error("%s", e)
        sys.exit(f"error: {e}")
    logging.info("run directory: %s", config.run_dir)
    splits = data.load_dataset(config.dataset, config.data_dir)
    results = Trainer(config, splits, resume=dvae_flags.FLAGS.resume).train()
    summary = {key: results[key] for key in ("steps", "wall_time_s", "validation_seconds", "steps_per_s",
                                             "val_neg_elbo", "val_neg_ll", "test_neg_elbo", "test_neg_ll",
                                             "prior_log_z")}
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    app.run(main)
