"""Persistent contrastive divergence: C persistent block-Gibbs chains for the prior (B = 1)."""
import typing

import tensorflow as tf

from dvae_tf2.runtime import random_streams
from dvae_tf2.samplers import gibbs, kernels


class SamplerOutput(typing.NamedTuple):
    """One training-sampler step: unweighted model samples and running statistics.

    z1 [1, C, n1], z2 [1, C, n2] binary float32; log_z scalar (running estimate, NaN if the sampler
    has none); ess scalar (effective sample size fraction before resampling, 1 if unweighted).
    """
    z1: tf.Tensor
    z2: tf.Tensor
    log_z: tf.Tensor
    ess: tf.Tensor


class Population(typing.NamedTuple):
    """A training sampler's state at given parameters: z1 [1, C, n1], log_weights [1, C] (unnormalised) and its
    running log Z (NaN if it keeps none)."""
    z1: tf.Tensor
    log_weights: tf.Tensor
    log_z: tf.Tensor


def uniform_chains(num_vars, num_chains, rng):
    """Exact samples [1, C, n] of the uniform distribution over {0, 1}^n."""
    return gibbs.hashed_bernoulli_sample(tf.zeros([1, num_chains, num_vars]), rng)


class PCDSampler(tf.Module):
    """num_sweeps block-Gibbs sweeps per call on persistent chains started uniform at random; the chains are
    never restarted (the population-annealing sampler's restarts and old-parameter sweeps are not for PCD)."""

    def __init__(self, num_vars1, num_vars2, num_chains=1000, num_sweeps=40, seed=0, name=None):
        super().__init__(name=name)
        self.num_sweeps = num_sweeps
        self.rng = random_streams.generator(seed)
        self.z1 = tf.Variable(uniform_chains(num_vars1, num_chains, self.rng), trainable=False, name="z1")

    def anchor_log_z(self, params, log_z):
        """PCD keeps no running log Z: nothing to anchor."""
        del params, log_z

    def population_at(self, params):
        """The chains, unweighted; PCD keeps no log Z. Changes nothing."""
        del params
        return Population(tf.identity(self.z1), tf.zeros(tf.shape(self.z1)[:2]), tf.constant(float("nan")))

    def sample(self, params):
        """Advances the chains at params (RBMParams, B = 1) and returns them (SamplerOutput)."""
        z1, z2 = kernels.hard_gibbs_sweeps(params, self.z1, self.num_sweeps, self.rng)
        self.z1.assign(z1)
        return SamplerOutput(z1, z2, log_z=tf.constant(float("nan")), ess=tf.constant(1.0))
