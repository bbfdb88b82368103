"""Parallel tempering against brute force: a bimodal RBM plain Gibbs cannot cross, and the swap rate's closed form."""
import os
import tempfile

import numpy as np
import pytest
import tensorflow as tf
from absl import logging

from dvae_tf2.config import Config
from dvae_tf2.data import datasets
from dvae_tf2.model import rbm
from dvae_tf2.samplers import TRAINING_SAMPLERS, PCDSampler, exact
from dvae_tf2.samplers.parallel_tempering import ParallelTemperingSampler, exchange, geometric_ladder
from dvae_tf2.training import Trainer
from tests.test_samplers import assert_moments_close, random_params


def bimodal_rbm(n, coupling, tilt):
    """n + n units, W = coupling everywhere, biases -coupling n / 2 + tilt: modes all-off (E = 0) and all-on
    (E = -2 n tilt) separated by a barrier of about coupling n^2 / 4."""
    bias = -coupling * n / 2 + tilt
    return rbm.RBMParams(tf.fill([1, n], bias), tf.fill([1, n], bias), tf.fill([1, n, n], coupling))


def exact_z1_second_moments(params):
    """E[z1 z1^T] [n1, n1] by enumerating z1 (p(z1) ~ exp(-F(z1)), float64)."""
    b1, b2, w = (np.asarray(t, np.float64)[0] for t in params)
    z1 = exact.enumerate_states(b1.shape[0])
    log_p = z1 @ b1 + np.logaddexp(0.0, b2 + z1 @ w).sum(-1)
    p = np.exp(log_p - log_p.max())
    p /= p.sum()
    return np.einsum('s,si,sj->ij', p, z1, z1)


def _from_all_off(sampler):
    sampler.z1.assign(tf.zeros_like(sampler.z1))
    return tf.function(sampler.sample)   # without XLA, whose compile time would dominate these short runs


def test_geometric_ladder_and_its_bad_arguments():
    np.testing.assert_allclose(geometric_ladder(3, 0.25), [1.0, 0.5, 0.25], rtol=1e-6)
    assert float(geometric_ladder(5, 0.1)[0]) == 1.0
    with pytest.raises(ValueError, match="num_replicas must be >= 2"):
        geometric_ladder(1, 0.5)
    with pytest.raises(ValueError, match=r"min_beta must be in \(0, 1\)"):
        geometric_ladder(4, 1.0)


def test_exchange_swaps_the_accepted_neighbours_of_each_chain():
    states = tf.constant([[[10 * r + c] for c in range(2)] for r in range(3)], tf.float32)   # [R=3, C=2, 1]
    accepted = tf.constant([[True, False], [False, True]])   # chain 0: replicas 0 <-> 1; chain 1: 1 <-> 2
    (moved,) = exchange([states], accepted)
    np.testing.assert_array_equal(moved[..., 0], [[10, 1], [0, 21], [20, 11]])


def test_parallel_tempering_is_exact_on_a_bimodal_rbm_where_gibbs_is_stuck():
    """From the all-off mode (exact probability 0.23), PT's beta = 1 chains reach the exact marginals and
    correlations; PCD's chains, with the same sweeps, stay in the mode they started in."""
    params = bimodal_rbm(6, 3.0, 0.1)
    m1, _, _ = exact.exact_moments(params)
    assert 0.7 < m1[0, 0] < 0.85
    chains = 2000
    pt = ParallelTemperingSampler(6, 6, num_chains=chains, num_sweeps=60, seed=1, num_replicas=5, min_beta=0.1)
    step = _from_all_off(pt)
    for _ in range(3):
        out = step(params)
    assert out.z1.shape == (1, chains, 6) and np.isnan(out.log_z) and out.ess == 1.0
    assert_moments_close(out.z1, out.z2, params)
    z1 = out.z1.numpy()[0].astype(np.float64)
    want = exact_z1_second_moments(params)
    assert np.all(np.abs(z1.T @ z1 / chains - want) <= 5 * np.sqrt(want * (1 - want) / chains))
    assert np.all(pt.swap_acceptance.numpy() > 0.1)
    stuck = _from_all_off(PCDSampler(6, 6, num_chains=chains, num_sweeps=180, seed=1))(params)
    assert stuck.z1.numpy().mean() < 0.05


def test_swap_acceptance_matches_its_closed_form_for_two_replicas():
    """E over x ~ p_1, y ~ p_beta (independent) of min(1, exp((1 - beta)(E(x) - E(y)))), by enumerating
    all joint states of a 3 + 3 RBM."""
    params, beta = random_params(30, 1, 3, 3, w_scale=2.0), 0.4
    b1, b2, w = (np.asarray(t, np.float64)[0] for t in params)
    states = exact.enumerate_states(6)
    energy = -(states[:, :3] @ b1 + states[:, 3:] @ b2 + np.einsum('si,ij,sj->s', states[:, :3], w, states[:, 3:]))
    p_hot, p_cold = (np.exp(-b * energy) / np.exp(-b * energy).sum() for b in (1.0, beta))
    want = np.einsum('x,y,xy->', p_hot, p_cold,
                     np.minimum(1.0, np.exp((1.0 - beta) * (energy[:, None] - energy[None, :]))))
    sampler = ParallelTemperingSampler(3, 3, num_chains=4000, num_sweeps=10, seed=2, num_replicas=2, min_beta=beta)
    step = tf.function(sampler.sample)
    step(params)   # burn-in
    rates = []
    for _ in range(3):
        step(params)
        rates.append(float(sampler.swap_acceptance[0]))
    assert 0.1 < want < 0.9
    assert abs(np.mean(rates) - want) < 0.015, (rates, want)


def test_parallel_tempering_is_reproducible_and_checkpointed():
    params = random_params(31, 1, 4, 5, w_scale=1.0)
    assert TRAINING_SAMPLERS["pt"] is ParallelTemperingSampler
    sampler, twin = (TRAINING_SAMPLERS["pt"](4, 5, num_chains=64, num_sweeps=3, seed=9) for _ in range(2))
    for a, b in zip(sampler.sample(params), twin.sample(params)):
        np.testing.assert_array_equal(a, b)
    with tempfile.TemporaryDirectory() as directory:
        path = tf.train.Checkpoint(sampler=sampler).save(os.path.join(directory, "ckpt"))
        expected = sampler.sample(params)
        restored = ParallelTemperingSampler(4, 5, num_chains=64, num_sweeps=3, seed=123)
        tf.train.Checkpoint(sampler=restored).restore(path).assert_consumed()
    got = restored.sample(params)
    for a, b in zip(got, expected):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(restored.rounds.numpy(), 6)
    population = restored.population_at(params)
    np.testing.assert_array_equal(population.z1, restored.z1[:1])


@pytest.mark.slow
def test_short_training_with_parallel_tempering_beside_population_annealing(tmp_path, shared_data_dir):
    """300 steps of a small pwl_relax on MNIST with each prior sampler: PT lowers the validation NLL as PA does."""
    mnist = datasets.load_dataset("binarized_mnist", shared_data_dir, download=False)
    results = {}
    for sampler in ("pa", "pt"):
        config = Config(log_dir=str(tmp_path / sampler), data_dir=shared_data_dir, baseline="pwl_relax",
                        num_latents=40, num_hidden_units=64, num_train_iter=300, eval_every=150,
                        num_prior_samples=100, num_prior_sweeps=5, prior_sampler=sampler, prior_ais_chains=128,
                        prior_ais_temperatures=300, eval_iw_samples=20, val_stride=50, test_subset=200,
                        summary_every=100, seed=5).validate()
        trainer = Trainer(config, mnist)
        trainer.refresh_prior_log_z()
        before = trainer.evaluate(mnist.valid[::50], config.eval_iw_samples, "initial").neg_ll
        results[sampler] = (float(before), trainer.train()["val_neg_ll"])
    logging.info("validation NLL (initial, after 300 steps): %s", results)
    (pa_before, pa_after), (pt_before, pt_after) = results["pa"], results["pt"]
    assert pt_after < pt_before - 50 and pa_after < pa_before - 50, results
    assert abs(pt_after - pa_after) < 5.0, results
