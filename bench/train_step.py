"""Benchmarks one training step of each DVAE## baseline and the posterior AIS of evaluation; prints one JSON object.

python bench/train_step.py [--quick]

train_step: ms per compiled (XLA) training step of dvaes_power, pwl_relax, gsm_relax and rbm_post (binarized MNIST
shapes: batch 100, 200 latents, k = 1, L = 1), with the prior sampler at the legacy setting (1000 samples x 40
sweeps) and at 1000 chains x 1 sweep. Each part is timed on its own:
  prior_sampling_ms    model.sample_prior_for_training(), compiled alone;
  step_given_prior_samples_ms  the trainer's step handed that sampler output (trainer.train_step(x, index,
                       samples)): everything but the sampler, i.e. encoder, posterior draw, decoder, losses,
                       backward pass and Adam;
  posterior_draw_ms    model.encoder.training_draw(x - m, index, k, rng), compiled alone: the encoder's forward
                       pass and its sampling (rbm_post: s hard Gibbs sweeps on the persistent chains, t relaxed),
                       a part of the step given the prior samples;
  split_residual_ms    step_ms - prior_sampling_ms - step_given_prior_samples_ms: what the two separately compiled
                       halves do not account for (0 if the split adds up).
posterior_ais: rbm_post's evaluation AIS (annealed_log_z from the biases-only RBM, one batch of evaluation: 5
images x 4000 chains, 100+100 units), ms per temperature beside the two bare batched matmuls each temperature
contains and their ratio (as bench/samplers.py does for the Gibbs sweep), and beside one hard block-Gibbs sweep of
the same chains (kernels.hard_gibbs_sweeps: the matmuls plus the two hashed Bernoulli draws every temperature also
makes), the floor of any AIS with one sweep per temperature.
--quick: small networks, populations and AIS, one repeat, steps compiled without XLA (a smoke run; its figures mean
nothing).
"""
import argparse
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from dvae_tf2.runtime import quiet_start  # noqa: E402

quiet_start.quiet_tensorflow()  # before the imports below load TensorFlow

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import logging  # noqa: E402

from bench.common import best_seconds, random_params  # noqa: E402
from dvae_tf2.baselines import BASELINES, DVAE_SHARPSHARP  # noqa: E402
from dvae_tf2.config import Config  # noqa: E402
from dvae_tf2.data.datasets import DataSplits  # noqa: E402
from dvae_tf2.samplers import ais, kernels  # noqa: E402
from dvae_tf2.training import Trainer  # noqa: E402

_PIXEL_MEAN = 0.13   # binarized MNIST's
# Sizes, sampler settings (samples, sweeps), the evaluation AIS batch and repeats of a full run and of --quick.
_MODES = {
    "full": {"sizes": {"num_latents": 200, "num_hidden_units": 200, "batch_size": 100, "training_size": 50000,
                       "jit_compile": True},
             "samplers": {"legacy": (1000, 40), "one_sweep": (1000, 1)},
             "ais": {"num_rbms": 5, "num_chains": 4000, "num_vars": 100, "num_temperatures": 500},
             "repeats": 5},
    "quick": {"sizes": {"num_latents": 20, "num_hidden_units": 16, "batch_size": 10, "training_size": 100,
                        "jit_compile": False},
              "samplers": {"legacy": (50, 4), "one_sweep": (50, 1)},
              "ais": {"num_rbms": 2, "num_chains": 100, "num_vars": 10, "num_temperatures": 10},
              "repeats": 1},
}


def synthetic_splits(num_train, seed=0):
    """Random 0/1 images [num_train, 784] with MNIST's pixel mean (step times do not depend on the pixels)."""
    images = (np.random.RandomState(seed).rand(num_train, 784) < _PIXEL_MEAN).astype(np.float32)
    return DataSplits("binarized_mnist", images, images[:10], images[:10], dynamic_binarization=False)


def step_breakdown(config, splits, repeats):
    """{step_ms, prior_sampling_ms, step_given_prior_samples_ms, posterior_draw_ms, split_residual_ms} of one baseline
    and sampler setting."""
    trainer = Trainer(config, splits)
    model = trainer.model
    x = tf.constant(splits.train[:config.batch_size])
    index = tf.range(config.batch_size, dtype=tf.int32)
    prior = tf.function(model.sample_prior_for_training, jit_compile=config.jit_compile)
    posterior = tf.function(lambda x, index: model.encoder.training_draw(model.encoder_input(x), index, config.k,
                                                                         model.rng), jit_compile=config.jit_compile)
    full = best_seconds(lambda: trainer.train_step(x, index), repeats)  # the trainer's compiled step itself
    prior_s = best_seconds(prior, repeats)
    samples = prior()
    given_s = best_seconds(lambda: trainer.train_step(x, index, samples), repeats)
    posterior_s = best_seconds(lambda: posterior(x, index), repeats)
    return {"step_ms": 1e3 * full, "prior_sampling_ms": 1e3 * prior_s, "step_given_prior_samples_ms": 1e3 * given_s,
            "posterior_draw_ms": 1e3 * posterior_s, "split_residual_ms": 1e3 * (full - prior_s - given_s)}


def train_step_benchmark(sizes, sampler_settings, repeats, log_dir):
    """{baseline: {setting: step_breakdown + the sampler's samples and sweeps}} for every DVAE## baseline."""
    splits = synthetic_splits(sizes["training_size"])
    report = {}
    for baseline in BASELINES[DVAE_SHARPSHARP]:
        report[baseline] = {}
        for setting, (samples, sweeps) in sampler_settings.items():
            logging.info("train_step: %s, %s (%d samples x %d sweeps)", baseline, setting, samples, sweeps)
            config = Config(baseline=baseline, num_latents=sizes["num_latents"],
                            num_hidden_units=sizes["num_hidden_units"], batch_size=sizes["batch_size"],
                            jit_compile=sizes["jit_compile"], num_prior_samples=samples, num_prior_sweeps=sweeps,
                            log_dir=os.path.join(log_dir, setting)).validate()
            report[baseline][setting] = {"prior_samples": samples, "prior_sweeps": sweeps,
                                         **step_breakdown(config, splits, repeats)}
    return report


def posterior_ais_benchmark(num_rbms, num_chains, num_vars, num_temperatures, repeats):
    """ms per temperature of the evaluation AIS vs its two bare batched matmuls and vs one hard Gibbs sweep."""
    params = random_params(num_rbms, num_vars, num_vars)
    rng = tf.random.Generator.from_seed(0)

    def anneal():
        return ais.annealed_log_z(params, num_chains, num_temperatures, rng, base_b1=params.b1,
                                  base_b2=params.b2).log_z

    @tf.function(jit_compile=True)
    def matmuls(w, z1):
        def body(k, z1):
            z2 = tf.linalg.matmul(z1, w)                                     # the field z1 W
            return k + 1, tf.linalg.matmul(z2, w, transpose_b=True)          # the z1 logits W z2
        return tf.while_loop(lambda k, _: k < num_temperatures, body, (tf.constant(1), z1))[1]

    z1 = tf.cast(tf.random.stateless_uniform([num_rbms, num_chains, num_vars], [0, 1]) < 0.5, tf.float32)
    per_temperature = num_temperatures - 1

    @tf.function(jit_compile=True)
    def sweeps(z1):
        return kernels.hard_gibbs_sweeps(params, z1, per_temperature, rng)

    ais_s = best_seconds(anneal, repeats) / per_temperature
    matmul_s = best_seconds(lambda: matmuls(params.w, z1), repeats) / per_temperature
    sweep_s = best_seconds(lambda: sweeps(z1), repeats) / per_temperature
    return {"rbms": num_rbms, "chains": num_chains, "units": f"{num_vars}+{num_vars}",
            "temperatures": num_temperatures, "seconds": ais_s * per_temperature,
            "ms_per_temperature": 1e3 * ais_s, "two_batched_matmuls_ms": 1e3 * matmul_s,
            "overhead_ratio": ais_s / matmul_s, "hard_gibbs_sweep_ms": 1e3 * sweep_s,
            "ratio_to_hard_gibbs_sweep": ais_s / sweep_s}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: small shapes, one repeat, no XLA")
    args = parser.parse_args()
    logging.set_verbosity(logging.INFO)
    tf.get_logger().setLevel("ERROR")  # every Trainer traces its own step; TF would warn of "retracing"
    mode = _MODES["quick" if args.quick else "full"]
    sizes = mode["sizes"]
    with tempfile.TemporaryDirectory(prefix="bench_train_step.") as log_dir:
        steps = train_step_benchmark(sizes, mode["samplers"], mode["repeats"], log_dir)
    report = {
        "device": "GPU" if tf.config.list_physical_devices("GPU") else "CPU",
        "threads": os.cpu_count(),
        "quick": args.quick,
        **{key: sizes[key] for key in ("num_latents", "num_hidden_units", "batch_size", "jit_compile")},
        "train_step": steps,
        "posterior_ais": posterior_ais_benchmark(repeats=mode["repeats"], **mode["ais"]),
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
