"""rbm.py energies vs direct numpy, and exact.py brute force vs full joint enumeration."""
import numpy as np
import pytest
import tensorflow as tf
from scipy import special

from dvae_tf2.model import rbm
from dvae_tf2.samplers import exact


def random_params(rs, batch, n1, n2, w_scale=1.0):
    return rbm.RBMParams(*(tf.constant(x, tf.float32) for x in
                           (rs.randn(batch, n1), rs.randn(batch, n2), w_scale * rs.randn(batch, n1, n2))))


def np_energy(b1, b2, w, z1, z2):
    """-b1.z1 - b2.z2 - z1^T W z2 for one RBM, z [C, n]."""
    return -(z1 @ b1) - (z2 @ b2) - np.einsum('ci,ij,cj->c', z1, w, z2)


def joint_log_z(params):
    """log Z [B] by summing exp(-E) over all joint states (z1, z2)."""
    b1, b2, w = (np.asarray(t, np.float64) for t in params)
    z1, z2 = exact.enumerate_states(b1.shape[1]), exact.enumerate_states(b2.shape[1])
    z1_all, z2_all = np.repeat(z1, len(z2), 0), np.tile(z2, (len(z1), 1))
    return np.array([special.logsumexp(-np_energy(b1[b], b2[b], w[b], z1_all, z2_all)) for b in range(len(b1))])


def test_energy_matches_numpy_for_binary_and_relaxed_states():
    rs = np.random.RandomState(0)
    params = random_params(rs, 2, 4, 5)
    z1, z2 = rs.rand(2, 7, 4).astype(np.float32), (rs.rand(2, 7, 5) < 0.5).astype(np.float32)
    got = rbm.energy(params, z1, z2).numpy()
    want = [np_energy(*(np.asarray(t)[b] for t in params), z1[b], z2[b]) for b in range(2)]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_energy_gradients_are_the_negative_sufficient_statistics():
    rs = np.random.RandomState(1)
    params = random_params(rs, 1, 3, 4)
    z1, z2 = tf.constant(rs.rand(1, 6, 3), tf.float32), tf.constant(rs.rand(1, 6, 4), tf.float32)
    with tf.GradientTape() as tape:
        tape.watch([params, z1])
        total = tf.reduce_sum(rbm.energy(params, z1, z2))
    g_b1, g_b2, g_w, g_z1 = tape.gradient(total, [params.b1, params.b2, params.w, z1])
    np.testing.assert_allclose(g_b1, -tf.reduce_sum(z1, 1), rtol=1e-5)
    np.testing.assert_allclose(g_b2, -tf.reduce_sum(z2, 1), rtol=1e-5)
    np.testing.assert_allclose(g_w, -tf.einsum('bci,bcj->bij', z1, z2), rtol=1e-5)
    np.testing.assert_allclose(g_z1, -(params.b1[:, None] + tf.einsum('bij,bcj->bci', params.w, z2)), rtol=1e-5)


def test_free_energy_matches_numpy_and_brute_force_marginalisation():
    rs = np.random.RandomState(2)
    params = random_params(rs, 2, 4, 5)
    b1, b2, w = (np.asarray(t, np.float64) for t in params)
    z1 = (rs.rand(2, 6, 4) < 0.5).astype(np.float32)
    got = rbm.free_energy(params, z1).numpy()
    direct = -np.einsum('bcn,bn->bc', z1, b1) - np.logaddexp(0, b2[:, None] + z1 @ w).sum(-1)
    np.testing.assert_allclose(got, direct, rtol=1e-5, atol=1e-5)
    z2_all = exact.enumerate_states(5)
    marginal = [[-special.logsumexp(-np_energy(b1[b], b2[b], w[b], np.repeat(z1[b, c:c + 1], 32, 0), z2_all))
                 for c in range(6)] for b in range(2)]
    np.testing.assert_allclose(got, marginal, rtol=1e-5, atol=1e-5)


def test_conditional_logits():
    rs = np.random.RandomState(3)
    params = random_params(rs, 2, 4, 5)
    z1, z2 = rs.rand(2, 3, 4).astype(np.float32), rs.rand(2, 3, 5).astype(np.float32)
    b1, b2, w = (np.asarray(t) for t in params)
    np.testing.assert_allclose(rbm.logits_z2_given_z1(params, z1), b2[:, None] + z1 @ w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rbm.logits_z1_given_z2(params, z2), b1[:, None] + z2 @ w.transpose(0, 2, 1),
                               rtol=1e-5, atol=1e-6)


def test_interpolate_endpoints_and_midpoint():
    rs = np.random.RandomState(4)
    params = random_params(rs, 2, 3, 4)
    base_b1, base_b2 = tf.constant(rs.randn(2, 3), tf.float32), tf.constant(rs.randn(2, 4), tf.float32)
    at0 = rbm.interpolate(base_b1, base_b2, params, tf.constant(0.0))
    at1 = rbm.interpolate(base_b1, base_b2, params, tf.constant(1.0))
    mid = rbm.interpolate(base_b1, base_b2, params, tf.constant(0.25))
    for got, want in zip(at0, (base_b1, base_b2, tf.zeros_like(params.w))):
        np.testing.assert_allclose(got, want)
    for got, want in zip(at1, params):
        np.testing.assert_allclose(got, want)
    np.testing.assert_allclose(mid.b1, 0.75 * base_b1 + 0.25 * params.b1, rtol=1e-6)
    np.testing.assert_allclose(mid.w, 0.25 * params.w, rtol=1e-6)


def test_factorised_log_z_matches_enumeration():
    rs = np.random.RandomState(5)
    params = random_params(rs, 3, 4, 5, w_scale=0.0)
    np.testing.assert_allclose(rbm.factorised_log_z(params.b1, params.b2), joint_log_z(params), rtol=1e-5)


def test_enumerate_states_lists_every_binary_vector_once():
    states = exact.enumerate_states(4)
    assert states.shape == (16, 4)
    assert len({tuple(s) for s in states}) == 16
    np.testing.assert_array_equal(states[5], [0, 1, 0, 1])


def test_exact_log_z_matches_joint_enumeration_and_is_side_symmetric():
    rs = np.random.RandomState(6)
    params = random_params(rs, 3, 4, 5, w_scale=1.5)
    want = joint_log_z(params)
    np.testing.assert_allclose(exact.exact_log_z(params), want, rtol=1e-10)
    swapped = rbm.RBMParams(params.b2, params.b1, tf.transpose(params.w, [0, 2, 1]))  # enumerates the other side
    np.testing.assert_allclose(exact.exact_log_z(swapped), want, rtol=1e-10)


def test_exact_moments_match_joint_enumeration_on_both_sides():
    rs = np.random.RandomState(7)
    params = random_params(rs, 2, 5, 4, w_scale=1.5)  # n2 < n1: enumerates side 2
    b1, b2, w = (np.asarray(t, np.float64) for t in params)
    z1, z2 = exact.enumerate_states(5), exact.enumerate_states(4)
    z1_all, z2_all = np.repeat(z1, len(z2), 0), np.tile(z2, (len(z1), 1))
    m1, m2, m12 = exact.exact_moments(params)
    for b in range(2):
        p = special.softmax(-np_energy(b1[b], b2[b], w[b], z1_all, z2_all))
        np.testing.assert_allclose(m1[b], p @ z1_all, atol=1e-10)
        np.testing.assert_allclose(m2[b], p @ z2_all, atol=1e-10)
        np.testing.assert_allclose(m12[b], np.einsum('s,si,sj->ij', p, z1_all, z2_all), atol=1e-10)
    swapped = exact.exact_moments(rbm.RBMParams(params.b2, params.b1, tf.transpose(params.w, [0, 2, 1])))
    np.testing.assert_allclose(swapped[0], m2, atol=1e-10)
    np.testing.assert_allclose(swapped[2], np.swapaxes(m12, 1, 2), atol=1e-10)


def test_exact_refuses_large_rbms():
    params = rbm.RBMParams(tf.zeros([1, 21]), tf.zeros([1, 22]), tf.zeros([1, 21, 22]))
    with pytest.raises(ValueError, match="<= 20 units"):
        exact.exact_log_z(params)
