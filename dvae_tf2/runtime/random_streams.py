"""Every random stream of a run, derived from its one --seed, named by purpose.

numpy's SeedSequence(seed).spawn gives each purpose a child whose state is hashed from (seed, child index), so
the streams of one run are independent of each other and of every other seed's: no stream of seed s replays a
stream of seed s + 1, as consecutive integer seeds per component would. Each stream is one integer, the seed of
that purpose's tf.random.Generator (`generator`), stateless op or Keras initialiser (a network's layer i adds i).
New purposes go at the end of STREAMS, so that the existing streams keep their values.
"""
import functools
import typing

import numpy as np
import tensorflow as tf

# Integer seeds stay below 2**31 (Keras initialisers take an int32 seed) with room for the per-layer offsets.
_SEED_LIMIT = 2 ** 31 - 2 ** 16


class RunStreams(typing.NamedTuple):
    """The integer seed of each random stream of a run."""
    data_order: int          # the permutation of the training set at each epoch after the first
    binarization: int        # dynamic binarization of the training batches
    encoder_init: int        # the posterior's network weights
    decoder_init: int        # the decoder's network weights
    posterior_chains: int    # the RBM posterior's initial persistent chains
    posterior_noise: int     # the training step's posterior samples
    prior_sampler: int       # the prior's training sampler (population annealing or PCD)
    prior_restarts: int      # the annealing runs that restart the prior's training sampler
    prior_ais: int           # the AIS runs of the prior's evaluation log Z
    evaluation: int          # posterior samples at evaluation, and for summaries and reconstructions


STREAMS = RunStreams._fields


@functools.lru_cache(maxsize=None)
def run_streams(seed):
    """RunStreams of the run seed `seed` (an integer >= 0)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed={seed!r} is invalid; valid values: integers >= 0")
    children = np.random.SeedSequence(int(seed)).spawn(len(STREAMS))
    return RunStreams(*(int(child.generate_state(1, np.uint64)[0] % _SEED_LIMIT) for child in children))


def generator(stream_seed):
    """A Philox tf.random.Generator keyed by the stream's seed, its counter at 0.

    Not tf.random.Generator.from_seed: that puts the integer into the counter under a zero key, so from_seed(s)
    and from_seed(s + 1) are one sequence shifted by a few draws, and every draw advances the counter."""
    return tf.random.Generator.from_state(tf.constant([0, 0, stream_seed], tf.int64), tf.random.Algorithm.PHILOX)
