"""Block Gibbs pieces for batched bipartite RBMs: hashed Bernoulli noise, hard and relaxed sweeps (the hard
sweeps' transition kernel is samplers/kernels.py).

Shapes: params as in `rbm.RBMParams` ([B, ...]); chains z1 [B, C, n1], z2 [B, C, n2].

Uniform noise for hard sweeps comes from a counter-based hash generator: two keyed rounds of
the MurmurHash3 32-bit finaliser applied to each element's flat index, keyed per call by Philox
(tf.random). It fuses with the sigmoid/compare under XLA and costs a fraction of drawing every
uniform from Philox, which would otherwise dominate a sweep on CPU (see bench/samplers.py).
"""
import tensorflow as tf

from dvae_tf2.model import rbm
from dvae_tf2.runtime import distribute


def _fmix32(x):
    """MurmurHash3 32-bit finaliser: a bijection of uint32 with full avalanche."""
    x = tf.bitwise.bitwise_xor(x, tf.bitwise.right_shift(x, 16)) * tf.constant(0x85EBCA6B, tf.uint32)
    x = tf.bitwise.bitwise_xor(x, tf.bitwise.right_shift(x, 13)) * tf.constant(0xC2B2AE35, tf.uint32)
    return tf.bitwise.bitwise_xor(x, tf.bitwise.right_shift(x, 16))


def stateless_uniform(shape, seed, offset=0):
    """U[0, 1) float32 of `shape` for an int seed [2]: fmix32(fmix32(index ^ k0) ^ k1), top 24 bits.

    offset: flat index of the first element, for a block of a larger draw (distribute.ReplicaRowNoise)."""
    k = tf.random.stateless_uniform([2], seed, minval=None, maxval=None, dtype=tf.uint32)  # Philox keys
    index = tf.reshape(tf.range(tf.reduce_prod(shape), dtype=tf.int32) + offset, shape)
    bits = _fmix32(tf.bitwise.bitwise_xor(_fmix32(tf.bitwise.bitwise_xor(tf.cast(index, tf.uint32), k[0])), k[1]))
    return tf.cast(tf.bitwise.right_shift(bits, 8), tf.float32) * (1.0 / (1 << 24))


def stateless_bernoulli_sample(logits, seed, offset=0):
    """z ~ Bernoulli(sigmoid(logits)) in {0., 1.}, shape of logits, for an int seed [2]: 1[u < sigmoid(l)]."""
    return tf.cast(stateless_uniform(tf.shape(logits), seed, offset) < tf.sigmoid(logits), tf.float32)


def bernoulli_given_exp(logits, t, uniform):
    """1[u < sigmoid(logits)] in {0., 1.} given t = exp(-|logits|): u (1 + t) < (t if logits < 0 else 1)."""
    return tf.cast(uniform * (1.0 + t) < tf.where(logits < 0.0, t, 1.0), tf.float32)


def hashed_bernoulli_sample(logits, rng):
    """z ~ Bernoulli(sigmoid(logits)) in {0., 1.} from hashed noise keyed by `rng` (a tf.random.Generator or a
    distribute.ReplicaRowNoise)."""
    return stateless_bernoulli_sample(logits, rng.make_seeds(1)[:, 0], distribute.flat_offset(rng, tf.shape(logits)))


def gibbs_sweep(params, z1, sample_fn):
    """One block sweep: z2 ~ p(z2 | z1), then z1' ~ p(z1 | z2). Returns (z1' [B, C, n1], z2 [B, C, n2])."""
    z2 = sample_fn(rbm.logits_z2_given_z1(params, z1))
    return sample_fn(rbm.logits_z1_given_z2(params, z2)), z2


def relaxed_gibbs_sweep(params, z1, relax_fn):
    """One differentiable sweep from z1 [B, C, n1] (DVAE## Algorithm 1).

    zeta2 = relax(b2 + z1 W); a1 = b1 + W zeta2; zeta1 = relax(a1); q1 = sigmoid(a1) is the
    Rao-Blackwellised mean of z1. relax_fn maps logits to [0, 1] differentiably (with its own noise).
    Returns (zeta1 [B, C, n1], zeta2 [B, C, n2], q1 [B, C, n1]).
    """
    zeta2 = relax_fn(rbm.logits_z2_given_z1(params, z1))
    a1 = rbm.logits_z1_given_z2(params, zeta2)
    return relax_fn(a1), zeta2, tf.sigmoid(a1)
