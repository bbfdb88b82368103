"""KL forms (a) DVAE++ cross-entropy and (d) Gaussian-integral log p(zeta) against enumeration of a 3+3 RBM."""
import numpy as np
import pytest
import tensorflow as tf
from scipy import special, stats

from dvae_tf2.model import rbm
from dvae_tf2.distributions import OverlappingMixture, PowerFunctionSmoothing
from dvae_tf2.distributions.exponential_smoothing import ExponentialSmoothing
from dvae_tf2.priors.gaussian_integral import (GaussianIntegralPrior, diagonal_shift, gaussian_integral_log_prob,
                                               log_det_shifted_coupling, power_iteration)
from dvae_tf2.priors.marginal_rbm import smoothing_fields
from dvae_tf2.priors.overlapping_kl import overlapping_cross_entropy_kl
from dvae_tf2.samplers import exact

N1 = N2 = 3
STATES = exact.enumerate_states(N1 + N2)  # [64, 6]


def _random_rbm(seed, weight_scale=1.0):
    rng = np.random.default_rng(seed)
    return rbm.RBMParams(tf.constant(rng.normal(0, 0.5, [1, N1])), tf.constant(rng.normal(0, 0.5, [1, N2])),
                         tf.constant(rng.normal(0, weight_scale, [1, N1, N2])))


def _state_log_probs(params):
    """log p(z) [64] for every binary state, and the exact log Z."""
    log_z = float(exact.exact_log_z(params)[0])
    energy = rbm.energy(params, tf.constant(STATES[None, :, :N1]), tf.constant(STATES[None, :, N1:]))[0]
    return -energy.numpy() - log_z, log_z


def _exact_kl(logits, params):
    """KL(q || p) = sum_z q(z) [log q(z) - log p(z)] for factorial q with logits [M, 6]."""
    log_p, _ = _state_log_probs(params)
    log_q = -np.logaddexp(0, -np.where(STATES[None] == 1, 1, -1) * logits[:, None, :]).sum(-1)  # [M, 64]
    return (np.exp(log_q) * (log_q - log_p[None])).sum(-1)


def test_cross_entropy_form_is_the_exact_kl_when_the_log_ratio_is_zero():
    params = _random_rbm(0)
    logits = np.random.default_rng(1).normal(0, 1.5, [5, N1 + N2])
    _, log_z = _state_log_probs(params)
    kl = overlapping_cross_entropy_kl(params, N1, tf.constant(logits), tf.zeros([5, N1], tf.float64), log_z)
    np.testing.assert_allclose(kl.numpy(), _exact_kl(logits, params), rtol=1e-10)
    assert np.all(kl.numpy() > 0)


@pytest.mark.parametrize("smoothing", [ExponentialSmoothing(4.0), PowerFunctionSmoothing(10.0)],
                         ids=["exp", "power"])
def test_cross_entropy_form_with_the_log_ratio_is_unbiased_for_one_layer(smoothing):
    # E_zeta[sigmoid(l1 + log r(zeta|1) - log r(zeta|0))] = E_zeta[q(z1 = 1 | zeta)] = q1, and the form is
    # linear in nu1, so its mean over zeta ~ q is the exact KL.
    params = _random_rbm(2)
    logits = np.random.default_rng(3).normal(0, 1.0, [1, N1 + N2])
    _, log_z = _state_log_probs(params)
    num = 100_000
    tiled = tf.constant(np.repeat(logits, num, axis=0), tf.float32)
    zeta = OverlappingMixture(tiled, smoothing).sample_from_rng(tf.random.Generator.from_seed(4))
    log_ratio1 = smoothing_fields(smoothing, zeta)[0][:, :N1]
    float_params = rbm.RBMParams(*(tf.cast(t, tf.float32) for t in params))
    kl = overlapping_cross_entropy_kl(float_params, N1, tiled, log_ratio1, log_z).numpy().astype(np.float64)
    exact_kl = _exact_kl(logits, params)[0]
    assert kl.std() > 1e-2  # the log ratio does move nu1 away from q1
    assert kl.mean() == pytest.approx(exact_kl, abs=4 * kl.std() / np.sqrt(num))


def _shift_matrix(params, lam):
    w = params.w.numpy()[0]
    coupling = np.block([[np.zeros([N1, N1]), w], [w.T, np.zeros([N2, N2])]])
    return coupling + lam * np.eye(N1 + N2)


def _largest_singular_value(w):
    """sigma_max of a small W by power iteration run to convergence."""
    return power_iteration(w, tf.fill([w.shape[1]], tf.constant(w.shape[1] ** -0.5, w.dtype)), 500)[0]


@pytest.mark.parametrize("weight_scale,lambda_min", [(1.0, 0.0), (1.0, 30.0), (3.0, 0.0)])
def test_gaussian_integral_log_prob_is_the_exact_marginal(weight_scale, lambda_min):
    params = _random_rbm(5, weight_scale)
    sigma_max = _largest_singular_value(params.w[0])
    assert float(sigma_max) == pytest.approx(np.linalg.svd(params.w.numpy()[0], compute_uv=False)[0], rel=1e-9)
    lam = diagonal_shift(sigma_max, tf.constant(lambda_min, tf.float64))
    assert float(lam) == pytest.approx(max(float(sigma_max) + 5.0, lambda_min))
    a = _shift_matrix(params, float(lam))
    assert np.linalg.eigvalsh(a).min() == pytest.approx(float(lam) - float(sigma_max), rel=1e-10)
    assert float(log_det_shifted_coupling(params.w[0], lam)) == pytest.approx(np.linalg.slogdet(a)[1], rel=1e-12)

    rng = np.random.default_rng(6)
    zeta = np.concatenate([STATES[rng.integers(0, 64, 10)] + rng.normal(0, 0.4, [10, 6]),
                           rng.normal(0.5, 1.0, [10, 6])])
    log_p_z, log_z = _state_log_probs(params)
    # Brute force: log sum_z p(z) N(zeta; z, A^-1).
    cov = np.linalg.inv(a)
    log_joint = log_p_z[None] + np.stack(
        [stats.multivariate_normal(mean=z, cov=cov).logpdf(zeta) for z in STATES], axis=-1)
    expected = special.logsumexp(log_joint, axis=-1)
    log_prob = gaussian_integral_log_prob(params, N1, tf.constant(zeta), lam, log_z)
    np.testing.assert_allclose(log_prob.numpy(), expected, rtol=1e-10, atol=1e-10)


def test_gaussian_integral_log_prob_carries_the_energy_gradient():
    # Without log Z, d log p(zeta) / d b = E[z | zeta] (log det A does not depend on b), and under the
    # Gaussian-integral joint p(z | zeta) is factorial: sigmoid((A zeta + b - lambda / 2)_i).
    params = _random_rbm(7)
    zeta = tf.constant(np.random.default_rng(8).normal(0.5, 0.5, [4, 6]))
    lam = diagonal_shift(_largest_singular_value(params.w[0]), tf.constant(0.0, tf.float64))
    b1, b2 = tf.Variable(params.b1), tf.Variable(params.b2)
    with tf.GradientTape() as tape:
        log_prob = gaussian_integral_log_prob(rbm.RBMParams(b1, b2, params.w), N1, zeta, lam, 0.0)
    grad = np.concatenate([g.numpy()[0] for g in tape.gradient(log_prob, [b1, b2])])
    # Summed over the 4 points.
    a = _shift_matrix(params, float(lam))
    bias = np.concatenate([params.b1.numpy()[0], params.b2.numpy()[0]])
    expected = special.expit(zeta.numpy() @ a + bias - float(lam) / 2).sum(0)
    np.testing.assert_allclose(grad, expected, rtol=1e-10)


def _brute_force_unnormalised_log_prob(b1, b2, w, lam, zeta):
    """log sum_z exp(-E(z)) N(zeta; z, A^-1) by enumeration with scipy, numpy float64 (no log Z)."""
    coupling = np.block([[np.zeros([N1, N1]), w], [w.T, np.zeros([N2, N2])]])
    cov = np.linalg.inv(coupling + lam * np.eye(N1 + N2))
    neg_energy = STATES[:, :N1] @ b1 + STATES[:, N1:] @ b2 + np.einsum("si,ij,sj->s", STATES[:, :N1], w,
                                                                         STATES[:, N1:])
    log_joint = neg_energy[None] + np.stack([stats.multivariate_normal(mean=z, cov=cov).logpdf(zeta)
                                             for z in STATES], axis=-1)
    return special.logsumexp(log_joint, axis=-1)


@pytest.mark.parametrize("weight_scale", [0.5, 2.0])
def test_gaussian_integral_log_prob_w_gradient_matches_finite_differences(weight_scale):
    # At fixed lambda (it carries no gradient) and without log Z: d log p(zeta) / d W, through the energy and
    # through A = [[0, W], [W^T, 0]] + lambda I (log det A and zeta^T A zeta), against central differences of the
    # brute-force marginal.
    params = _random_rbm(9, weight_scale)
    b1, b2, w = (t.numpy()[0] for t in params)
    lam = float(np.linalg.svd(w, compute_uv=False)[0]) + 5.0
    rng = np.random.default_rng(10)
    zeta = STATES[rng.integers(0, 64, 6)] + rng.normal(0, 0.3, [6, 6])
    w_var = tf.Variable(params.w)
    with tf.GradientTape() as tape:
        log_prob = gaussian_integral_log_prob(rbm.RBMParams(params.b1, params.b2, w_var), N1, tf.constant(zeta),
                                              tf.constant(lam, tf.float64), 0.0)
        total = tf.reduce_sum(log_prob)
    np.testing.assert_allclose(log_prob.numpy(), _brute_force_unnormalised_log_prob(b1, b2, w, lam, zeta),
                               rtol=1e-10)
    grad = tape.gradient(total, w_var).numpy()[0]
    h = 1e-6
    numeric = np.zeros_like(w)
    for index in np.ndindex(w.shape):
        step = np.zeros_like(w)
        step[index] = h
        numeric[index] = (_brute_force_unnormalised_log_prob(b1, b2, w + step, lam, zeta).sum()
                          - _brute_force_unnormalised_log_prob(b1, b2, w - step, lam, zeta).sum()) / (2 * h)
    assert np.abs(numeric).max() > 0.1
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-7)


def test_tracked_sigma_max_follows_an_svd_while_training_moves_w():
    # The prior's per-step power iterations (warm-started from the previous step's vector) against an exact SVD
    # of the W each step saw, over Adam steps that grow W's spectrum (lambda_min = 0: lambda - 5 is sigma_max).
    prior = GaussianIntegralPrior(30, 30, lambda_min=0.0, num_samples=4, num_sweeps=1)
    prior.w.assign(np.random.default_rng(11).normal(0, 0.3, [30, 30]).astype(np.float32))
    zeta = tf.constant(np.random.default_rng(12).integers(0, 2, [16, 60]).astype(np.float32))
    optimizer = tf.keras.optimizers.Adam(0.05)
    errors, sigmas = [], []
    for _ in range(40):
        w_seen = prior.w.numpy()
        with tf.GradientTape() as tape:
            # A training step's use of the prior: lambda tracked here, before the update moves W.
            lam = prior.diagonal_shift()
            loss = -tf.reduce_mean(gaussian_integral_log_prob(prior.params(), 30, zeta, lam, 0.0))
        optimizer.apply_gradients(zip(tape.gradient(loss, [prior.w]), [prior.w]))
        sigma = np.linalg.svd(w_seen, compute_uv=False)[0]
        sigmas.append(sigma)
        errors.append(abs(float(lam) - 5.0 - sigma) / sigma)
    assert sigmas[-1] > 1.5 * sigmas[0]                            # the training steps did move the spectrum
    assert max(errors[5:]) < 1e-3, errors
