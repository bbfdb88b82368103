"""How far the training sampler's log Z gradient is from a trusted reference.

The prior's log Z gradient is the model expectation of its sufficient statistics,
d log Z / d(b1, b2, W) = (E_p[z1], E_p[z2], E_p[z1 z2^T]). The training sampler estimates them from
its population; a reference sampler (AIS from the uniform distribution with many temperatures,
importance weighted) estimates them independently. Both are Rao-Blackwellised over z2:
E[z2 | z1] = sigmoid(b2 + z1 W) is closed form, so only z1 is sampled.
"""
import typing

import tensorflow as tf

from dvae_tf2.model import rbm
from dvae_tf2.samplers import resampling


class SufficientStatistics(typing.NamedTuple):
    """Weighted estimates of E[z1] [n1], E[z2] [n2], E[z1 z2^T] [n1, n2] and the variance of each entry of
    z1 E[z2|z1]^T [n1, n2] under the weights; ess: the weights' effective sample size (number of chains)."""
    mean1: tf.Tensor
    mean2: tf.Tensor
    cross: tf.Tensor
    cross_variance: tf.Tensor
    ess: tf.Tensor


class SamplerBias(typing.NamedTuple):
    """The training sampler against the reference, at one set of prior parameters (scalars).

    grad_error: ||E_train[z1 z2^T] - E_ref[z1 z2^T]||_F, the error of the W gradient of log Z.
    grad_noise_floor: its expected size if both samplers drew independent exact samples with their
      effective sample sizes, sqrt(sum_ij Var(z1_i E[z2_j|z1]) (1 / ESS_train + 1 / ESS_ref)).
    grad_bias: grad_error / ||E_q[z1 z2^T] - E_ref[z1 z2^T]||_F, relative to the prior's W gradient
      of the KL (posterior statistics minus model statistics); NaN when no posterior statistics are given.
    bias_error: ||E_train[z] - E_ref[z]||_2 over both halves, the error of the bias gradients.
    log_z_lag: running log Z of the training sampler minus the reference log Z (NaN for PCD).
    reference_ess: the reference weights' effective sample size.
    """
    grad_error: tf.Tensor
    grad_noise_floor: tf.Tensor
    grad_bias: tf.Tensor
    bias_error: tf.Tensor
    log_z_lag: tf.Tensor
    reference_ess: tf.Tensor


def sufficient_statistics(params, z1, log_weights=None):
    """Rao-Blackwellised sufficient statistics of one RBM (params: RBMParams, B = 1).

    z1: [1, C, n1] states; log_weights: [1, C] unnormalised log importance weights (None: uniform).
    Returns SufficientStatistics.
    """
    if log_weights is None:
        log_weights = tf.zeros(tf.shape(z1)[:2])
    w = tf.nn.softmax(log_weights[0])                                        # [C]
    z1 = z1[0]
    p2 = tf.sigmoid(rbm.logits_z2_given_z1(params, z1[None])[0])            # E[z2 | z1]: [C, n2]
    cross = tf.einsum("c,ci,cj->ij", w, z1, p2)
    second = tf.einsum("c,ci,cj->ij", w, z1, tf.square(p2))                  # z1 binary: z1^2 = z1
    return SufficientStatistics(
        mean1=tf.linalg.matvec(z1, w, transpose_a=True), mean2=tf.linalg.matvec(p2, w, transpose_a=True),
        cross=cross, cross_variance=tf.maximum(second - tf.square(cross), 0.0),
        ess=resampling.ess_fraction(log_weights[0]) * tf.cast(tf.shape(w)[0], tf.float32))


def sampler_bias(train, reference, train_log_z, reference_log_z, posterior_cross=None):
    """SamplerBias of the training sampler's statistics `train` against `reference` (SufficientStatistics).

    train_log_z / reference_log_z: their log Z estimates (scalars); posterior_cross: E_q[z1 z2^T] [n1, n2]
    averaged over data, or None.
    """
    grad_error = tf.norm(train.cross - reference.cross)
    noise = tf.reduce_sum(reference.cross_variance) * (1.0 / train.ess + 1.0 / reference.ess)
    if posterior_cross is None:
        grad_bias = tf.constant(float("nan"))
    else:
        grad_bias = grad_error / tf.norm(posterior_cross - reference.cross)
    bias_error = tf.norm(tf.concat([train.mean1 - reference.mean1, train.mean2 - reference.mean2], 0))
    return SamplerBias(grad_error=grad_error, grad_noise_floor=tf.sqrt(noise), grad_bias=grad_bias,
                       bias_error=bias_error, log_z_lag=tf.convert_to_tensor(train_log_z - reference_log_z),
                       reference_ess=reference.ess)
