"""The dvaes_gi posterior (1 - q) N(delta, s^2) + q N(1 + delta, s^2) against closed forms."""
import numpy as np
import pytest
import tensorflow as tf
from scipy import stats

from dvae_tf2.distributions.gaussian_integral import (EXACT_SCALE_GRADIENT, LEGACY_SCALE_GRADIENT,
                                                      ShiftedGaussianMixture, scale_from_parameter, shift_from_logits)

NUM = 200_000


def _logit(q):
    return np.log(q / (1.0 - q))


def _mixture(q, shift, scale, scale_gradient=LEGACY_SCALE_GRADIENT):
    return ShiftedGaussianMixture(*(tf.constant(np.asarray(a, np.float64)) for a in (_logit(q), shift, scale)),
                                  scale_gradient=scale_gradient)


def _scipy_log_prob(logits, shift, scale, zeta):
    """log[(1 - q) N(zeta; delta, s^2) + q N(zeta; 1 + delta, s^2)] from scipy's normal density, q = sigmoid(l)."""
    q = 1.0 / (1.0 + np.exp(-logits))
    return np.log((1 - q) * stats.norm.pdf(zeta, shift, scale) + q * stats.norm.pdf(zeta, 1 + shift, scale))


def _inverse_cdf(q, shift, scale, u):
    """F^-1(u) by bisection in float64 (numpy broadcasting; scipy's normal CDF, independent of TFP)."""
    q, shift, scale, u = np.broadcast_arrays(*(np.asarray(a, np.float64) for a in (q, shift, scale, u)))
    lo, hi = np.full(u.shape, -5.0), np.full(u.shape, 6.0)
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        cdf = (1 - q) * stats.norm.cdf(mid, shift, scale) + q * stats.norm.cdf(mid, 1 + shift, scale)
        lo, hi = np.where(cdf < u, mid, lo), np.where(cdf < u, hi, mid)
    return 0.5 * (lo + hi)


def test_parameterisation_of_shift_and_scale():
    np.testing.assert_allclose(scale_from_parameter(tf.constant([1.0, -1.0, 0.0, 2.0])).numpy(),
                               [0.25, 0.25, 0.05, 0.45], rtol=1e-6)
    np.testing.assert_allclose(shift_from_logits(tf.constant([-50.0, 0.0, 50.0])).numpy(), [-0.25, 0.0, 0.25],
                               atol=1e-7)


@pytest.mark.parametrize("q", [0.02, 0.4, 0.97])
def test_log_prob_is_the_normalised_mixture_density(q):
    shift, scale = 0.1, 0.25
    grid = np.linspace(-3.0, 4.0, 70_001)
    log_prob = _mixture(np.full(grid.shape, q), shift, scale).log_prob(tf.constant(grid)).numpy()
    expected = (1 - q) * stats.norm.pdf(grid, shift, scale) + q * stats.norm.pdf(grid, 1 + shift, scale)
    np.testing.assert_allclose(np.exp(log_prob), expected, rtol=1e-10, atol=1e-300)
    assert np.trapezoid(np.exp(log_prob), grid) == pytest.approx(1.0, abs=1e-9)


def test_log_prob_caps_q_below_one_as_the_legacy_code():
    q, shift, scale = 1 - 1e-6, -0.05, 0.3
    zeta = np.linspace(-1.0, 2.0, 31)
    log_prob = _mixture(np.full(zeta.shape, q), shift, scale).log_prob(tf.constant(zeta)).numpy()
    # log(1 - 1e-4) + log phi_0 + softplus(l + (zeta - delta - 1/2) / s^2) with the uncapped logit l.
    expected = (np.log(1e-4) + stats.norm.logpdf(zeta, shift, scale)
                + np.logaddexp(0, _logit(q) + (zeta - shift - 0.5) / scale ** 2))
    np.testing.assert_allclose(log_prob, expected, rtol=1e-12)


@pytest.mark.parametrize("shift,scale", [(0.0, 0.25), (0.2, 0.25), (-0.15, 0.4)])
def test_implicit_gradients_match_finite_differences_of_the_inverse_cdf(shift, scale):
    q, u = np.meshgrid(np.linspace(0.1, 0.9, 5), np.linspace(0.025, 0.975, 12))
    zeta = _inverse_cdf(q, shift, scale, u)
    mixture = _mixture(q, shift, scale, EXACT_SCALE_GRADIENT)
    h = 1e-6

    def central(**kwargs):
        args = dict(q=q, shift=shift, scale=scale)
        plus = _inverse_cdf(**{**args, **{k: v + h for k, v in kwargs.items()}}, u=u)
        minus = _inverse_cdf(**{**args, **{k: v - h for k, v in kwargs.items()}}, u=u)
        return (plus - minus) / (2 * h)

    np.testing.assert_allclose(mixture.grad_zeta_wrt_q(tf.constant(zeta)).numpy(), central(q=q), rtol=1e-6)
    np.testing.assert_allclose(central(shift=shift), 1.0, rtol=1e-6)
    analytic_scale = mixture.grad_zeta_wrt_scale(tf.constant(zeta)).numpy()
    np.testing.assert_allclose(analytic_scale, central(scale=scale), rtol=1e-6, atol=1e-9)
    # The legacy form, with zeta and zeta - 1 in place of zeta - delta and zeta - 1 - delta, is off by delta / s.
    weight1 = q * stats.norm.pdf(zeta, 1 + shift, scale)
    weights = (1 - q) * stats.norm.pdf(zeta, shift, scale) + weight1
    legacy = ((weights - weight1) * zeta + weight1 * (zeta - 1)) / (scale * weights)
    np.testing.assert_allclose(legacy - central(scale=scale), shift / scale, rtol=1e-6, atol=1e-9)
    port_legacy = _mixture(q, shift, scale, LEGACY_SCALE_GRADIENT).grad_zeta_wrt_scale(tf.constant(zeta)).numpy()
    np.testing.assert_allclose(port_legacy, legacy, rtol=1e-10, atol=1e-12)


def test_scale_gradient_choice_is_checked():
    with pytest.raises(ValueError, match="scale_gradient='exakt' is invalid; valid values: legacy, exact"):
        _mixture(0.5, 0.0, 0.25, "exakt")


@pytest.mark.parametrize("method", ["log_prob", "objective_log_prob"])
def test_log_q_gradient_wrt_logits_shift_and_scale_matches_finite_differences(method):
    # At fixed zeta, log q keeps its gradient w.r.t. every parameter (as the legacy mixture-of-normals
    # log-probability): central differences in float64 of the scipy density, not of the port's.
    rng = np.random.default_rng(3)
    logits, shift = rng.normal(0, 1.5, [3, 7]), rng.uniform(-0.24, 0.24, [3, 7])
    scale = rng.uniform(0.1, 0.5, [1, 7])
    zeta = rng.integers(0, 2, [3, 7]) + shift + scale * rng.normal(size=[3, 7])
    params = [tf.constant(a) for a in (logits, shift, scale)]
    with tf.GradientTape() as tape:
        tape.watch(params)
        mixture = ShiftedGaussianMixture(*params)
        log_q = getattr(mixture, method)(tf.constant(zeta))
        total = tf.reduce_sum(log_q)
    grads = tape.gradient(total, params)
    h = 1e-6
    for i, (grad, value) in enumerate(zip(grads, (logits, shift, scale))):
        expected = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            step = np.zeros_like(value)
            step[index] = h
            args = [logits, shift, scale]
            plus, minus = list(args), list(args)
            plus[i], minus[i] = value + step, value - step
            expected[index] = (_scipy_log_prob(*plus, zeta).sum() - _scipy_log_prob(*minus, zeta).sum()) / (2 * h)
        assert grad is not None
        np.testing.assert_allclose(grad.numpy(), expected, rtol=1e-6, atol=1e-8)


def test_sample_attaches_the_implicit_gradients_to_logits_shift_and_scale():
    q = np.linspace(0.1, 0.9, 9)
    logits = tf.constant(_logit(q))
    shift = tf.constant(np.linspace(-0.2, 0.2, 9))
    scale = tf.constant(0.3, tf.float64)
    rng = np.random.default_rng(0)
    u, eps = tf.constant(rng.uniform(size=9)), tf.constant(rng.normal(size=9))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([logits, shift, scale])
        mixture = ShiftedGaussianMixture(logits, shift, scale)
        zeta = mixture.sample_from_noise(u, eps)
    expected_zeta = (u.numpy() < q) + shift.numpy() + 0.3 * eps.numpy()
    np.testing.assert_allclose(zeta.numpy(), expected_zeta, rtol=1e-12)
    np.testing.assert_allclose(tape.jacobian(zeta, logits).numpy(),
                               np.diag(mixture.grad_zeta_wrt_q(zeta).numpy() * q * (1 - q)), rtol=1e-10)
    np.testing.assert_allclose(tape.jacobian(zeta, shift).numpy(), np.eye(9), rtol=1e-12)
    np.testing.assert_allclose(tape.jacobian(zeta, scale).numpy(), mixture.grad_zeta_wrt_scale(zeta).numpy(),
                               rtol=1e-10)


def test_samples_follow_the_mixture_cdf_and_mean():
    rng = tf.random.Generator.from_seed(11)
    q, shift, scale = 0.35, 0.12, 0.25
    mixture = ShiftedGaussianMixture(tf.fill([NUM], float(_logit(q))), tf.fill([NUM], shift), tf.constant([scale]))
    zeta = mixture.sample_from_rng(rng).numpy()
    assert zeta.mean() == pytest.approx(q + shift, abs=4 * zeta.std() / np.sqrt(NUM))
    grid = np.quantile(zeta, np.linspace(0.01, 0.99, 49))
    expected = (1 - q) * stats.norm.cdf(grid, shift, scale) + q * stats.norm.cdf(grid, 1 + shift, scale)
    np.testing.assert_allclose(_mixture(np.full(grid.shape, q), shift, scale).cdf(tf.constant(grid)).numpy(),
                               expected, rtol=1e-10)
    # DKW: sup |F_n - F| <= 0.006 with probability 1 - 1e-6 at n = 2e5.
    np.testing.assert_allclose((zeta[:, None] <= grid).mean(axis=0), expected, atol=0.006)


def test_zeta_concentrates_on_z_plus_shift_as_the_scale_vanishes():
    rng = tf.random.Generator.from_seed(12)
    q = np.repeat([0.2, 0.7], 50_000)
    shift = 0.1
    zeta = ShiftedGaussianMixture(tf.constant(_logit(q), tf.float32), tf.fill([len(q)], shift),
                                  tf.constant([1e-3])).sample_from_rng(rng).numpy()
    z = np.round(zeta - shift)
    assert np.max(np.abs(zeta - shift - z)) < 0.01
    np.testing.assert_allclose(z.reshape(2, -1).mean(axis=1), [0.2, 0.7], atol=0.01)
