"""Importance-weight utilities shared by population annealing and AIS: ESS and systematic resampling."""
import tensorflow as tf


def ess_fraction(log_weights):
    """Effective sample size fraction (sum w)^2 / (K sum w^2) in (0, 1]. log_weights [..., K] -> [...]."""
    num = tf.cast(tf.shape(log_weights)[-1], log_weights.dtype)
    return tf.exp(2.0 * tf.reduce_logsumexp(log_weights, -1) - tf.reduce_logsumexp(2.0 * log_weights, -1)) / num


def systematic_indices(log_weights, uniform, num_out=None):
    """Systematic resampling: ancestor indices [N, M] int32 for log_weights [N, K] and one u ~ U(0,1) per row [N].

    Output j takes the particle i with cdf_{i-1} <= (j + u) / M < cdf_i; M = num_out, default K.
    """
    num = tf.shape(log_weights)[-1]
    num_out = num if num_out is None else num_out
    cdf = tf.math.cumsum(tf.nn.softmax(log_weights, axis=-1), axis=-1)
    positions = (tf.cast(tf.range(num_out), tf.float32)[None, :] + uniform[:, None]) / tf.cast(num_out, tf.float32)
    return tf.minimum(tf.searchsorted(cdf, positions, side='right'), num - 1)  # guards cdf_K rounding below 1


def systematic_resample(states, log_weights, uniform, num_out=None):
    """Systematic resampling of states [1, K, n] by log_weights [1, K] into num_out (default K) states [1, M, n]."""
    return tf.gather(states, systematic_indices(log_weights, uniform, num_out), batch_dims=1)


def log_mean_exp_and_stderr(log_x, axis=-1):
    """log mean(x) and the delta-method stderr of that log, std(x) / (sqrt(N) mean(x)), both from log x.

    Computed after shifting by max(log x), which leaves the ratio unchanged.
    """
    num = tf.cast(tf.shape(log_x)[axis], log_x.dtype)
    shift = tf.stop_gradient(tf.reduce_max(log_x, axis=axis, keepdims=True))
    x = tf.exp(log_x - shift)
    mean = tf.reduce_mean(x, axis=axis)
    std = tf.math.reduce_std(x, axis=axis)
    return tf.math.log(mean) + tf.squeeze(shift, axis), std / (tf.sqrt(num) * mean)
