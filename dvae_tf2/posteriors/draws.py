"""What an approximate posterior q(z|x) hands to the objective.

Every posterior offers two draws:
  * `training_draw(x_centered, index, num_samples, rng)` -> TrainingDraw, relaxed and differentiable;
  * `evaluation_draw(x_centered, num_samples, rng)` -> EvaluationDraw, binary samples with their
    exact log q(z|x).
and says what it is by its class attribute `undirected`: True for an RBM posterior q(z|x) = exp(-E_x(z)) / Z_q(x),
whose `params(x_centered, training)` gives each image's RBM (RBMParams with a batch axis of images); False for a
directed posterior, whose log q is exact.
"""
import typing

import tensorflow as tf


class TrainingDraw(typing.NamedTuple):
    """Relaxed posterior samples for N*k rows (row r belongs to example r // k).

    zeta: [N*k, n] relaxed samples fed to the decoder.
    rb_point: [N*k, n] point where the prior energy is evaluated for the KL's cross-entropy
      (Rao-Blackwellised: a mean replaces samples wherever the expectation is closed form).
    neg_entropy: [N*k] estimate of E_q[log q] up to the posterior's log-partition function,
      carrying the gradient of the entropy term.
    log_q: [N*k] log q(zeta|x) with q's parameters stopped (IW weights, entropy for struct).
    logits: [N*k, n] Bernoulli logits of a directed posterior along the sample path (None for
      the RBM posterior); the DVAE++ cross-entropy form needs them.
    """
    zeta: tf.Tensor
    rb_point: tf.Tensor
    neg_entropy: tf.Tensor
    log_q: tf.Tensor
    logits: typing.Optional[tf.Tensor] = None


class EvaluationDraw(typing.NamedTuple):
    """Binary samples z [N, K, n] and log q(z|x) [N, K]."""
    z: tf.Tensor
    log_q: tf.Tensor
