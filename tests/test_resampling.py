"""Systematic resampling: the O(K + M) indices equal searchsorted's on every kind of weight vector."""
import numpy as np
import pytest
import tensorflow as tf

from dvae_tf2.samplers import resampling


def _searchsorted_indices(log_weights, uniform, num_out):
    """The definition: output j takes #{i : cdf_i <= (j + u) / M} (clipped to K - 1)."""
    cdf = tf.math.cumsum(tf.nn.softmax(log_weights, axis=-1), axis=-1)
    positions = (tf.cast(tf.range(num_out), tf.float32)[None, :] + uniform[:, None]) / tf.cast(num_out, tf.float32)
    return tf.minimum(tf.searchsorted(cdf, positions, side="right"), tf.shape(log_weights)[-1] - 1)


def _cases():
    rs = np.random.RandomState(0)
    yield "gaussian", rs.randn(3, 1000), 1000
    yield "uniform weights, exact ties with positions", np.zeros([2, 64]), 64
    yield "uniform weights, more outputs", np.zeros([2, 10]), 40
    yield "heavy tail", 8.0 * rs.randn(2, 500), 500
    yield "one dominant particle", np.where(np.arange(200) == 17, 30.0, 0.0)[None], 200
    yield "zero weights (-inf)", np.where(rs.rand(2, 300) < 0.7, -np.inf, rs.randn(2, 300)), 300
    yield "fewer outputs than particles", rs.randn(2, 1024), 1000


@pytest.mark.parametrize("jit", [False, True])
def test_indices_equal_searchsorted(jit):
    rs = np.random.RandomState(1)
    # Both compiled alike: XLA's softmax and cumsum may round differently from the eager kernels.
    new = tf.function(resampling.systematic_indices, jit_compile=jit)
    reference = tf.function(_searchsorted_indices, jit_compile=jit)
    for name, log_w, num_out in _cases():
        log_w = tf.constant(log_w, tf.float32)
        for u in [0.0, 0.5, 1e-7, 1.0 - 6e-8, *rs.rand(5)]:
            uniform = tf.fill([log_w.shape[0]], tf.constant(u, tf.float32))
            got = new(log_w, uniform, num_out).numpy()
            want = reference(log_w, uniform, num_out).numpy()
            np.testing.assert_array_equal(got, want, err_msg=f"{name}, u = {u}")


def test_counts_are_the_systematic_offspring_numbers():
    """Particle i gets floor or ceil of M w_i copies, and the copies of the particles sum to M."""
    rs = np.random.RandomState(2)
    log_w = tf.constant(rs.randn(1, 50), tf.float32)
    weights = tf.nn.softmax(log_w).numpy()[0]
    index = resampling.systematic_indices(log_w, tf.constant([0.3]), 200).numpy()[0]
    counts = np.bincount(index, minlength=50)
    assert counts.sum() == 200 and np.all(np.abs(counts - 200 * weights) < 1 + 1e-4)
    assert np.all(np.diff(index) >= 0)
