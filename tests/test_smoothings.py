"""Overlapping mixtures under each DVAE# smoothing against closed forms and the spec's reference values."""
import numpy as np
import pytest
import tensorflow as tf
from scipy import stats

from dvae_tf2.distributions import OverlappingMixture, PowerFunctionSmoothing
from dvae_tf2.distributions.base import NORMAL
from dvae_tf2.distributions.exponential_smoothing import (UNIFORM_WEIGHT, ExponentialSmoothing,
                                                          UniformExponentialSmoothing)
from dvae_tf2.distributions.gaussian_smoothing import GaussianSmoothing

NUM = 200_000
# (factory, bracket of the mixture's support for bisection)
SMOOTHINGS = {
    "power": (PowerFunctionSmoothing, (0.0, 1.0)),
    "exp": (ExponentialSmoothing, (0.0, 1.0)),
    "unexp": (UniformExponentialSmoothing, (0.0, 1.0)),
    "gauss": (GaussianSmoothing, (-4.0, 5.0)),
}


def _logit(q):
    return np.log(q / (1.0 - q))


def _mixture(name, beta, q, dtype=tf.float64):
    return OverlappingMixture(tf.constant(_logit(np.asarray(q, np.float64)), dtype), SMOOTHINGS[name][0](beta))


def _inverse_cdf(name, beta, q, u):
    """F^-1(u) of the mixture by bisection in float64 (q, u broadcast to one shape)."""
    q, u = np.broadcast_arrays(np.asarray(q, np.float64), np.asarray(u, np.float64))
    mixture = _mixture(name, beta, q)
    lo, hi = (np.full(u.shape, edge) for edge in SMOOTHINGS[name][1])
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        below = mixture.cdf(tf.constant(mid)).numpy() < u
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return 0.5 * (lo + hi)


def _exponential_inverse_cdf(beta, q, u):
    """Closed form: t = e^(beta zeta) is the positive root of q d t^2 + [(1-q) - q d - u (1-d)] t - (1-q) = 0."""
    d = np.exp(-beta)
    a, b, c = q * d, (1 - q) - q * d - u * (1 - d), -(1 - q)
    t = (-b + np.sqrt(b * b - 4 * a * c)) / (2 * a)
    return np.log(t) / beta


def test_exponential_reference_values_and_closed_form_inverse():
    u = np.array([0.2, 0.5, 0.9])
    expected = [0.033644, 0.125248, 0.959464]
    np.testing.assert_allclose(_inverse_cdf("exp", 10.0, 0.3, u), expected, atol=1e-6)
    np.testing.assert_allclose(_exponential_inverse_cdf(10.0, 0.3, u), expected, atol=1e-6)
    q, u = np.meshgrid(np.linspace(0.05, 0.95, 7), np.linspace(0.01, 0.99, 9))
    for beta in (3.0, 10.0):
        np.testing.assert_allclose(_inverse_cdf("exp", beta, q, u), _exponential_inverse_cdf(beta, q, u),
                                   rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name,beta,zeta_ref,g_ref", [
    ("exp", 10.0, 0.179063, 0.831071),
    # The spec's 0.0041986 is zeta + 1e-7 (the legacy offset); this implementation returns zeta itself.
    ("power", 30.0, 0.0041985, 0.209187),
    ("unexp", 16.0, 0.125697, 0.647629),
    ("gauss", 25.0, 0.193470, 1.111286),
])
def test_reference_zeta_and_gradient_at_q04_u05(name, beta, zeta_ref, g_ref):
    zeta = _inverse_cdf(name, beta, 0.4, 0.5)
    assert zeta == pytest.approx(zeta_ref, rel=3e-5)
    g = _mixture(name, beta, 0.4).grad_zeta_wrt_q(tf.constant(zeta)).numpy()
    assert g == pytest.approx(g_ref, rel=3e-6)


@pytest.mark.parametrize("name,beta", [("power", 30.0), ("exp", 10.0), ("unexp", 16.0), ("gauss", 25.0),
                                       ("exp", 3.0), ("gauss", 4.0)])
def test_grad_zeta_wrt_q_is_the_derivative_of_the_inverse_cdf(name, beta):
    q, u = np.meshgrid(np.linspace(0.1, 0.9, 5), np.linspace(0.025, 0.975, 12))
    h = 1e-5
    numeric = (_inverse_cdf(name, beta, q + h, u) - _inverse_cdf(name, beta, q - h, u)) / (2 * h)
    zeta = _inverse_cdf(name, beta, q, u)
    analytic = _mixture(name, beta, q).grad_zeta_wrt_q(tf.constant(zeta)).numpy()
    # The power smoothing's 1e-7 offset gives R(0) > 0, so F^-1 sticks at 0 or 1 for u near either end.
    resolved = np.abs(zeta - np.round(zeta)) > 1e-12
    assert resolved.sum() >= 20
    np.testing.assert_allclose(analytic[resolved], numeric[resolved], rtol=1e-5, atol=1e-8)
    # The reparameterised sample carries it to the logits: d zeta / d l = g q (1 - q).
    logits = tf.constant(_logit(q))
    with tf.GradientTape() as tape:
        tape.watch(logits)
        mixture = OverlappingMixture(logits, SMOOTHINGS[name][0](beta))
        zeta0 = tf.where(u < mixture.probs, 1.0 - zeta, zeta)  # the component draw that gives zeta
        sample = mixture.sample_from_noise(tf.constant(u), tf.constant(zeta0))
    np.testing.assert_allclose(sample.numpy(), zeta, atol=1e-12)
    np.testing.assert_allclose(tape.gradient(sample, logits).numpy(), analytic * q * (1 - q), rtol=1e-10)


@pytest.mark.parametrize("name,beta", [("power", 30.0), ("exp", 10.0), ("unexp", 16.0), ("gauss", 25.0)])
def test_log_prob_is_the_derivative_of_the_cdf_and_mean_is_its_first_moment(name, beta):
    smoothing = SMOOTHINGS[name][0](beta)
    lo, hi = SMOOTHINGS[name][1]
    grid = np.linspace(lo + 1e-3, hi - 1e-3, 401)
    h = 1e-6
    numeric = (smoothing.cdf(tf.constant(grid + h)) - smoothing.cdf(tf.constant(grid - h))).numpy() / (2 * h)
    np.testing.assert_allclose(np.exp(smoothing.log_prob(tf.constant(grid)).numpy()), numeric, rtol=1e-6, atol=1e-9)
    # E[zeta0] = lo + int (1 - R) over the support (integration by parts; R is smooth even where r is not).
    fine = np.linspace(lo, hi, 2_000_001)
    first_moment = lo + np.trapezoid(1.0 - smoothing.cdf(tf.constant(fine)).numpy(), fine)
    assert float(smoothing.mean()) == pytest.approx(first_moment, abs=2e-6)


@pytest.mark.parametrize("name,beta", [("power", 30.0), ("exp", 10.0), ("unexp", 16.0), ("gauss", 25.0)])
def test_samples_follow_the_mixture_cdf_and_mean(name, beta):
    rng = tf.random.Generator.from_seed(7)
    q = np.repeat([0.2, 0.7], NUM // 2)
    mixture = _mixture(name, beta, q, tf.float32)
    zeta = mixture.sample_from_rng(rng).numpy().reshape(2, -1)
    m0 = float(mixture.smoothing.mean())
    for row, q_row in zip(zeta, (0.2, 0.7)):
        # E[zeta] = (1 - q) m0 + q (1 - m0); the Monte Carlo error is below 4 sd of the mean.
        assert row.mean() == pytest.approx((1 - q_row) * m0 + q_row * (1 - m0), abs=4 * row.std() / np.sqrt(len(row)))
        grid = np.quantile(row, np.linspace(0.01, 0.99, 49))
        # Below ~1e-4 from the ends the power smoothing's 1e-7 offset makes R differ from the law of u^beta.
        grid = grid[np.abs(grid - np.round(grid)) > 1e-3]
        expected = _mixture(name, beta, np.full(grid.shape, q_row)).cdf(tf.constant(grid)).numpy()
        # DKW: sup |F_n - F| <= 0.0082 with probability 1 - 2e-6 at n = 1e5.
        np.testing.assert_allclose((row[:, None] <= grid).mean(axis=0), expected, atol=0.0082)


@pytest.mark.parametrize("name,beta,uniform_mass", [
    ("power", 1e4, 0.0), ("exp", 1e3, 0.0), ("gauss", 1e5, 0.0),
    # The uniform floor keeps eps of the mass spread over [0, 1] at every beta.
    ("unexp", 1e3, 0.05)])
def test_zeta_concentrates_on_z_as_beta_grows(name, beta, uniform_mass):
    rng = tf.random.Generator.from_seed(3)
    q = np.repeat([0.1, 0.5, 0.8], 50_000)
    mixture = _mixture(name, beta, q, tf.float32)
    zeta = mixture.sample_from_rng(rng).numpy()
    # The component mean tends to 0 (to eps / 2 with the uniform floor).
    assert float(mixture.smoothing.mean()) == pytest.approx(uniform_mass / 2, abs=1e-3)
    near_z = np.abs(zeta - (zeta > 0.5)) < 0.02
    assert near_z.mean() == pytest.approx(1 - uniform_mass * 0.98, abs=0.005)
    q = np.array([0.1, 0.5, 0.8])
    np.testing.assert_allclose((zeta.reshape(3, -1) > 0.5).mean(axis=1), q + uniform_mass / 2 * (1 - 2 * q), atol=0.01)


def _scipy_smoothing(name, beta):
    """(pdf, cdf, ppf or None) of r(zeta | 0) from scipy.stats, independent of the port."""
    if name == "exp":
        law = stats.truncexpon(b=beta, scale=1.0 / beta)
        return law.pdf, law.cdf, law.ppf
    if name == "unexp":
        law, eps = stats.truncexpon(b=beta, scale=1.0 / beta), UNIFORM_WEIGHT
        return (lambda z: (1 - eps) * law.pdf(z) + eps), (lambda z: (1 - eps) * law.cdf(z) + eps * z), None
    if name == "power":
        # Beta(1 / beta, 1) = scipy's powerlaw(a = 1 / beta); the port evaluates density and CDF at zeta + 1e-7.
        law = stats.powerlaw(a=1.0 / beta)
        return (lambda z: law.pdf(z + 1e-7)), (lambda z: law.cdf(z + 1e-7)), law.ppf
    law = stats.norm(0.0, 1.0 / np.sqrt(beta))
    return law.pdf, law.cdf, law.ppf


@pytest.mark.parametrize("name,beta", [("power", 30.0), ("power", 2.0), ("exp", 10.0), ("exp", 3.0),
                                       ("unexp", 16.0), ("gauss", 25.0), ("gauss", 4.0)])
def test_smoothing_density_cdf_and_inverse_cdf_are_scipy_s(name, beta):
    smoothing = SMOOTHINGS[name][0](beta)
    pdf, cdf, ppf = _scipy_smoothing(name, beta)
    lo, hi = SMOOTHINGS[name][1]
    grid = np.linspace(lo + 1e-3, hi - 1e-3, 301)
    np.testing.assert_allclose(smoothing.log_prob(tf.constant(grid)).numpy(), np.log(pdf(grid)), rtol=1e-9,
                               atol=1e-12)
    np.testing.assert_allclose(smoothing.cdf(tf.constant(grid)).numpy(), cdf(grid), rtol=1e-9, atol=1e-12)
    if ppf is not None:
        u = np.linspace(0.005, 0.995, 199)
        # The sample is the inverse CDF at u: a normal draw is fed as the standard normal quantile of u.
        noise = [tf.constant(stats.norm.ppf(u) if kind == NORMAL else u) for kind in smoothing.noise_kinds]
        np.testing.assert_allclose(smoothing.transform_noise(*noise).numpy(), ppf(u), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name,beta", [("power", 30.0), ("exp", 10.0), ("unexp", 16.0), ("gauss", 25.0)])
def test_mixture_density_and_cdf_are_scipy_s(name, beta):
    # r_q(zeta) = (1 - q) r(zeta | 0) + q r(1 - zeta | 0), F(zeta) = (1 - q) R(zeta) + q (1 - R(1 - zeta)).
    pdf, cdf, _ = _scipy_smoothing(name, beta)
    lo, hi = SMOOTHINGS[name][1]
    zeta, q = np.meshgrid(np.linspace(lo + 1e-3, hi - 1e-3, 101), [0.1, 0.45, 0.9])
    mixture = _mixture(name, beta, q)
    np.testing.assert_allclose(np.exp(mixture.log_prob(tf.constant(zeta)).numpy()),
                               (1 - q) * pdf(zeta) + q * pdf(1 - zeta), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(mixture.cdf(tf.constant(zeta)).numpy(),
                               (1 - q) * cdf(zeta) + q * (1 - cdf(1 - zeta)), rtol=1e-9, atol=1e-12)
