"""The block-Gibbs transition kernel against brute-force moments of small tempered RBMs."""
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from dvae_tf2.model import rbm
from dvae_tf2.samplers import exact, kernels
from tests.test_samplers import assert_moments_close, random_params

_CHAINS = 10000


def _run(kernel, num_sweeps, seed):
    z1 = tf.cast(tf.random.stateless_uniform(
        [kernel.tempered_params.b1.shape[0], _CHAINS, kernel.tempered_params.b1.shape[1]], [seed, 1]) < 0.5,
        tf.float32)
    run = tf.function(lambda z: kernels.sample_sweeps(kernel, z, num_sweeps, tf.constant([seed, 2])))
    return run(z1)


@pytest.mark.parametrize("beta", [None, 1.0, 0.5])
def test_kernel_leaves_the_tempered_rbm_invariant(beta):
    """After 30 sweeps from uniform states, z1, z2 and z1 z2^T moments are those of p_beta ~ exp(-beta E)."""
    params = random_params(20, 2, 7, 9, w_scale=0.7)
    kernel = kernels.BlockGibbsKernel(params, beta)
    assert isinstance(kernel, tfp.mcmc.TransitionKernel) and kernel.is_calibrated
    z1, results = _run(kernel, 30, 3)
    target = params if beta is None else rbm.RBMParams(beta * params.b1, beta * params.b2, beta * params.w)
    np.testing.assert_allclose(kernel.tempered_params.w, target.w, rtol=1e-6)
    assert_moments_close(z1, results.z2, target)
    if beta == 0.5:   # a tempered RBM differs from the target: the test can tell them apart
        assert np.abs(exact.exact_moments(target)[2] - exact.exact_moments(params)[2]).max() > 0.05


def test_kernel_with_a_base_and_a_beta_per_rbm():
    """beta [B] tempers each RBM of the batch between its own base biases and the target."""
    params = random_params(21, 2, 6, 8, w_scale=1.0)
    base_b1, base_b2 = tf.constant(np.full([2, 6], 0.8), tf.float32), tf.constant(np.full([2, 8], -0.6), tf.float32)
    betas = tf.constant([0.3, 0.8])
    kernel = kernels.tempered_kernel_fn(params, base_b1, base_b2)(betas)
    for b, beta in enumerate(betas.numpy()):
        want = rbm.interpolate(base_b1[b:b + 1], base_b2[b:b + 1], rbm.RBMParams(*(t[b:b + 1] for t in params)),
                               tf.constant(beta))
        for got, ref in zip(kernel.tempered_params, want):
            np.testing.assert_allclose(got[b:b + 1], ref, rtol=1e-6)
    z1, results = _run(kernel, 30, 4)
    assert_moments_close(z1, results.z2, kernel.tempered_params)


def test_results_carry_the_field_and_the_free_energy_it_gives():
    params = random_params(22, 1, 5, 6, w_scale=1.0)
    kernel = kernels.BlockGibbsKernel(params, 0.6)
    z1 = tf.cast(tf.random.stateless_uniform([1, 50, 5], [0, 7]) < 0.5, tf.float32)
    results = kernel.bootstrap_results(z1)
    assert np.all(results.z2.numpy() == 0)
    z1_next, results = kernel.one_step(z1, results, tf.constant([1, 2]))
    np.testing.assert_allclose(results.field, tf.linalg.matmul(z1_next, params.w), rtol=1e-6)
    np.testing.assert_allclose(kernel.free_energy(z1_next, results.field),
                               rbm.free_energy(kernel.tempered_params, z1_next), rtol=1e-5)
    assert set(np.unique(results.z2)) <= {0.0, 1.0} and set(np.unique(z1_next)) <= {0.0, 1.0}


@pytest.mark.parametrize("seed_split", [kernels.split_seed, kernels.fold_seed])
def test_one_step_is_a_function_of_its_seed(seed_split):
    params = random_params(23, 1, 6, 7, w_scale=1.0)
    kernel = kernels.BlockGibbsKernel(params, seed_split=seed_split)
    z1 = tf.cast(tf.random.stateless_uniform([1, 200, 6], [0, 8]) < 0.5, tf.float32)
    results = kernel.bootstrap_results(z1)
    first, again, other = (kernel.one_step(z1, results, tf.constant(s)) for s in ([5, 6], [5, 6], [5, 7]))
    for a, b in zip(tf.nest.flatten(first), tf.nest.flatten(again)):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], other[0])


def test_hard_gibbs_sweeps_are_the_kernel_keyed_by_one_generator_draw():
    params = random_params(24, 1, 4, 5, w_scale=1.0)
    z1 = tf.zeros([1, 30, 4])
    z1_a, z2_a = kernels.hard_gibbs_sweeps(params, z1, 4, tf.random.Generator.from_seed(9))
    key = tf.random.Generator.from_seed(9).make_seeds(1)[:, 0]
    z1_b, results = kernels.sample_sweeps(kernels.BlockGibbsKernel(params), z1, 4, key)
    np.testing.assert_array_equal(z1_a, z1_b)
    np.testing.assert_array_equal(z2_a, results.z2)
