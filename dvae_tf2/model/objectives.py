"""Pure functions for the variational objectives (ELBO, IW bound) and their annealing."""
import tensorflow as tf


def sigmoid_cross_entropy(logits, labels):
    """-[labels log sigmoid(logits) + (1 - labels) log sigmoid(-logits)], elementwise with broadcasting.

    softplus(l) - y l is the stable form (softplus never overflows).
    """
    return tf.nn.softplus(logits) - labels * logits


def bernoulli_log_prob(logits, z):
    """sum_i log Bernoulli(z_i; sigmoid(logits_i)) for z in [0, 1] (relaxed z allowed). [..., n] -> [...]."""
    return -tf.reduce_sum(sigmoid_cross_entropy(logits, z), axis=-1)


def bernoulli_entropy(logits):
    """sum_i H(Bernoulli(sigmoid(logits_i))). [..., n] -> [...]."""
    return -bernoulli_log_prob(logits, tf.sigmoid(logits))


def log_mean_exp(x, axis=-1):
    """log(mean(exp(x))) along `axis`, stable."""
    n = tf.cast(tf.shape(x)[axis], x.dtype)
    return tf.reduce_logsumexp(x, axis=axis) - tf.math.log(n)


def kl_coefficient(step, num_train_iter, warmup_fraction=0.3):
    """KL warm-up: linear from 0 to 1 over the first `warmup_fraction` of training."""
    step = tf.cast(step, tf.float32)
    return tf.minimum(step / (warmup_fraction * num_train_iter), 1.0)


def entropy_coefficient(step, num_train_iter, floor=0.05):
    """Structured prediction: lambda = max(1 - step / (0.5 N), floor)."""
    step = tf.cast(step, tf.float32)
    return tf.maximum(1.0 - step / (0.5 * num_train_iter), floor)


def iw_surrogates(log_w, kl_coeff):
    """Surrogate losses of the importance-weighted bound.

    Args:
      log_w: [N, k] log importance weights (carrying gradients).
      kl_coeff: scalar warm-up coefficient c.
    Returns:
      (loss_p, loss_q): the decoder/prior loss -mean_x sum_k sg(w~) log w and the encoder loss
      -mean_x sum_k sg(c w~^2 + (1 - c) w~) log w (doubly reparameterised, annealed).
    """
    w_norm = tf.stop_gradient(tf.nn.softmax(log_w, axis=-1))
    loss_p = -tf.reduce_mean(tf.reduce_sum(w_norm * log_w, axis=-1))
    w_q = kl_coeff * tf.square(w_norm) + (1.0 - kl_coeff) * w_norm
    loss_q = -tf.reduce_mean(tf.reduce_sum(tf.stop_gradient(w_q) * log_w, axis=-1))
    return loss_p, loss_q


def iw_bound(log_w):
    """log (1/k) sum_k w_k per example: [N, k] -> [N]."""
    return log_mean_exp(log_w, axis=-1)


def piecewise_learning_rates(base_lr, num_train_iter):
    """Legacy schedule: (boundaries, values) at 2%, 60%, 75%, 95% of training."""
    boundaries = [int(f * num_train_iter) for f in (0.02, 0.6, 0.75, 0.95)]
    values = [base_lr / 10, base_lr, base_lr / 3, base_lr / 10, base_lr / 33]
    return boundaries, values

