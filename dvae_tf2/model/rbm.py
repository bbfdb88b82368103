"""Bipartite RBM math: E(z) = -b1.z1 - b2.z2 - z1^T W z2, p(z) = exp(-E(z)) / Z.

Parameters carry a leading axis B of independent RBMs; states carry shape [B, C, n]
(C chains per RBM). States may be binary or relaxed (values in [0, 1]).
"""
import typing

import tensorflow as tf


class RBMParams(typing.NamedTuple):
    """B independent RBMs: b1 [B, n1], b2 [B, n2], w [B, n1, n2]."""
    b1: tf.Tensor
    b2: tf.Tensor
    w: tf.Tensor


def logits_z2_given_z1(params, z1):
    """Logits of p(z2 | z1): b2 + z1 W. z1 [B, C, n1] -> [B, C, n2]."""
    return params.b2[:, None, :] + tf.linalg.matmul(z1, params.w)


def logits_z1_given_z2(params, z2):
    """Logits of p(z1 | z2): b1 + W z2. z2 [B, C, n2] -> [B, C, n1]."""
    return params.b1[:, None, :] + tf.linalg.matmul(z2, params.w, transpose_b=True)


def energy(params, z1, z2):
    """E(z1, z2) = -b1.z1 - b2.z2 - z1^T W z2. z1 [B, C, n1], z2 [B, C, n2] -> [B, C]."""
    z1_w = tf.linalg.matmul(z1, params.w)  # z1 W: [B, C, n2]
    return -(tf.einsum('bcn,bn->bc', z1, params.b1) + tf.einsum('bcn,bn->bc', z2, params.b2)
             + tf.reduce_sum(z1_w * z2, axis=-1))


def free_energy(params, z1):
    """F(z1) = -log sum_z2 exp(-E) = -b1.z1 - sum_j softplus(b2 + z1 W)_j. z1 [B, C, n1] -> [B, C]."""
    return (-tf.einsum('bcn,bn->bc', z1, params.b1)
            - tf.reduce_sum(tf.math.softplus(logits_z2_given_z1(params, z1)), axis=-1))


def interpolate(base_b1, base_b2, params, beta):
    """RBM at inverse temperature beta between the factorised base (W = 0) and the target.

    Biases (1 - beta) * base + beta * target, W -> beta * W; beta is a scalar tensor or [B], one per RBM (the
    parameters broadcast against it, e.g. B = 1 parameters at a ladder of betas).
    """
    beta_row = tf.convert_to_tensor(beta, params.b1.dtype)[..., None]
    return RBMParams(b1=(1.0 - beta_row) * base_b1 + beta_row * params.b1,
                     b2=(1.0 - beta_row) * base_b2 + beta_row * params.b2,
                     w=beta_row[..., None] * params.w)


def factorised_log_z(b1, b2):
    """log Z of the W = 0 RBM: sum softplus(b1) + sum softplus(b2). b1 [B, n1], b2 [B, n2] -> [B]."""
    return (tf.reduce_sum(tf.math.softplus(b1), axis=-1)
            + tf.reduce_sum(tf.math.softplus(b2), axis=-1))
