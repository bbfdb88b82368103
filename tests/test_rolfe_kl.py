"""Rolfe's DVAE KL surrogate: its gradient is the exact KL's gradient where that is known in closed form."""
import numpy as np
import tensorflow as tf

from dvae_tf2 import rbm
from dvae_tf2.posteriors import TrainingDraw
from dvae_tf2.priors.overlapping_kl import overlapping_cross_entropy_kl
from dvae_tf2.priors.rolfe_kl import RolfeSurrogatePrior, rolfe_kl_surrogate
from dvae_tf2.samplers import exact


def _enumerated_log_z(params, n1, n2):
    """log Z with exact gradients: logsumexp over every state of the 3 + 3 RBM."""
    z = tf.constant(exact.enumerate_states(n1 + n2), tf.float32)
    return tf.reduce_logsumexp(-rbm.energy(params, z[None, :, :n1], z[None, :, n1:])[0])


def test_single_group_surrogate_has_the_exact_kl_gradient():
    rng = np.random.default_rng(0)
    b1, b2 = tf.Variable(rng.normal(0, 1, [1, 3]), dtype=tf.float32), tf.Variable(rng.normal(0, 1, [1, 3]),
                                                                                    dtype=tf.float32)
    w = tf.Variable(rng.normal(0, 1, [1, 3, 3]), dtype=tf.float32)
    logits = tf.Variable(rng.normal(0, 1.5, [5, 6]), dtype=tf.float32)
    variables = [logits, b1, b2, w]
    with tf.GradientTape(persistent=True) as tape:
        params = rbm.RBMParams(b1, b2, w)
        log_z = _enumerated_log_z(params, 3, 3)
        # One group: every state is its probability q (the last group is Rao-Blackwellised).
        surrogate = tf.reduce_mean(rolfe_kl_surrogate(params, 3, logits, tf.sigmoid(logits), log_z))
        kl = tf.reduce_mean(overlapping_cross_entropy_kl(params, 3, logits, tf.zeros([5, 3]), log_z))
    for a, b in zip(tape.gradient(surrogate, variables), tape.gradient(kl, variables)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-6)


def test_earlier_groups_enter_as_the_binary_states_of_their_samples():
    prior = RolfeSurrogatePrior(2, 2, last_group_units=2, num_samples=8, num_sweeps=1)
    prior.w.assign([[1.0, -2.0], [0.5, 3.0]])
    logits = tf.constant([[0.2, -1.0, 0.7, 0.1]])
    zeta = tf.constant([[0.0, 0.4, 0.9, 0.0]])
    draw = TrainingDraw(zeta=zeta, rb_point=zeta, neg_entropy=tf.zeros([1]), log_q=tf.zeros([1]), logits=logits)
    states = tf.constant([[0.0, 1.0]] + [[0.0, 0.0]])[:1]
    expected = rolfe_kl_surrogate(prior.params(), 2, logits,
                                  tf.concat([states, tf.sigmoid(logits[:, 2:])], axis=-1), tf.constant(0.0))
    np.testing.assert_allclose(prior.kl(draw, tf.constant(0.0)).numpy(), expected.numpy(), rtol=1e-6)
