"""The prior sampler's restarts (--prior_reanneal_every) are for population annealing; PCD chains persist (slow: they
train a few steps)."""
import numpy as np
import pytest
import tensorflow as tf

from dvae_tf2.data import datasets
from dvae_tf2.config import Config
from dvae_tf2.samplers import kernels
from dvae_tf2.training import Trainer


@pytest.fixture(scope="module")
def mnist(shared_data_dir):
    return datasets.load_dataset("binarized_mnist", shared_data_dir, download=False)


def _trainer(tmp_path, data_dir, mnist, sampler):
    config = Config(log_dir=str(tmp_path), data_dir=data_dir, num_latents=8, num_hidden_units=8, num_train_iter=10,
                    eval_every=10, num_prior_samples=16, num_prior_sweeps=3, prior_sampler=sampler,
                    prior_reanneal_every=2, prior_reanneal_temperatures=20, checkpoint_every_secs=0,
                    jit_compile=False, seed=2).validate()
    return Trainer(config, mnist)


@pytest.mark.slow
@pytest.mark.parametrize("sampler,restarts", [("pa", [2]), ("pcd", [])])
def test_only_population_annealing_restarts_at_the_reanneal_step(tmp_path, shared_data_dir, mnist, monkeypatch,
                                                                  sampler, restarts):
    trainer = _trainer(tmp_path, shared_data_dir, mnist, sampler)
    seen = []
    original = trainer.model.prior.reanneal
    monkeypatch.setattr(trainer.model.prior, "reanneal", lambda *a: seen.append(trainer.step) or original(*a))
    trainer.train(until_step=3)
    assert seen == restarts


@pytest.mark.slow
def test_pcd_chains_carry_over_the_reanneal_step(tmp_path, shared_data_dir, mnist):
    # Step 3 follows the restart point (step 2): its PCD chains must be step 2's chains advanced by the step's
    # sweeps at the prior after step 2, replayed here from the sampler's saved generator state.
    trainer = _trainer(tmp_path, shared_data_dir, mnist, "pcd")
    trainer.train(until_step=2)
    prior, sampler = trainer.model.prior, trainer.model.prior.sampler
    chains = tf.identity(sampler.z1)
    params = tf.nest.map_structure(tf.identity, prior.params())
    replay = tf.random.Generator.from_state(tf.identity(sampler.rng.state), sampler.rng.algorithm)
    trainer.train(until_step=3)
    expected, _ = kernels.hard_gibbs_sweeps(params, chains, sampler.num_sweeps, replay)
    np.testing.assert_array_equal(sampler.z1.numpy(), expected.numpy())
    assert not np.array_equal(expected.numpy(), chains.numpy())   # the sweeps moved the chains
