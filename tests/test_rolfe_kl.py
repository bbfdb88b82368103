"""Rolfe's DVAE KL surrogate: its gradient is the exact KL's gradient where that is known in closed form."""
import itertools

import numpy as np
import pytest
import tensorflow as tf

from dvae_tf2.model import rbm
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
    terms = prior.training_terms(draw, tf.constant(0.0))
    np.testing.assert_allclose(terms.kl.numpy(), expected.numpy(), rtol=1e-6)
    # The importance weights' log p(zeta) is the plain RBM's, at the samples.
    np.testing.assert_allclose(terms.log_prob.numpy(), -prior.energy(zeta).numpy(), rtol=1e-6)


# A 3 + 3 RBM whose six latents form three groups of two: [z1_0, z1_1], [z1_2, z2_0] (both halves), [z2_1, z2_2].
_N1 = _N2 = 3
_LAST_GROUP = 2
_EARLIER = _N1 + _N2 - _LAST_GROUP
_ALL_STATES = np.array(list(itertools.product([0.0, 1.0], repeat=_N1 + _N2)))


def _brute_force_kl(logits, b1, b2, w):
    """KL(q || p) of a factorial q (logits [M, 6]) to the RBM, by enumeration of the 64 states -> [M]."""
    z = tf.constant(_ALL_STATES)
    neg_energy = (tf.linalg.matvec(z[:, :_N1], b1) + tf.linalg.matvec(z[:, _N1:], b2)
                  + tf.reduce_sum(tf.linalg.matmul(z[:, :_N1], w) * z[:, _N1:], axis=-1))          # [64]
    log_z = tf.reduce_logsumexp(neg_energy)
    log_q = tf.reduce_sum(z[None] * tf.math.log_sigmoid(logits[:, None]) +
                          (1 - z[None]) * tf.math.log_sigmoid(-logits[:, None]), axis=-1)          # [M, 64]
    return tf.reduce_sum(tf.exp(log_q) * (log_q - neg_energy[None] + log_z), axis=-1)


def _expected_surrogate_gradient(logits, b1, b2, w):
    """E over the earlier groups' binary states s ~ q (all 16 of them, by their probability) of the gradient of the
    batch-mean surrogate, per example: {variable: [M, ...]}. The last group enters as q, as in training."""
    variables = [logits, b1, b2, w]
    q = tf.sigmoid(logits).numpy()
    total = [np.zeros((logits.shape[0],) + tuple(v.shape)) for v in variables]
    for states in itertools.product([0.0, 1.0], repeat=_EARLIER):
        s = np.array(states)
        for m in range(logits.shape[0]):
            weight = np.prod(np.where(s == 1, q[m, :_EARLIER], 1 - q[m, :_EARLIER]))
            with tf.GradientTape() as tape:
                params = rbm.RBMParams(b1[None], b2[None], w[None])
                log_z = _brute_force_log_z(b1, b2, w)
                full = tf.constant(np.concatenate([s, q[m, _EARLIER:]])[None])
                surrogate = tf.reduce_sum(rolfe_kl_surrogate(params, _N1, logits[m:m + 1], full, log_z))
            for t, g in zip(total, tape.gradient(surrogate, variables)):
                t[m] += weight * (g.numpy() if not isinstance(g, tf.IndexedSlices) else tf.convert_to_tensor(g).numpy())
    return total


def _brute_force_log_z(b1, b2, w):
    z = tf.constant(_ALL_STATES)
    return tf.reduce_logsumexp(tf.linalg.matvec(z[:, :_N1], b1) + tf.linalg.matvec(z[:, _N1:], b2)
                               + tf.reduce_sum(tf.linalg.matmul(z[:, :_N1], w) * z[:, _N1:], axis=-1))


@pytest.mark.parametrize("weight_scale", [0.0, 1.0])
def test_expected_surrogate_gradient_is_the_exact_kl_gradient_of_a_factorial_posterior(weight_scale):
    # Three groups, the first four units binary (so kappa = (1 - s) / (1 - q) != 1 on the first half), against the
    # KL enumerated over all 64 states. For a posterior whose logits do not depend on the earlier samples (W = 0,
    # or the factorial posterior here), the expectation over s of the surrogate's gradient is that KL's gradient:
    # E[kappa] = 1 and E[s] = q, s independent of the coupling field it multiplies.
    rng = np.random.default_rng(13)
    logits = tf.Variable(rng.normal(0, 1.0, [2, _N1 + _N2]))
    b1, b2 = tf.Variable(rng.normal(0, 0.5, [_N1])), tf.Variable(rng.normal(0, 0.5, [_N2]))
    w = tf.Variable(rng.normal(0, weight_scale, [_N1, _N2]))
    variables = [logits, b1, b2, w]
    with tf.GradientTape() as tape:
        kl = tf.reduce_sum(_brute_force_kl(logits, b1, b2, w))
    exact_grads = tape.gradient(kl, variables)
    expected = _expected_surrogate_gradient(logits, b1, b2, w)
    # The batch mean of the prior part is over one example at a time here: sum the per-example gradients.
    for name, e, g in zip(("logits", "b1", "b2", "W"), expected, exact_grads):
        np.testing.assert_allclose(e.sum(axis=0), g.numpy(), rtol=1e-8, atol=1e-10, err_msg=name)
    # kappa really differs from 1 in the states the expectation visits.
    q1 = tf.sigmoid(logits).numpy()[:, :_N1]
    assert np.abs(1.0 / (1.0 - q1) - 1.0).max() > 0.5


def test_single_group_surrogate_gradient_is_the_enumerated_kl_gradient():
    # One group: every state is q (Rao-Blackwellised), kappa = 1 throughout: the gradient is the KL's, exactly.
    rng = np.random.default_rng(14)
    logits = tf.Variable(rng.normal(0, 1.5, [4, _N1 + _N2]))
    b1, b2 = tf.Variable(rng.normal(0, 0.5, [_N1])), tf.Variable(rng.normal(0, 0.5, [_N2]))
    w = tf.Variable(rng.normal(0, 1.0, [_N1, _N2]))
    variables = [logits, b1, b2, w]
    with tf.GradientTape(persistent=True) as tape:
        params = rbm.RBMParams(b1[None], b2[None], w[None])
        surrogate = tf.reduce_mean(rolfe_kl_surrogate(params, _N1, logits, tf.sigmoid(logits),
                                                      _brute_force_log_z(b1, b2, w)))
        kl = tf.reduce_mean(_brute_force_kl(logits, b1, b2, w))
    for a, b in zip(tape.gradient(surrogate, variables), tape.gradient(kl, variables)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-8, atol=1e-10)
