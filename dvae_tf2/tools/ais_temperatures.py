"""DVAE## Fig. 4: AIS log Z error and spread against the number of temperatures, for a trained run's prior
(uniform base) and its RBM posteriors (biases-only base).

python -m dvae_tf2.tools.ais_temperatures --run_dir=DIR [--png=ais_temperatures.png] [--chains=256] [--repeats=5]
    [--num_images=5] [--min_temperatures=4] [--max_temperatures=4096] [--truth_temperatures=65536]

The truth is one AIS run with --truth_temperatures (and --truth_chains); each point of the curves is --repeats
independent AIS runs of --chains chains. A directed-posterior run has only the prior curve (struct runs have
no prior). Writes the PNG and prints one JSON object as its last line.
"""
import argparse
import json
import os
import sys
import time

from dvae_tf2.runtime import quiet_start

quiet_start.quiet_tensorflow()  # before the imports below load TensorFlow

import tensorflow as tf  # noqa: E402
from absl import logging  # noqa: E402

from dvae_tf2.analysis import ais_convergence  # noqa: E402
from dvae_tf2.data import datasets  # noqa: E402
from dvae_tf2.runtime import devices  # noqa: E402
from dvae_tf2.tools import figures  # noqa: E402
from dvae_tf2.training import load_run_config, restore_best_model  # noqa: E402

PRIOR, POSTERIOR = "prior (uniform base)", "RBM posterior (biases-only base)"


def _parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m dvae_tf2.tools.ais_temperatures",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--run_dir", required=True, help="run directory of a trained model (best checkpoint)")
    parser.add_argument("--png", default="ais_temperatures.png", help="PNG file of the figure")
    parser.add_argument("--data_dir", default=None, help="dataset directory (default: the run's --data_dir)")
    parser.add_argument("--chains", type=int, default=256, help="AIS chains per estimate")
    parser.add_argument("--repeats", type=int, default=5, help="independent estimates per number of temperatures")
    parser.add_argument("--num_images", type=int, default=5, help="test images whose posteriors are studied")
    parser.add_argument("--min_temperatures", type=int, default=4, help="smallest number of temperatures")
    parser.add_argument("--max_temperatures", type=int, default=4096,
                        help="largest number of temperatures (the curve doubles from the smallest)")
    parser.add_argument("--truth_temperatures", type=int, default=65536, help="temperatures of the reference run")
    parser.add_argument("--truth_chains", type=int, default=256, help="chains of the reference run")
    parser.add_argument("--sigma", type=float, default=1e-2, help="sd target: report the temperatures reaching it")
    parser.add_argument("--seed", type=int, default=0, help="seed of the AIS runs")
    args = parser.parse_args(argv)
    for name in ("chains", "repeats", "truth_chains"):
        if getattr(args, name) < 2:
            parser.error(f"--{name}={getattr(args, name)} must be >= 2")
    if args.num_images < 1:
        parser.error(f"--num_images={args.num_images} must be >= 1")
    if not 2 <= args.min_temperatures <= args.max_temperatures < args.truth_temperatures:
        parser.error("need 2 <= --min_temperatures <= --max_temperatures < --truth_temperatures, got "
                     f"{args.min_temperatures}, {args.max_temperatures}, {args.truth_temperatures}")
    return args


def temperature_grid(smallest, largest):
    """smallest, 2 smallest, 4 smallest, ... up to largest (inclusive)."""
    grid = [smallest]
    while grid[-1] * 2 <= largest:
        grid.append(grid[-1] * 2)
    return grid


def study(params, grid, args, rng, base_b1=None, base_b2=None, label="ais"):
    """Reference log Z and the ConvergenceCurve of RBMParams [B, ...] -> JSON-ready dict."""
    truth, truth_stderr = ais_convergence.reference_log_z(params, args.truth_chains, args.truth_temperatures, rng,
                                                          base_b1, base_b2, label=f"{label} reference")
    curve = ais_convergence.convergence_curve(params, truth, grid, args.repeats, args.chains, rng, base_b1, base_b2,
                                              label=label)
    return dict(curve.as_dict(), num_rbms=len(truth), truth_log_z=truth.tolist(),
                truth_stderr=truth_stderr.tolist(), temperatures_for_sigma=curve.temperatures_for_sd(args.sigma))


def plot(curves, sigma, path):
    """Two log-log panels, mean |error| and sd against temperatures, one line per curve."""
    figure, (error_axes, sd_axes) = figures.new_figure(2)
    for label, curve in curves.items():
        error_axes.loglog(curve["temperatures"], curve["mean_abs_error"], "o-", label=label)
        sd_axes.loglog(curve["temperatures"], curve["sd"], "o-", label=label)
    sd_axes.axhline(sigma, color="gray", linestyle=":", label=f"σ = {sigma:g}")
    error_axes.set(xlabel="AIS temperatures", ylabel="mean |log Z estimate − truth|")
    sd_axes.set(xlabel="AIS temperatures", ylabel="sd of log Z estimates")
    for axes in (error_axes, sd_axes):
        axes.legend(fontsize=8)
    figures.save_png(figure, path)


def main(argv=None):
    args = _parse_args(argv)
    logging.set_verbosity(logging.INFO)
    try:
        config = load_run_config(args.run_dir)
        devices.log_devices()
        splits = datasets.load_dataset(config.dataset, args.data_dir or config.data_dir)
        model, step = restore_best_model(config, splits)
        if model.prior is None and not model.encoder.undirected:
            raise ValueError(f"{args.run_dir} is a struct run with a directed posterior: it has neither a prior "
                             "nor an RBM posterior")
    except (FileNotFoundError, ValueError, datasets.DatasetError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    rng = tf.random.Generator.from_seed(args.seed)
    grid = temperature_grid(args.min_temperatures, args.max_temperatures)
    start, curves = time.time(), {}
    if model.prior is not None:
        curves[PRIOR] = study(model.prior.params(), grid, args, rng, label="prior")
    if model.encoder.undirected:
        images = datasets.strided_subset(splits.test, min(args.num_images, len(splits.test)))
        x = tf.constant(images, tf.float32)
        params = model.encoder.params(model.encoder_input(x), training=False)
        curves[POSTERIOR] = study(params, grid, args, rng, params.b1, params.b2, label="posterior")
    plot(curves, args.sigma, args.png)
    prior_m, posterior_m = (curves.get(k, {}).get("temperatures_for_sigma") for k in (PRIOR, POSTERIOR))
    summary = {"run_dir": os.path.abspath(args.run_dir), "checkpoint_step": step, "chains": args.chains,
               "repeats": args.repeats, "truth_temperatures": args.truth_temperatures,
               "truth_chains": args.truth_chains, "sigma": args.sigma,
               "prior": curves.get(PRIOR), "posterior": curves.get(POSTERIOR),
               "prior_to_posterior_temperature_ratio": prior_m / posterior_m if prior_m and posterior_m else None,
               "png": os.path.abspath(args.png), "seconds": round(time.time() - start, 1)}
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
