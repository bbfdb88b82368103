"""dvaes_power: the power-function overlapping mixture and the mean-field marginal prior, against closed forms."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from scipy import optimize

from dvae_tf2.model import rbm
from dvae_tf2.distributions import OverlappingMixture, PowerFunctionSmoothing
from dvae_tf2.priors import MarginalRBMPrior
from dvae_tf2.priors.marginal_rbm import augmented_energy, smoothing_fields
from dvae_tf2.samplers import exact

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OFFSET = 1e-7


def _power_cdf(v, q, beta):
    """Closed form of the mixture CDF with the legacy offset: (1-q) (v+e)^l + q (1 - (1-v+e)^l), l = 1/beta."""
    lam = 1.0 / beta
    return (1 - q) * (v + OFFSET) ** lam + q * (1 - (1 - v + OFFSET) ** lam)


def _mixture(q, beta, dtype=tf.float64):
    logits = tf.constant(np.log(q) - np.log1p(-q), dtype)
    return OverlappingMixture(logits, PowerFunctionSmoothing(beta))


def _inverse_cdf(u, q, beta):
    return optimize.brentq(lambda v: _power_cdf(v, q, beta) - u, 0.0, 1.0, xtol=1e-15)


@pytest.mark.parametrize("beta", [3.0, 30.0])
def test_mixture_cdf_and_density_match_the_closed_form(beta):
    q = np.array([0.05, 0.4, 0.5, 0.9])
    v = np.linspace(0.01, 0.99, 33)[:, None]
    mixture = _mixture(np.broadcast_to(q, (33, 4)), beta)
    np.testing.assert_allclose(mixture.cdf(tf.constant(np.broadcast_to(v, (33, 4)))).numpy(),
                               _power_cdf(v, q, beta), rtol=1e-10)
    # The density is the CDF's derivative.
    h = 1e-6
    numeric = (_power_cdf(v + h, q, beta) - _power_cdf(v - h, q, beta)) / (2 * h)
    density = np.exp(mixture.log_prob(tf.constant(np.broadcast_to(v, (33, 4)))).numpy())
    np.testing.assert_allclose(density, numeric, rtol=1e-5)


@pytest.mark.parametrize("q,beta", [(0.4, 30.0), (0.1, 30.0), (0.7, 5.0)])
def test_samples_follow_the_mixture_cdf_and_mean(q, beta):
    n = 200_000
    mixture = _mixture(np.full([n], q), beta, tf.float32)
    zeta = mixture.sample_from_rng(tf.random.Generator.from_seed(7)).numpy()
    # Away from 0, where the legacy offset shifts the CDF (R(0) = 1e-7^lambda, not 0).
    grid = np.linspace(0.02, 0.98, 41)
    empirical = np.array([(zeta <= v).mean() for v in grid])
    np.testing.assert_allclose(empirical, _power_cdf(grid, q, beta), atol=0.006)   # DKW, n = 2e5
    m0 = 1.0 / (1.0 + beta)
    expected_mean = (1 - q) * m0 + q * (1 - m0)
    assert float(mixture.mean()[0]) == pytest.approx(expected_mean, rel=1e-5)
    assert zeta.mean() == pytest.approx(expected_mean, abs=4 * zeta.std() / np.sqrt(n))


def test_implicit_gradient_matches_the_derivative_of_the_inverse_cdf():
    # At q = 0.4, u = 0.5, beta = 30 the single-uniform inverse CDF gives zeta = 0.0041986, dzeta/dq = 0.209187.
    beta, u = 30.0, 0.5
    for q in (0.4, 0.2, 0.55, 0.8):
        zeta = _inverse_cdf(u, q, beta)
        h = 1e-6
        numeric = (_inverse_cdf(u, q + h, beta) - _inverse_cdf(u, q - h, beta)) / (2 * h)
        implicit = float(_mixture(np.array([q]), beta).grad_zeta_wrt_q(tf.constant([zeta], tf.float64))[0])
        assert implicit == pytest.approx(numeric, rel=1e-4)
        if q == 0.4:
            assert (zeta, implicit) == (pytest.approx(0.0041986, abs=1e-6), pytest.approx(0.209187, abs=1e-5))


def test_sample_carries_the_implicit_gradient_to_the_logits():
    logits = tf.constant(np.linspace(-2.0, 2.0, 9), tf.float32)
    mixture = OverlappingMixture(logits, PowerFunctionSmoothing(30.0))
    u = tf.constant(np.linspace(0.05, 0.95, 9), tf.float32)
    zeta0 = tf.constant(np.linspace(0.0, 0.4, 9), tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(logits)
        zeta = OverlappingMixture(logits, PowerFunctionSmoothing(30.0)).sample_from_noise(u, zeta0)
    grad = tape.gradient(zeta, logits).numpy()
    q = tf.sigmoid(logits).numpy()
    np.testing.assert_allclose(zeta.numpy(), np.where(u.numpy() < q, 1 - zeta0.numpy(), zeta0.numpy()), atol=1e-6)
    np.testing.assert_allclose(grad, mixture.grad_zeta_wrt_q(zeta).numpy() * q * (1 - q), rtol=1e-5)


def test_samples_approach_the_bernoulli_as_beta_grows():
    q = np.repeat([0.1, 0.5, 0.85], 40_000)
    zeta = _mixture(q, 2000.0, tf.float32).sample_from_rng(tf.random.Generator.from_seed(3)).numpy().reshape(3, -1)
    assert np.mean(np.minimum(zeta, 1 - zeta) < 0.01) > 0.99
    np.testing.assert_allclose((zeta > 0.5).mean(axis=1), [0.1, 0.5, 0.85], atol=0.01)


def _small_prior(seed, coupling_scale=1.0, beta=8.0):
    rng = np.random.default_rng(seed)
    prior = MarginalRBMPrior(3, 4, PowerFunctionSmoothing(beta), num_samples=8, num_sweeps=1)
    prior.b1.assign(rng.normal(0, 0.7, 3).astype(np.float32))
    prior.b2.assign(rng.normal(0, 0.7, 4).astype(np.float32))
    prior.w.assign((coupling_scale * rng.normal(0, 1.0, (3, 4))).astype(np.float32))
    return prior


def _exact_log_marginal(prior, zeta):
    """log sum_z p(z) prod_i r(zeta_i | z_i), by enumerating the 2^7 states z: zeta [M, 7] -> [M]."""
    z = exact.enumerate_states(prior.num_vars).astype(np.float32)
    log_pz = (-prior.energy(z) - exact.exact_log_z(prior.params())[0]).numpy()                      # [S]
    log_r0 = prior.smoothing.log_prob(zeta).numpy()                                                # r(zeta|0)
    log_r1 = prior.smoothing.log_prob(1.0 - zeta).numpy()                                          # r(zeta|1)
    log_r = z[None] * log_r1[:, None] + (1 - z[None]) * log_r0[:, None]                           # [M, S, n]
    return np.logaddexp.reduce(log_pz[None] + log_r.sum(-1), axis=1)


def test_mean_field_marginal_is_a_lower_bound_on_the_exact_marginal():
    zeta = tf.constant(np.random.default_rng(1).uniform(0.02, 0.98, (50, 7)), tf.float32)
    for seed in range(4):
        prior = _small_prior(seed)
        log_z = float(exact.exact_log_z(prior.params())[0])
        exact_log_p = _exact_log_marginal(prior, zeta)
        # The augmented energy reproduces the marginal exactly when summed over z.
        field, offset = smoothing_fields(prior.smoothing, zeta)
        z = tf.constant(exact.enumerate_states(7), tf.float32)
        e_aug = tf.stack([augmented_energy(prior.params(), 3, z, field[i:i + 1], offset[i:i + 1])
                          for i in range(50)])
        np.testing.assert_allclose(tf.reduce_logsumexp(-e_aug, axis=1).numpy() - log_z, exact_log_p, rtol=1e-5)
        log_p = prior.training_log_prob(zeta, tf.constant(log_z)).numpy()
        assert np.all(log_p <= exact_log_p + 1e-4)
        assert np.mean(exact_log_p - log_p) < 0.5


def test_mean_field_marginal_is_exact_without_couplings():
    prior = _small_prior(5, coupling_scale=0.0)
    zeta = tf.constant(np.random.default_rng(2).uniform(0.0, 1.0, (40, 7)), tf.float32)
    log_z = float(exact.exact_log_z(prior.params())[0])
    np.testing.assert_allclose(prior.training_log_prob(zeta, tf.constant(log_z)).numpy(),
                               _exact_log_marginal(prior, zeta), rtol=1e-5, atol=1e-4)


def test_marginal_log_prob_gradient_is_that_of_the_augmented_energy_at_the_mean_field():
    prior = _small_prior(2)
    zeta = tf.constant(np.random.default_rng(3).uniform(0.05, 0.95, (6, 7)), tf.float32)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(zeta)
        log_p = tf.reduce_sum(prior.training_log_prob(zeta, tf.constant(0.0)))
    field, _ = smoothing_fields(prior.smoothing, zeta)
    m = rbm_mean_field = _reference_mean_field(prior, field.numpy())
    # d/db1 of -E_aug(m, zeta) = sum over rows of m1; d/dW = sum m1 m2^T.
    np.testing.assert_allclose(tape.gradient(log_p, prior.b1).numpy(), rbm_mean_field[:, :3].sum(0), rtol=1e-5)
    np.testing.assert_allclose(tape.gradient(log_p, prior.w).numpy(), np.einsum('mi,mj->ij', m[:, :3], m[:, 3:]),
                               rtol=1e-5)
    # d/dzeta: m * db/dzeta + dc/dzeta, with b, c the smoothing fields.
    with tf.GradientTape() as t2:
        t2.watch(zeta)
        f, c = smoothing_fields(prior.smoothing, zeta)
        carrier = tf.reduce_sum(tf.constant(m, tf.float32) * f + c)
    np.testing.assert_allclose(tape.gradient(log_p, zeta).numpy(), t2.gradient(carrier, zeta).numpy(), rtol=1e-4)


def _reference_mean_field(prior, field, sweeps=5):
    """The 5 mean-field sweeps written out in numpy (float64)."""
    b1, b2, w = prior.b1.numpy(), prior.b2.numpy(), prior.w.numpy()
    sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    m1, m2 = np.full((len(field), 3), 0.5), np.full((len(field), 4), 0.5)
    for _ in range(sweeps):
        m2 = sig(m1 @ w + b2 + field[:, 3:])
        m1 = sig(m2 @ w.T + b1 + field[:, :3])
    return np.concatenate([m1, m2], axis=1)


def test_evaluation_log_prob_is_the_discrete_rbm():
    prior = _small_prior(4)
    z = tf.constant(exact.enumerate_states(7), tf.float32)
    expected = -rbm.energy(prior.params(), z[None, :, :3], z[None, :, 3:])[0]
    np.testing.assert_allclose(prior.energy(z).numpy(), -expected.numpy(), rtol=1e-6)


@pytest.mark.slow
def test_legacy_dvaess_command_with_dvaes_power_runs_verbatim(tmp_path, shared_data_dir):
    # The DVAE## README command with the default baseline, shortened by the flags after --num_latents; k = 2 (IW).
    command = [sys.executable, "main.py", f"--log_dir={tmp_path}", f"--data_dir={shared_data_dir}", "--L=2",
               "--baseline=dvaes_power", "--dateset=binarized_mnist", "--experiment=vae", "--k=2",
               "--num_latents=200", "--num_train_iter=300", "--eval_every=150", "--eval_iw_samples=50",
               "--val_stride=50", "--test_subset=200", "--num_prior_samples=200", "--prior_ais_temperatures=300",
               "--prior_ais_chains=128", "--num_prior_sweeps=5"]
    run = subprocess.run(command, cwd=_REPO, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.load(open(tmp_path / "binarized_mnist/vae/200/dvaes_power/2/2/results.json"))
    assert results["config"]["beta"] == 30.0 and results["steps"] == 300
    # Training lowered the NLL far below the untrained model's (about 540 nats) and the bound holds.
    assert 80 < results["test_neg_ll"] < 200 and results["test_neg_ll"] <= results["test_neg_elbo"] + 1e-3
