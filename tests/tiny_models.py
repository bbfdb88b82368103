"""Tiny DVAE models whose log p(x), posteriors and KL terms can be computed by enumeration."""
import dataclasses
import itertools

import numpy as np
import tensorflow as tf

from dvae_tf2.data import datasets
from dvae_tf2.config import Config
from dvae_tf2.model.dvae import build_model
from dvae_tf2.training import Trainer

NUM_LATENTS = 12   # 6 + 6: 4096 joint states


def tiny_config(**overrides):
    base = dict(num_latents=NUM_LATENTS, num_hidden_units=8, baseline="pwl_relax", beta=4.0, num_prior_samples=64,
                num_prior_sweeps=2, prior_ais_chains=512, prior_ais_temperatures=2000, posterior_ais_temperatures=500,
                num_train_iter=100, jit_compile=False, seed=3)
    base.update(overrides)
    return Config(**base).validate()


def all_states(n=NUM_LATENTS):
    return np.array(list(itertools.product([0.0, 1.0], repeat=n)), np.float32)


def make_tiny_model(config, images, seed=0, decoder_scale=0.3):
    """A tiny model with a random non-trivial prior and a damped decoder (moderate posteriors)."""
    model = build_model(config, images.mean(axis=0), training_size=len(images))
    rng = np.random.default_rng(seed)
    prior = model.prior
    if prior is not None:   # struct has none
        prior.b1.assign(rng.normal(0, 0.5, prior.b1.shape).astype(np.float32))
        prior.b2.assign(rng.normal(0, 0.5, prior.b2.shape).astype(np.float32))
        prior.w.assign(rng.normal(0, 0.8, prior.w.shape).astype(np.float32))
    kernel = model.decoder.output_layer.kernel
    kernel.assign(kernel * decoder_scale)
    return model


def exact_prior_log_z(model):
    z = all_states()
    return float(tf.reduce_logsumexp(-model.prior.energy(z)))


def exact_log_joint(model, x, log_z):
    """log p(x, z) for all 4096 z: x [N, D] -> [N, 4096]."""
    z = all_states()
    log_pz = -model.prior.energy(z) - log_z
    logits = model.decoder_logits(z, training=False)                      # [S, D]
    log_px = -model.neg_log_likelihood(logits[None], x[:, None, :])      # [N, S]
    return (log_pz[None] + log_px).numpy()


def four_test_images(data_dir, stride):
    """Test images 0, stride, 2 stride, 3 stride of binarized MNIST (the split is class-ordered): [4, 784]."""
    data = np.load(f"{data_dir}/binarized_mnist/binarized_mnist_test.npz")["arr_0"]
    return data[::stride][:4].astype(np.float32)


def with_overrides(config, **kw):
    return dataclasses.replace(config, **kw).validate()


def all_model_variables(model):
    """Every variable of a DVAE: the Keras weights of its layers (network weights, BN statistics, the prior's), the
    prior's sampler (a tf.Module), RNG states, and the RBM posterior's persistent chains (a tf.Variable)."""
    extra = [model.encoder.chains] if hasattr(model.encoder, "chains") else []
    generators = [model.rng.state, model.eval_rng.state, model.prior.sampler.rng.state]
    return list(model.variables) + list(model.prior.sampler.variables) + extra + generators


def tiny_run_dir(log_dir, data_dir, prepare=None, **overrides):
    """A run directory with config.json and a best checkpoint of an untrained 4 + 4-latent model whose prior has
    W ~ N(0, 1) (struct: no prior); prepare(trainer), if given, runs before the checkpoint is written."""
    settings = dict(log_dir=str(log_dir), data_dir=data_dir, num_latents=8, num_hidden_units=8, num_train_iter=10,
                    num_prior_samples=16, num_prior_sweeps=1, jit_compile=False)
    config = Config(**{**settings, **overrides}).validate()
    trainer = Trainer(config, datasets.load_dataset(config.dataset, data_dir))
    if trainer.model.prior is not None:   # struct has none
        trainer.model.prior.w.assign(tf.random.stateless_normal(trainer.model.prior.w.shape, (0, 1)))
    if prepare is not None:
        prepare(trainer)
    trainer.checkpoints.save_best(0)
    return config.run_dir
