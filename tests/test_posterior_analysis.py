"""Posterior analysis: mean-field fixed points, mode counts and KL(m || q) against enumeration."""
import numpy as np
import tensorflow as tf

from dvae_tf2.model import rbm
from dvae_tf2.analysis.posterior_analysis import (analyse_posteriors, count_distinct, mean_field_fixed_points,
                                         mean_field_kl)
from dvae_tf2.samplers import exact
from tests.tiny_models import all_states


def _params(b1, b2, w):
    return rbm.RBMParams(*(tf.constant(np.asarray(a, np.float32)) for a in (b1, b2, w)))


def _random_params(seed, n1=6, n2=6, w_scale=1.0):
    rng = np.random.default_rng(seed)
    return _params(rng.normal(size=(1, n1)), rng.normal(size=(1, n2)), rng.normal(size=(1, n1, n2)) * w_scale)


def _two_mode_params(coupling=2.0):
    """W = c u u^T with u = (1, 1, 1, -1, -1, -1) and zero biases: in spins s = 2z - 1 the energy is
    -c/4 (s1.u)(s2.u) + const, so (s1, s2) = (u, u) and (-u, -u) are two modes of equal mass; the
    biases-only base of the AIS is uniform and reaches both."""
    u = np.array([1.0, 1.0, 1.0, -1.0, -1.0, -1.0])
    return _params(np.zeros((1, 6)), np.zeros((1, 6)), coupling * np.outer(u, u)[None])


def test_fixed_points_solve_the_mean_field_equations():
    params = _random_params(0, w_scale=2.0)
    starts = tf.random.stateless_uniform([1, 50, 6], seed=[1, 2])
    points = mean_field_fixed_points(params, starts, tolerance=1e-6)
    assert np.all(points.residual.numpy() < 1e-5)
    np.testing.assert_allclose(points.m2, tf.sigmoid(rbm.logits_z2_given_z1(params, points.m1)), atol=1e-6)
    np.testing.assert_allclose(points.m1, tf.sigmoid(rbm.logits_z1_given_z2(params, points.m2)), atol=1e-5)


def test_mean_field_kl_matches_enumeration():
    params = _random_params(3, w_scale=1.5)
    states = all_states(12)
    log_q = -rbm.energy(params, states[None, :, :6], states[None, :, 6:]).numpy()[0]
    log_z = np.asarray(exact.exact_log_z(params))
    log_q -= log_z[0]
    rng = np.random.default_rng(4)
    m1, m2 = rng.uniform(0.05, 0.95, size=(1, 3, 6)), rng.uniform(0.05, 0.95, size=(1, 3, 6))
    m = np.concatenate([m1, m2], axis=-1)[0]                                      # [3, 12]
    log_m = (states[None] * np.log(m[:, None]) + (1 - states[None]) * np.log(1 - m[:, None])).sum(-1)
    brute = (np.exp(log_m) * (log_m - log_q[None])).sum(axis=1)
    kl = mean_field_kl(params, tf.constant(m1, tf.float32), tf.constant(m2, tf.float32),
                       tf.constant(log_z, tf.float32)).numpy()[0]
    np.testing.assert_allclose(kl, brute, rtol=1e-4, atol=1e-4)
    assert np.all(brute > 0)


def test_count_distinct_merges_rows_within_tolerance():
    points = np.array([[0.0, 1.0], [0.001, 0.999], [1.0, 0.0], [0.5, 0.5]])
    assert count_distinct(points, tolerance=1e-2) == 3
    assert count_distinct(points, tolerance=0.6) == 2


def test_analysis_finds_one_mode_and_zero_kl_for_factorised_and_two_modes_for_a_bimodal_rbm():
    factorised = _params(np.linspace(-2, 2, 6)[None], np.linspace(1, -1, 6)[None], np.zeros((1, 6, 6)))
    bimodal = _two_mode_params()
    batch = rbm.RBMParams(*(tf.concat([a, b], axis=0) for a, b in zip(factorised, bimodal)))
    report = analyse_posteriors(batch, num_starts=200, num_temperatures=300, rng=tf.random.Generator.from_seed(0))
    np.testing.assert_array_equal(report.num_modes, [1, 2])
    np.testing.assert_allclose(report.log_z, exact.exact_log_z(batch), atol=0.05)
    # W = 0: the fixed point is q itself. Two symmetric modes: the best mean field holds half the mass,
    # so KL = log 2 plus the small within-mode error.
    assert abs(report.best_kl[0]) < 0.02
    assert np.log(2) - 0.02 < report.best_kl[1] < np.log(2) + 0.1
    summary = report.summary()
    assert summary["modes_histogram"] == {1: 1, 2: 1} and summary["fraction_unimodal"] == 0.5
