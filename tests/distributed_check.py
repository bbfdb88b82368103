"""One training step of tiny models under MirroredStrategy on one and on two logical CPU devices.

Run as `python -m tests.distributed_check DATA_DIR RUN_ROOT` (a process of its own: the CPU must be split
before TensorFlow sets up its devices). Prints one JSON object: per configuration, the largest differences
between the two runs after the step, in Adam's first moments (0.1 x the step's gradients), in every model
variable (networks, batch-norm statistics, prior sampler state, posterior chains) and in the losses.
"""
import json
import os
import sys

import numpy as np

from dvae_tf2.runtime import distribute

distribute.split_cpu(2)

import tensorflow as tf  # noqa: E402

from dvae_tf2.data import datasets  # noqa: E402
from dvae_tf2.config import Config  # noqa: E402
from dvae_tf2.training import Trainer  # noqa: E402

TINY = dict(num_latents=12, num_hidden_units=8, num_prior_samples=16, num_prior_sweeps=2, prior_ais_chains=16,
            prior_ais_temperatures=20, posterior_ais_temperatures=10, num_train_iter=10, batch_size=8,
            jit_compile=False, seed=3, distribution_strategy="mirrored")
CONFIGS = {
    "gsm_relax_L2_k2": dict(baseline="gsm_relax", num_groups=2, k=2),
    "rbm_post_k2": dict(baseline="rbm_post", k=2),
    "dvaes_power_struct": dict(baseline="dvaes_power", experiment="struct"),
    "dvae_sharp_spike_exp": dict(codebase="dvae_sharp", baseline="dvae_spike_exp", struct="1-layer-nonlin"),
}


def one_step(config, splits, devices, noise_seed=None):
    """(Adam first moments, model variables, losses) after one step on the first batch, as numpy arrays.

    noise_seed: reseeds the posterior noise (model.rng) first, for the control."""
    trainer = Trainer(config, splits, strategy=distribute.mirrored(devices))
    if noise_seed is not None:
        trainer.model.rng.reset_from_seed(noise_seed)
    x, index = next(iter(datasets.training_batches(splits, config.batch_size, config.seed, start_step=0)))
    losses = trainer.train_step(x, index)
    moments = [v.numpy() for v in trainer.optimizer._momentums]   # Keras' Adam keeps m_t here
    model = trainer.model
    # The Keras model lists its layers' weights (BN statistics and the prior's included); the sampler is a tf.Module.
    sampler = [] if model.prior is None else list(model.prior.sampler.variables)   # struct has no prior
    variables = {f"{i}:{v.name}": v.numpy() for i, v in enumerate(list(model.variables) + sampler)}
    scalars = {name: float(np.asarray(value)) for name, value in losses._asdict().items()
               if name in ("objective", "reconstruction", "kl", "weight_decay", "prior_log_z")}
    return moments, variables, scalars


def main(data_dir, run_root):
    splits = datasets.load_dataset("binarized_mnist", data_dir)
    report = {}
    # (name, overrides, devices and posterior-noise seed of the second run): one device against two, and the
    # control, one device against one with other noise, which must differ.
    cases = [(name, overrides, ["/cpu:0", "/cpu:1"], None) for name, overrides in CONFIGS.items()]
    cases.append(("control_other_noise", CONFIGS["gsm_relax_L2_k2"], ["/cpu:0"], 99))
    for name, overrides, second_devices, noise_seed in cases:
        runs = []
        for i, (devices, seed) in enumerate([(["/cpu:0"], None), (second_devices, noise_seed)]):
            config = Config(**{**TINY, **overrides}, data_dir=data_dir,
                            log_dir=os.path.join(run_root, name, str(i))).validate()
            runs.append(one_step(config, splits, devices, seed))
        (m1, v1, l1), (m2, v2, l2) = runs
        scale = max(float(np.max(np.abs(m))) for m in m1)
        report[name] = {
            "gradient_scale": scale,
            "gradient_max_diff": max(float(np.max(np.abs(a - b))) for a, b in zip(m1, m2)),
            "variable_max_diff": max(float(np.max(np.abs(v1[k].astype(np.float64) - v2[k]))) for k in v1),
            "loss_max_diff": max(abs(l1[k] - l2[k]) for k in l1),
            "variables": len(v1),
        }
    print(json.dumps(report))


if __name__ == "__main__":
    main(*sys.argv[1:3])
