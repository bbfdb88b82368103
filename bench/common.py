"""Helpers shared by the benchmarks: best-of-n wall time, random batched RBM parameters."""
import time

import numpy as np
import tensorflow as tf

from dvae_tf2.model import rbm


def best_seconds(fn, repeats):
    """Minimum wall time of fn() over `repeats` runs after one warm-up run (which compiles).

    Each run waits for every tensor fn returns (None fields of its result are skipped).
    """
    def run():
        return [t.numpy() for t in tf.nest.flatten(fn()) if t is not None]
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def random_params(batch, n1, n2, seed=0):
    """RBMParams of `batch` random RBMs: b1 [batch, n1], b2 [batch, n2] ~ N(0, 1), w [batch, n1, n2] ~ N(0, 0.01)."""
    rs = np.random.RandomState(seed)
    return rbm.RBMParams(*(tf.constant(x, tf.float32) for x in
                           (rs.randn(batch, n1), rs.randn(batch, n2), 0.1 * rs.randn(batch, n1, n2))))
