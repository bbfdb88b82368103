"""Posterior analysis of a trained rbm_post run (DVAE## Sec. 4.1.1): modes and mean-field KL.

python analyze_posterior.py (or dvae-analyze-posterior) --run_dir=<log_dir>/binarized_mnist/vae/200/rbm_post/1/1 [--num_images=500]

Writes <run_dir>/posterior_analysis.json and prints its summary.
"""
import json
import os
import time

from dvae_tf2.runtime import quiet_start

quiet_start.quiet_tensorflow()  # before the imports below load TensorFlow

import tensorflow as tf  # noqa: E402
from absl import app, flags, logging  # noqa: E402

from dvae_tf2.data import datasets  # noqa: E402
from dvae_tf2.runtime import atomic_io, cli, devices, progress  # noqa: E402
from dvae_tf2.analysis.posterior_analysis import PosteriorReport, analyse_posteriors  # noqa: E402
from dvae_tf2.training import load_run_config, restore_best_model  # noqa: E402

flags.DEFINE_string("run_dir", None, "Run directory of a trained --baseline=rbm_post run.", required=True)
flags.DEFINE_string("data_dir", None, "Dataset directory (default: the run's --data_dir).")
flags.DEFINE_integer("num_images", 500, "Test images analysed (a strided subset of the test set).", lower_bound=1)
flags.DEFINE_integer("num_starts", 100, "Posterior samples per image that start mean-field iterations.",
                     lower_bound=1)
flags.DEFINE_integer("temperatures", None, "AIS temperatures (default: the run's posterior_ais_temperatures).",
                     lower_bound=2)
flags.DEFINE_integer("images_per_batch", 50, "Posteriors analysed together.", lower_bound=1)
flags.DEFINE_float("mode_tolerance", 1e-2, "Fixed points closer than this (max-abs) count as one mode.")
flags.DEFINE_integer("seed", 0, "Seed of the AIS sampler.")
FLAGS = flags.FLAGS


def main(argv):
    if len(argv) > 1:
        cli.fail(f"unexpected arguments: {' '.join(argv[1:])} (flags are written --name=value)")
    with cli.expected_failures(FileNotFoundError, ValueError, datasets.DatasetError):
        config = load_run_config(FLAGS.run_dir)
        devices.log_devices()
        splits = datasets.load_dataset(config.dataset, FLAGS.data_dir or config.data_dir)
        model, step = restore_best_model(config, splits)
        if not model.encoder.undirected:
            cli.fail(f"--run_dir holds a --baseline={config.baseline} run, whose posterior is directed; the "
                     "analysis needs an RBM posterior (rbm_post)")
    images = datasets.strided_subset(splits.test, min(FLAGS.num_images, len(splits.test)))
    temperatures = FLAGS.temperatures or config.posterior_ais_temperatures
    rng = tf.random.Generator.from_seed(FLAGS.seed)
    start, reports = time.time(), []
    for lo in range(0, len(images), FLAGS.images_per_batch):
        x = tf.constant(images[lo:lo + FLAGS.images_per_batch])
        params = model.encoder.params(model.encoder_input(x), training=False)
        reports.append(analyse_posteriors(params, FLAGS.num_starts, temperatures, rng, FLAGS.mode_tolerance))
        done = min(lo + FLAGS.images_per_batch, len(images))
        logging.info("analysed %d/%d posteriors (%.0f s, ETA %s)", done, len(images), time.time() - start,
                     progress.eta(done, len(images), time.time() - start))
    report = PosteriorReport.concatenate(reports)
    summary = report.summary()
    summary.update(run_dir=os.path.abspath(FLAGS.run_dir), checkpoint_step=step, num_starts=FLAGS.num_starts,
                   ais_temperatures=temperatures, seconds=time.time() - start)
    atomic_io.write_json(os.path.join(FLAGS.run_dir, "posterior_analysis.json"),
                         dict(summary, per_image={"num_modes": report.num_modes.tolist(),
                                                  "mean_field_kl": report.best_kl.tolist(),
                                                  "log_z": report.log_z.tolist()}))
    print(json.dumps(summary, indent=2))


def run():
    app.run(main, flags_parser=cli.parse_flags)


if __name__ == "__main__":
    run()
