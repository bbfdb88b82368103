"""Relaxed Bernoulli samples against their closed-form CDFs and derivatives."""
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from dvae_tf2.distributions import ConcreteRelaxedBernoulli, PWLRelaxedBernoulli

NUM = 200_000


def _empirical_cdf(samples, grid):
    return np.array([(samples <= v).mean() for v in grid])


@pytest.mark.parametrize("logit,beta", [(-1.5, 4.0), (0.3, 4.0), (2.0, 3.0), (0.0, 1.0)])
def test_pwl_samples_follow_closed_form_cdf(logit, beta):
    rng = tf.random.Generator.from_seed(1)
    logits = tf.fill([NUM], logit)
    zeta = PWLRelaxedBernoulli(logits, beta).sample_from_rng(rng).numpy()
    grid = np.linspace(0.0, 0.99, 23)
    expected = PWLRelaxedBernoulli(tf.fill([len(grid)], logit), beta).cdf(tf.constant(grid, tf.float32)).numpy()
    # Independent check of the closed form itself: P(zeta = 0) = P(u <= 1 - q - 0.5 / s).
    q = 1 / (1 + np.exp(-logit))
    s = beta / (4 * (q * (1 - q) + 0.01))
    assert expected[0] == pytest.approx(np.clip(1 - q - 0.5 / s, 0, 1), abs=1e-6)
    # DKW bound: sup |F_n - F| <= 0.005 with overwhelming probability at n = 2e5.
    np.testing.assert_allclose(_empirical_cdf(zeta, grid), expected, atol=0.006)
    assert zeta.min() >= 0.0 and zeta.max() <= 1.0


@pytest.mark.parametrize("logit,beta", [(-1.0, 10.0), (0.5, 10.0), (1.0, 2.0)])
def test_concrete_samples_follow_closed_form_cdf(logit, beta):
    rng = tf.random.Generator.from_seed(2)
    zeta = ConcreteRelaxedBernoulli(tf.fill([NUM], logit), beta).sample_from_rng(rng).numpy()
    grid = np.linspace(0.01, 0.99, 25)
    # P(sigmoid(beta (l + L)) <= v) = sigmoid(logit(v) / beta - l) for logistic L.
    expected = 1 / (1 + np.exp(-(np.log(grid / (1 - grid)) / beta - logit)))
    np.testing.assert_allclose(_empirical_cdf(zeta, grid), expected, atol=0.006)
    np.testing.assert_allclose(
        ConcreteRelaxedBernoulli(tf.fill([len(grid)], logit), beta).cdf(tf.constant(grid, tf.float32)).numpy(),
        expected, rtol=1e-4, atol=1e-6)
    # The same law as TFP's RelaxedBernoulli (its CDF through the sigmoid bijector).
    tfp_cdf = tfp.distributions.RelaxedBernoulli(temperature=1.0 / beta, logits=logit).cdf(grid.astype(np.float32))
    np.testing.assert_allclose(tfp_cdf.numpy(), expected, rtol=1e-3, atol=1e-5)


def test_concrete_gradients_stay_finite_when_the_sigmoid_saturates():
    rng = tf.random.Generator.from_seed(4)
    logits = tf.constant(np.linspace(-60, 60, 1201), tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(logits)
        zeta = ConcreteRelaxedBernoulli(logits, 10.0).sample_from_rng(rng)
    grad = tape.gradient(zeta, logits).numpy()
    assert np.all(np.isfinite(grad)) and np.all(grad >= 0)
    # Pathwise derivative d zeta / d l = beta zeta (1 - zeta) for a fixed noise draw.
    np.testing.assert_allclose(grad, 10.0 * zeta * (1 - zeta), rtol=1e-4, atol=1e-30)


@pytest.mark.parametrize("relaxation", [PWLRelaxedBernoulli, ConcreteRelaxedBernoulli])
def test_relaxations_concentrate_on_bernoulli_for_large_beta(relaxation):
    rng = tf.random.Generator.from_seed(3)
    logits = tf.constant(np.repeat([-2.0, -0.5, 0.0, 1.2], 50_000), tf.float32)
    zeta = relaxation(logits, 200.0).sample_from_rng(rng).numpy().reshape(4, -1)
    q = 1 / (1 + np.exp(-np.array([-2.0, -0.5, 0.0, 1.2])))
    assert np.mean(np.minimum(zeta, 1 - zeta) < 0.05) > 0.97
    np.testing.assert_allclose((zeta > 0.5).mean(axis=1), q, atol=0.01)


def test_pwl_pathwise_gradient_matches_finite_differences():
    logits = tf.constant(np.linspace(-3, 3, 41), tf.float32)
    u = tf.constant(np.random.default_rng(0).uniform(size=41), tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(logits)
        zeta = PWLRelaxedBernoulli(logits, 4.0).sample_from_uniform(u)
    grad = tape.gradient(zeta, logits).numpy()
    eps = 1e-3
    logits64, u64 = tf.cast(logits, tf.float64), tf.cast(u, tf.float64)
    numeric = ((PWLRelaxedBernoulli(logits64 + eps, 4.0).sample_from_uniform(u64)
                - PWLRelaxedBernoulli(logits64 - eps, 4.0).sample_from_uniform(u64)) / (2 * eps)).numpy()
    interior = (zeta.numpy() > 1e-3) & (zeta.numpy() < 1 - 1e-3)
    assert interior.sum() > 5
    np.testing.assert_allclose(grad[interior], numeric[interior], rtol=2e-3, atol=2e-3)
    np.testing.assert_array_equal(grad[~interior], 0.0)


def test_pwl_mean_gradient_matches_derivative_of_expectation():
    # d/dl E[zeta] by the pathwise estimator equals the derivative of E[zeta] = 1 - int_0^1 F(v) dv.
    beta, logit = 4.0, 0.4
    grid = np.linspace(0, 1, 20001)

    def expectation(l):
        cdf = PWLRelaxedBernoulli(tf.fill([len(grid)], tf.constant(l, tf.float64)), beta).cdf(
            tf.constant(grid, tf.float64))
        return 1 - np.trapezoid(cdf.numpy(), grid)

    analytic = (expectation(logit + 1e-4) - expectation(logit - 1e-4)) / 2e-4
    logits = tf.fill([400_000], tf.constant(logit))
    u = tf.random.stateless_uniform([400_000], seed=[4, 2])
    with tf.GradientTape() as tape:
        tape.watch(logits)
        mean = tf.reduce_sum(PWLRelaxedBernoulli(logits, beta).sample_from_uniform(u))
    estimate = tape.gradient(mean, logits).numpy().mean()
    assert estimate == pytest.approx(analytic, abs=0.01)
