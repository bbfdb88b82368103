"""Measures a run's prior training sampler against a long AIS reference (log Z lag, W-gradient error) and prints JSON.

python -m dvae_tf2.tools.prior_bias --run_dir=DIR [--checkpoint=best|latest] [--chains=1024]
    [--temperatures=10000] [--images=1000] [--seed=0]

The reference is AIS from the uniform distribution with --temperatures and, to check that it converged, again
with twice as many: `reference_doubling` compares the two (their log Z and the distance between their
E[z1 z2^T], next to its noise floor). The training sampler is the population stored in the checkpoint (the
`best` one was re-anchored at its validation, `latest` may sit between validations), reweighted to the
checkpoint's prior. Same quantities as the `prior/...` TensorBoard scalars written at every validation.
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

from dvae_tf2.data import datasets  # noqa: E402
from dvae_tf2.runtime import devices, random_streams  # noqa: E402
from dvae_tf2.samplers import ais, sampler_bias  # noqa: E402
from dvae_tf2.training import load_run_config, restore_best_model  # noqa: E402


def _parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m dvae_tf2.tools.prior_bias", description=__doc__.splitlines()[0])
    parser.add_argument("--run_dir", required=True, help="run directory of a VAE run (it has a prior)")
    parser.add_argument("--checkpoint", choices=("best", "latest"), default="best", help="which checkpoint")
    parser.add_argument("--data_dir", default=None, help="dataset directory (default: the run's --data_dir)")
    parser.add_argument("--chains", type=int, default=1024, help="AIS chains of the reference")
    parser.add_argument("--temperatures", type=int, default=10000, help="AIS temperatures of the reference")
    parser.add_argument("--images", type=int, default=1000, help="validation images for the posterior statistics")
    parser.add_argument("--samples", type=int, default=10, help="posterior samples per image")
    parser.add_argument("--seed", type=int, default=0, help="seed of the AIS runs and posterior draws")
    args = parser.parse_args(argv)
    for name in ("chains", "temperatures", "images", "samples"):
        if getattr(args, name) < 2:
            parser.error(f"--{name}={getattr(args, name)} must be >= 2")
    return args


def _floats(named_tuple):
    return {name: float(value) for name, value in named_tuple._asdict().items()}


def main(argv=None):
    args = _parse_args(argv)
    logging.set_verbosity(logging.INFO)
    try:
        config = load_run_config(args.run_dir)
        devices.log_devices()
        splits = datasets.load_dataset(config.dataset, args.data_dir or config.data_dir)
        model, step = restore_best_model(config, splits, args.checkpoint)
        if model.prior is None:
            raise ValueError(f"{args.run_dir} is a struct run: it has no prior")
    except (FileNotFoundError, ValueError, datasets.DatasetError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    start = time.time()
    # The AIS references and the posterior draws take the streams a run with --seed=args.seed gives them.
    streams = random_streams.run_streams(args.seed)
    rng = random_streams.generator(streams.prior_ais)
    model.eval_rng.reset(random_streams.generator(streams.evaluation).state)
    params = model.prior.params()
    posterior_cross = model.posterior_cross_moment(tf.constant(splits.valid[:args.images], tf.float32), args.samples)
    references = [ais.annealed_log_z(params, args.chains, m, rng) for m in (args.temperatures, 2 * args.temperatures)]
    stats = [sampler_bias.sufficient_statistics(params, r.z1, r.log_weights) for r in references]
    doubling = sampler_bias.sampler_bias(stats[0], stats[1], references[0].log_z[0], references[1].log_z[0])
    logging.info("reference log Z %.4f (%d temperatures) vs %.4f (%d); E[z1 z2^T] apart by %.4f (noise floor %.4f)",
                 float(references[0].log_z[0]), args.temperatures, float(references[1].log_z[0]),
                 2 * args.temperatures, float(doubling.grad_error), float(doubling.grad_noise_floor))
    bias = model.prior.sampler_bias(references[1], posterior_cross)
    report = {"run_dir": os.path.abspath(args.run_dir), "checkpoint": args.checkpoint, "checkpoint_step": step,
              "prior_sampler": config.prior_sampler, "num_prior_samples": config.num_prior_samples,
              "num_prior_sweeps": config.num_prior_sweeps, "reference_chains": args.chains,
              "reference_temperatures": 2 * args.temperatures,
              "reference_log_z": float(references[1].log_z[0]),
              "reference_log_z_stderr": float(references[1].log_z_stderr[0]),
              "training_sampler_log_z": float(model.prior.sampler.population_at(params).log_z),
              "sampler_bias": _floats(bias),
              "reference_doubling": {"half_log_z": float(references[0].log_z[0]),
                                     "cross_difference": float(doubling.grad_error),
                                     "cross_noise_floor": float(doubling.grad_noise_floor)},
              "seconds": round(time.time() - start, 1)}
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
