"""Persistent contrastive divergence: C persistent block-Gibbs chains for the prior (B = 1)."""
import tensorflow as tf

from dvae_tf2.runtime import random_streams
from dvae_tf2.samplers import gibbs, kernels
from dvae_tf2.samplers.base import Population, SamplerOutput, TrainingSampler


def uniform_chains(num_vars, num_chains, rng):
    """Exact samples [1, C, n] of the uniform distribution over {0, 1}^n."""
    return gibbs.hashed_bernoulli_sample(tf.zeros([1, num_chains, num_vars]), rng)


class PCDSampler(tf.Module, TrainingSampler):
    """num_sweeps block-Gibbs sweeps per call on persistent chains started uniform at random; the chains are
    never restarted (the population-annealing sampler's restarts and old-parameter sweeps are not for PCD).

    Keeps no log Z (NaN).
    """

    restarts_by_annealing = False

    def __init__(self, num_vars1, num_vars2, num_chains=1000, num_sweeps=40, seed=0, name=None):
        super().__init__(name=name)
        self.num_chains, self.num_sweeps = num_chains, num_sweeps
        self.rng = random_streams.generator(seed)
        self.z1 = tf.Variable(uniform_chains(num_vars1, num_chains, self.rng), trainable=False, name="z1")

    def anchor_log_z(self, params, log_z):
        del params, log_z   # no running log Z

    def population_at(self, params):
        del params   # the chains, unweighted
        return Population(tf.identity(self.z1), tf.zeros(tf.shape(self.z1)[:2]), tf.constant(float("nan")))

    def sample(self, params):
        z1, z2 = kernels.hard_gibbs_sweeps(params, self.z1, self.num_sweeps, self.rng)
        self.z1.assign(z1)
        return SamplerOutput(z1, z2, log_z=tf.constant(float("nan")), ess=tf.constant(1.0))
