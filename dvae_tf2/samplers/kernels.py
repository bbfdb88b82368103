"""Block-Gibbs transition kernel of batched bipartite RBMs, in the shape of `tfp.mcmc.TransitionKernel`.

The chain's state is the z1 half [B, C, n1]; z2 is re-drawn given z1 at every step, so it lives in the kernel
results. Tempered kernels target p_beta(z) ~ exp(-E_beta(z)), E_beta the RBM `rbm.interpolate` gives between a
factorised base (W = 0) and the target; a ladder of them (`tempered_kernel_fn`, the `make_kernel_fn` of TFP's
annealed importance sampling) drives AIS, population annealing and parallel tempering. The results carry the
field z1 W of the current state, which does not depend on beta: every kernel of a ladder can compute its z2
logits, free energy or energy at that state from it without another matmul.

Loops stay in XLA (`sample_sweeps` is one tf.while_loop); noise is the counter-hash uniform of `gibbs`, keyed by
the stateless seed each step receives.
"""
import typing

import tensorflow as tf
import tensorflow_probability as tfp

from dvae_tf2.model import rbm
from dvae_tf2.runtime import distribute
from dvae_tf2.samplers import gibbs


class BlockGibbsResults(typing.NamedTuple):
    """z2 [B, C, n2] drawn by the last step (zeros from bootstrap_results); field [B, C, n2] = z1 W of the
    current state z1 (untempered W)."""
    z2: tf.Tensor
    field: tf.Tensor


def split_seed(seed):
    """The two halves' seeds of one sweep: tf.random.experimental.stateless_split(seed, 2)."""
    return tuple(tf.unstack(tf.random.experimental.stateless_split(seed, 2)))


def fold_seed(seed):
    """The two halves' seeds of one sweep: stateless_fold_in(seed, 0) and (seed, 1)."""
    return tuple(tf.random.experimental.stateless_fold_in(seed, half) for half in (0, 1))


class BlockGibbsKernel(tfp.mcmc.TransitionKernel):
    """One block sweep z2 ~ p_beta(z2 | z1), z1' ~ p_beta(z1' | z2) per `one_step`, without gradient.

    params: RBMParams [B, ...] (the target). beta: None (the target itself) or the inverse temperature, a scalar
    or [B] (one per RBM of the batch, e.g. a replica ladder over a broadcast B = 1 target); base_b1 [B, n1] /
    base_b2 [B, n2]: the tempered family's factorised base (None: zeros, p_beta ~ exp(-beta E)).
    seed_split: maps a step's seed [2] to the (z2, z1) seeds (split_seed or fold_seed).
    replica_noise: a distribute.ReplicaRowNoise when this replica's chains are a block of rows of a global draw
    (their noise is that block of the global noise); None or a tf.random.Generator otherwise.

    With a beta, z2 is drawn as 1[u (1 + t) < (t if l < 0 else 1)], t = exp(-|l|), the same event as
    u < sigmoid(l) through the exp the tempered free energy (annealing weights) shares; without one, through
    tf.sigmoid.
    """

    def __init__(self, params, beta=None, base_b1=None, base_b2=None, seed_split=split_seed, replica_noise=None,
                 name="block_gibbs"):
        self._parameters = dict(params=params, beta=beta, base_b1=base_b1, base_b2=base_b2, seed_split=seed_split,
                                replica_noise=replica_noise, name=name)
        self._target = params
        if beta is None:
            self._beta, self._tempered = None, params
        else:
            self._beta = tf.convert_to_tensor(beta, tf.float32)
            base_b1 = tf.zeros_like(params.b1) if base_b1 is None else base_b1
            base_b2 = tf.zeros_like(params.b2) if base_b2 is None else base_b2
            self._tempered = rbm.interpolate(base_b1, base_b2, params, self._beta)
        self._seed_split = seed_split
        self._replica_noise = replica_noise

    @property
    def parameters(self):
        return self._parameters

    @property
    def is_calibrated(self):
        return True   # Gibbs updates leave p_beta invariant without an accept step

    @property
    def tempered_params(self):
        """RBMParams of the RBM this kernel samples (the target when beta is None)."""
        return self._tempered

    def field(self, z1):
        """z1 W of the untempered target: [B, C, n1] -> [B, C, n2]."""
        return tf.linalg.matmul(z1, self._target.w)

    def logits_z2(self, field):
        """Logits of p_beta(z2 | z1) from the field z1 W: b2_beta + beta z1 W. -> [B, C, n2]."""
        if self._beta is None:
            return self._tempered.b2[:, None, :] + field
        return self._tempered.b2[:, None, :] + self._beta[..., None, None] * field

    def free_energy(self, z1, field):
        """F_beta(z1) = -b1_beta.z1 - sum_j softplus(logits_z2) at states z1 with field z1 W. -> [B, C]."""
        return (-tf.einsum('bcn,bn->bc', z1, self._tempered.b1)
                - tf.reduce_sum(tf.math.softplus(self.logits_z2(field)), axis=-1))

    def bootstrap_results(self, init_state):
        field = self.field(init_state)
        return BlockGibbsResults(z2=tf.zeros_like(field), field=field)

    def one_step(self, current_state, previous_kernel_results, seed=None):
        """One sweep from z1 = current_state, seeded by the stateless seed [2]. Returns (z1', BlockGibbsResults)."""
        seed_z2, seed_z1 = self._seed_split(seed)
        logits2 = self.logits_z2(previous_kernel_results.field)
        offset2 = distribute.flat_offset(self._replica_noise, tf.shape(logits2))
        if self._beta is None:
            z2 = gibbs.stateless_bernoulli_sample(logits2, seed_z2, offset2)
        else:
            z2 = gibbs.bernoulli_given_exp(logits2, tf.exp(-tf.abs(logits2)),
                                           gibbs.stateless_uniform(tf.shape(logits2), seed_z2, offset2))
        logits1 = rbm.logits_z1_given_z2(self._tempered, z2)
        z1 = gibbs.stateless_bernoulli_sample(logits1, seed_z1, distribute.flat_offset(self._replica_noise,
                                                                                        tf.shape(logits1)))
        return z1, BlockGibbsResults(z2=z2, field=self.field(z1))


def tempered_kernel_fn(params, base_b1=None, base_b2=None, **kernel_options):
    """make_kernel_fn(beta) -> BlockGibbsKernel of the family between the base and params at that beta."""
    return lambda beta: BlockGibbsKernel(params, beta, base_b1, base_b2, **kernel_options)


def sample_sweeps(kernel, z1, num_sweeps, key, results=None):
    """num_sweeps >= 1 steps of `kernel` from z1, step i seeded by stateless_fold_in(key, i), in one
    tf.while_loop. results: the kernel results at z1 (None: bootstrap_results). Returns (z1, results)."""
    results = kernel.bootstrap_results(z1) if results is None else results
    _, z1, results = tf.while_loop(
        lambda i, *_: i < num_sweeps,
        lambda i, z, r: (i + 1, *kernel.one_step(z, r, tf.random.experimental.stateless_fold_in(key, i))),
        (tf.constant(0), z1, results))
    return z1, results


def hard_gibbs_sweeps(params, z1, num_sweeps, rng):
    """num_sweeps >= 1 hard sweeps of the RBMs `params` without gradient, keyed by one seed drawn from rng (a
    tf.random.Generator, or a distribute.ReplicaRowNoise whose rows place the noise). Returns the final (z1, z2);
    XLA-compilable."""
    kernel = BlockGibbsKernel(tf.nest.map_structure(tf.stop_gradient, params), replica_noise=rng)
    z1, results = sample_sweeps(kernel, tf.stop_gradient(z1), num_sweeps, rng.make_seeds(1)[:, 0])
    return z1, results.z2
