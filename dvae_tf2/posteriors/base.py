"""The posterior contract: what an approximate posterior q(z|x) hands to the objective, the trainer and the tools.

The contract sits in its package, beside the posteriors and the draws they return.
"""
import abc
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


class Posterior(abc.ABC):
    """An approximate posterior q(z|x) over n = n1 + n2 latents, a Keras layer of the encoder's networks.

    x_centered below: images minus the training mean [N, D] (`DVAE.encoder_input`); rng: a tf.random.Generator
    (or a replica's row noise) for every random number of the call.
    """

    @property
    @abc.abstractmethod
    def undirected(self):
        """What the posterior is (a class attribute): True for an RBM posterior q(z|x) = exp(-E_x(z)) / Z_q(x),
        whose `params(x_centered, training)` gives each image's RBM (RBMParams with a batch axis of images) and
        whose evaluation log q uses an AIS log Z_q; False for a directed posterior, whose log q is exact. Tools ask
        this rather than the baseline's name."""

    @abc.abstractmethod
    def training_draw(self, x_centered, index, num_samples, rng):
        """TrainingDraw of num_samples relaxed samples per image (rows image-major, N * num_samples), in training
        mode (batch-norm statistics update). index [N]: the images' training-set rows, for posteriors that keep
        per-example state (persistent chains); directed posteriors ignore it."""

    @abc.abstractmethod
    def evaluation_draw(self, x_centered, num_samples, rng):
        """EvaluationDraw of num_samples binary samples per image with their log q(z|x), in inference mode,
        without training state changes."""

    @abc.abstractmethod
    def parameter_summaries(self, x_centered, rng):
        """{TensorBoard tag: tensor} of the posterior's parameters for the images, to histogram."""

    @property
    @abc.abstractmethod
    def decay_layer_parts(self):
        """{weight-decay part name ("encoder", optionally "encoder_context"): [layers]}: the layers whose Keras
        regularization losses form each part of the encoder's weight decay."""
