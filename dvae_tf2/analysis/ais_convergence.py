"""How AIS estimates of log Z converge with the number of temperatures (DVAE## Fig. 4).

For B RBMs with known (or trusted) log Z, each number of temperatures M is run R times independently
(the repeats are folded into AIS's batch axis); the curve holds the mean |estimate - truth| over RBMs
and repeats, and the standard deviation of the R estimates averaged over the RBMs.
"""
import time
import typing

import numpy as np
import tensorflow as tf
from absl import logging

from dvae_tf2.model import rbm
from dvae_tf2.runtime import progress
from dvae_tf2.samplers import ais, resampling


class ConvergenceCurve(typing.NamedTuple):
    """Error and spread of AIS log Z against the number of temperatures, each [T]."""
    temperatures: np.ndarray     # int, increasing
    mean_abs_error: np.ndarray   # mean over RBMs and repeats of |log Z estimate - truth|
    sd: np.ndarray               # mean over RBMs of the sd (ddof 1) of the repeated estimates

    def temperatures_for_sd(self, target):
        """Smallest number of temperatures whose sd is <= target, or None if none reaches it."""
        reached = self.temperatures[self.sd <= target]
        return int(reached[0]) if len(reached) else None

    def as_dict(self):
        return {"temperatures": self.temperatures.tolist(), "mean_abs_error": self.mean_abs_error.tolist(),
                "sd": self.sd.tolist()}


def _tile(tensor, repeats):
    """[B, ...] -> [R*B, ...], repeat r of RBM b at row r*B + b."""
    tensor = tf.convert_to_tensor(tensor, tf.float32)
    return tf.tile(tensor, tf.concat([[repeats], tf.ones([tf.rank(tensor) - 1], tf.int32)], axis=0))


def repeated_log_z(params, num_repeats, num_chains, num_temperatures, rng, base_b1=None, base_b2=None):
    """log Z estimates [R, B] of R independent AIS runs for each of B RBMs (RBMParams [B, ...]).

    base_b1 [B, n1], base_b2 [B, n2]: biases of the factorised base (None: uniform), as ais.annealed_log_z.
    """
    tiled = rbm.RBMParams(*[_tile(t, num_repeats) for t in params])
    bases = [None if b is None else _tile(b, num_repeats) for b in (base_b1, base_b2)]
    result = ais.annealed_log_z(tiled, num_chains, num_temperatures, rng, base_b1=bases[0], base_b2=bases[1])
    return tf.reshape(result.log_z, [num_repeats, -1]).numpy().astype(np.float64)


def reference_log_z(params, num_chains, num_temperatures, rng, base_b1=None, base_b2=None, chunk_chains=128,
                    label="reference"):
    """(log Z [B], stderr [B]) of one long AIS run whose chains run in chunks of chunk_chains (progress is
    logged after each chunk); the log weights of all chunks are pooled."""
    b1 = tf.zeros_like(params.b1) if base_b1 is None else tf.convert_to_tensor(base_b1, tf.float32)
    b2 = tf.zeros_like(params.b2) if base_b2 is None else tf.convert_to_tensor(base_b2, tf.float32)
    chunks = [min(chunk_chains, num_chains - lo) for lo in range(0, num_chains, chunk_chains)]
    log_weights, start = [], time.time()
    for i, chains in enumerate(chunks):
        log_weights.append(ais.annealed_log_z(params, chains, num_temperatures, rng, b1, b2).log_weights)
        logging.info("%s: %d/%d chains x %d temperatures (%.0f s, ETA %s)", label, sum(chunks[:i + 1]),
                     num_chains, num_temperatures, time.time() - start,
                     progress.eta(i + 1, len(chunks), time.time() - start))
    log_mean, stderr = resampling.log_mean_exp_and_stderr(tf.concat(log_weights, axis=-1), axis=-1)
    log_z = rbm.factorised_log_z(b1, b2) + log_mean
    return log_z.numpy().astype(np.float64), stderr.numpy().astype(np.float64)


def convergence_curve(params, truth, temperature_counts, num_repeats, num_chains, rng, base_b1=None, base_b2=None,
                      label="ais"):
    """ConvergenceCurve of B RBMs (RBMParams [B, ...]) against truth [B] log Z, logging progress."""
    truth = np.asarray(truth, np.float64)
    errors, sds, start = [], [], time.time()
    counts = sorted(int(m) for m in temperature_counts)
    for i, count in enumerate(counts):
        estimates = repeated_log_z(params, num_repeats, num_chains, count, rng, base_b1, base_b2)   # [R, B]
        errors.append(np.mean(np.abs(estimates - truth[None])))
        sds.append(np.mean(np.std(estimates, axis=0, ddof=1)))
        elapsed = time.time() - start
        logging.info("%s: %d temperatures: mean |error| %.4f, sd %.4f (%.0f s, ETA %s)", label, count, errors[-1],
                     sds[-1], elapsed, progress.eta(sum(counts[:i + 1]), sum(counts), elapsed))
    return ConvergenceCurve(np.array(counts), np.array(errors), np.array(sds))
