"""Parallel tempering (replica exchange) for the prior: persistent chains at a ladder of inverse temperatures."""
import tensorflow as tf

from dvae_tf2.runtime import random_streams
from dvae_tf2.samplers import gibbs, kernels
from dvae_tf2.samplers.base import Population, SamplerOutput, TrainingSampler


def geometric_ladder(num_replicas, min_beta):
    """Inverse temperatures 1 = beta_0 > beta_1 > ... > beta_{R-1} = min_beta, geometric: [R] float32."""
    if num_replicas < 2:
        raise ValueError(f"num_replicas must be >= 2 (one replica is PCD), got {num_replicas}")
    if not 0.0 < min_beta < 1.0:
        raise ValueError(f"min_beta must be in (0, 1), got {min_beta}")
    return tf.constant([min_beta ** (r / (num_replicas - 1)) for r in range(num_replicas)], tf.float32)


def swap_log_acceptance(betas, energy):
    """log of the Metropolis ratio of exchanging the states of neighbouring replicas r, r + 1:
    (beta_r - beta_{r+1}) (E_r - E_{r+1}) for targets p_r ~ exp(-beta_r E). betas [R], energy [R, C] -> [R-1, C]."""
    return (betas[:-1] - betas[1:])[:, None] * (energy[:-1] - energy[1:])


def exchange(states, accepted):
    """Swaps replica r with r + 1 in every chain where accepted[r] ([R-1, C] bool); states: tensors [R, C, ...]."""
    no = tf.zeros_like(accepted[:1])
    with_next, with_prev = tf.concat([accepted, no], 0), tf.concat([no, accepted], 0)   # [R, C]

    def move(t):
        mask = lambda m: tf.reshape(m, tf.concat([tf.shape(m), tf.ones([tf.rank(t) - 2], tf.int32)], 0))  # noqa: E731
        return tf.where(mask(with_next), tf.roll(t, -1, 0), tf.where(mask(with_prev), tf.roll(t, 1, 0), t))

    return [move(t) for t in states]


class ParallelTemperingSampler(tf.Module, TrainingSampler):
    """C persistent chains at each of R inverse temperatures beta_0 = 1 > ... > beta_{R-1} = min_beta (geometric).

    Replica r targets p_r(z) ~ exp(-beta_r E(z)). Each `sample(theta)` runs num_sweeps rounds; a round is one
    block-Gibbs sweep of every replica at its beta (one batched BlockGibbsKernel step) and then, for every chain,
    exchange proposals between the neighbouring replicas (r, r + 1) of one parity (even pairs on even rounds,
    odd on odd; the round count persists across calls), accepted with probability
    min(1, exp((beta_r - beta_{r+1}) (E(x_r) - E(x_{r+1})))), E the energy of the full state x = (z1, z2) the
    sweep produced (z1 W z2 from the kernel's field, no extra matmul). Returns the beta = 1 replica, unweighted.

    PT estimates no log Z: like PCD it reports NaN, and the prior keeps its AIS value. num_replicas and min_beta
    are not among the settings: they keep their defaults.
    """

    restarts_by_annealing = False

    def __init__(self, num_vars1, num_vars2, num_chains=1000, num_sweeps=40, seed=0, num_replicas=4, min_beta=0.25,
                 name=None):
        super().__init__(name=name)
        self.num_chains, self.num_sweeps = num_chains, num_sweeps
        self.betas = geometric_ladder(num_replicas, min_beta)
        self.rng = random_streams.generator(seed)
        uniform = gibbs.hashed_bernoulli_sample(tf.zeros([num_replicas, num_chains, num_vars1]), self.rng)
        self.z1 = tf.Variable(uniform, trainable=False, name="z1")
        self.rounds = tf.Variable(0, dtype=tf.int64, trainable=False, name="rounds")
        self.swap_acceptance = tf.Variable(tf.zeros([num_replicas - 1]), trainable=False, name="swap_acceptance")

    def anchor_log_z(self, params, log_z):
        del params, log_z   # no running log Z

    def population_at(self, params):
        del params   # the beta = 1 chains, unweighted
        return Population(tf.identity(self.z1[:1]), tf.zeros([1, self.z1.shape[1]]), tf.constant(float("nan")))

    def sample(self, params):
        """Also stores the mean acceptance of each neighbouring pair's proposals in this call in `swap_acceptance`
        (NaN for a pair not proposed)."""
        params = tf.nest.map_structure(tf.stop_gradient, params)
        kernel = kernels.BlockGibbsKernel(params, beta=self.betas)   # the B = 1 target broadcast over the ladder
        key = self.rng.make_seeds(1)[:, 0]
        parity = tf.range(self.betas.shape[0] - 1, dtype=tf.int64) % 2

        def round_(t, z1, results, accepted, proposed):
            seed_t = tf.random.experimental.stateless_fold_in(key, t)
            z1, results = kernel.one_step(z1, results, tf.random.experimental.stateless_fold_in(seed_t, 0))
            energy = -(tf.einsum('rcn,bn->rc', z1, params.b1) + tf.einsum('rcn,bn->rc', results.z2, params.b2)
                       + tf.reduce_sum(results.field * results.z2, -1))
            log_ratio = swap_log_acceptance(self.betas, energy)
            active = tf.equal(parity, (self.rounds + tf.cast(t, tf.int64)) % 2)[:, None]
            uniform = gibbs.stateless_uniform(tf.shape(log_ratio), tf.random.experimental.stateless_fold_in(seed_t, 1))
            accept = tf.logical_and(active, tf.math.log(uniform) < log_ratio)
            z1, z2, field = exchange([z1, results.z2, results.field], accept)
            return (t + 1, z1, kernels.BlockGibbsResults(z2, field), accepted + tf.cast(accept, tf.float32),
                    proposed + tf.cast(active, tf.float32))

        _, z1, results, accepted, proposed = tf.while_loop(
            lambda t, *_: t < self.num_sweeps, round_,
            (tf.constant(0), self.z1, kernel.bootstrap_results(self.z1),
             tf.zeros(tf.shape(self.z1)[:2] - [1, 0]), tf.zeros([self.betas.shape[0] - 1, 1])))
        self.z1.assign(z1)
        self.rounds.assign_add(self.num_sweeps)
        self.swap_acceptance.assign(tf.reduce_mean(accepted, -1) / proposed[:, 0])
        return SamplerOutput(z1[:1], results.z2[:1], log_z=tf.constant(float("nan")), ess=tf.constant(1.0))
