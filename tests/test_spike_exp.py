"""Spike-and-exponential relaxation (dvae_spike_exp) against its closed-form law and derivatives."""
import numpy as np
import pytest
import tensorflow as tf

from dvae_tf2.distributions.spike_exp import SpikeAndExponential

NUM = 200_000


def _logit(q):
    return np.log(q / (1.0 - q))


@pytest.mark.parametrize("q,beta", [(0.3, 5.0), (0.8, 4.0), (0.5, 12.0)])
def test_samples_have_the_spike_the_exponential_cdf_and_the_mean(q, beta):
    rng = tf.random.Generator.from_seed(5)
    zeta = SpikeAndExponential(tf.fill([NUM], float(_logit(q))), beta).sample_from_rng(rng).numpy()
    binomial_sd = np.sqrt(q * (1 - q) / NUM)
    assert (zeta == 0).mean() == pytest.approx(1 - q, abs=4 * binomial_sd)
    grid = np.linspace(0.02, 0.98, 25)
    expected = 1 - q + q * np.expm1(beta * grid) / np.expm1(beta)
    np.testing.assert_allclose(
        SpikeAndExponential(tf.fill([len(grid)], tf.constant(_logit(q), tf.float64)), beta).cdf(
            tf.constant(grid)).numpy(), expected, rtol=1e-12)
    # DKW: sup |F_n - F| <= 0.006 with probability 1 - 1e-6 at n = 2e5.
    np.testing.assert_allclose((zeta[:, None] <= grid).mean(axis=0), expected, atol=0.006)
    mean = q * (1 - 1 / beta + 1 / np.expm1(beta))
    assert zeta.mean() == pytest.approx(mean, abs=4 * zeta.std() / np.sqrt(NUM))
    assert float(SpikeAndExponential(tf.constant(_logit(q)), beta).mean()) == pytest.approx(mean, rel=1e-6)
    assert zeta.min() >= 0 and zeta.max() <= 1 + 1e-6


def test_sample_is_the_exact_inverse_cdf_and_its_gradient_matches_finite_differences():
    beta = 5.0
    q, u = (a.ravel() for a in np.meshgrid(np.linspace(0.1, 0.9, 9), np.linspace(0.015, 0.985, 14)))
    logits, u = tf.constant(_logit(q)), tf.constant(u)
    with tf.GradientTape() as tape:
        tape.watch(logits)
        zeta = SpikeAndExponential(logits, beta).sample_from_uniform(u)
    grad = tape.gradient(zeta, logits).numpy()
    zeta, u = zeta.numpy(), u.numpy()
    tail = u > 1 - q
    np.testing.assert_array_equal(zeta[~tail], 0.0)
    tail_relaxation = SpikeAndExponential(tf.constant(_logit(q[tail])), beta)
    np.testing.assert_allclose(tail_relaxation.cdf(tf.constant(zeta[tail])).numpy(), u[tail], rtol=1e-12)
    h = 1e-6
    numeric = (SpikeAndExponential(logits + h, beta).sample_from_uniform(u)
               - SpikeAndExponential(logits - h, beta).sample_from_uniform(u)).numpy() / (2 * h)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)
    # Closed form on the tail, t = (u - 1 + q) / q:
    # d zeta / d q = (e^beta - 1)(1 - u) / (beta q^2 (1 + (e^beta - 1) t)).
    t = (u[tail] - 1 + q[tail]) / q[tail]
    dzeta_dq = np.expm1(beta) * (1 - u[tail]) / (beta * q[tail] ** 2 * (1 + np.expm1(beta) * t))
    np.testing.assert_allclose(grad[tail], dzeta_dq * q[tail] * (1 - q[tail]), rtol=1e-10)
    assert np.all(grad[~tail] == 0)


def test_probabilities_are_clipped_so_saturated_logits_stay_finite():
    logits = tf.constant([-40.0, -20.0, 20.0, 40.0])
    u = tf.constant([0.9999, 0.5, 1e-8, 0.5])
    with tf.GradientTape() as tape:
        tape.watch(logits)
        zeta = SpikeAndExponential(logits, 4.0).sample_from_uniform(u)
    grad = tape.gradient(zeta, logits).numpy()
    assert np.all(np.isfinite(zeta.numpy())) and np.all(np.isfinite(grad))
    np.testing.assert_allclose(SpikeAndExponential(logits, 4.0).clipped_probs.numpy(),
                               [1e-7, 1e-7, 1 - 1e-7, 1 - 1e-7], rtol=1e-6)


def test_zeta_concentrates_on_z_as_beta_grows():
    rng = tf.random.Generator.from_seed(2)
    q = np.repeat([0.2, 0.6], 50_000)
    # beta = 60 (e^beta must stay finite in float32): P(0 < zeta < 0.9) = q (e^(0.9 beta) - 1) / (e^beta - 1) < 1e-3.
    zeta = SpikeAndExponential(tf.constant(_logit(q), tf.float32), 60.0).sample_from_rng(rng).numpy()
    assert np.mean(np.abs(zeta - np.round(zeta)) < 0.1) > 0.998
    np.testing.assert_allclose((zeta.reshape(2, -1) > 0.5).mean(axis=1), [0.2, 0.6], atol=0.01)
