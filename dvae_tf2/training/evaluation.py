"""Evaluation of the ELBO and the importance-weighted estimate of log p(x)."""
import time
import typing

import numpy as np
import tensorflow as tf
from absl import logging

from dvae_tf2.analysis import uncertainty
from dvae_tf2.model import objectives
from dvae_tf2.runtime import progress


class EvalResult(typing.NamedTuple):
    neg_elbo: float    # mean over images of -mean_k ELBO term (vae: -log w_k; struct, as legacy: log q + cost)
    neg_ll: float      # mean over images of -log (1/K) sum_k w_k
    cost: float        # mean over images of -mean_k log p(x|z_k) (struct: of x2; an upper bound on its NLL)
    num_images: int
    num_samples: int
    seconds: float
    log_likelihoods: np.ndarray   # [M] float64: log (1/K) sum_k w_k of each image, in input order

    @property
    def neg_ll_stderr(self):
        """Standard error of neg_ll over the test images (sample sd / sqrt(M)); nan for one image."""
        return uncertainty.standard_error(self.log_likelihoods)


class EvaluationMemoryError(MemoryError):
    """An evaluation batch does not fit in memory (a user setting, --eval_rows_per_batch)."""


class Evaluator:
    """Computes IW estimates for a model over image arrays, in batches of whole images.

    With a tf.distribute strategy each batch is split into equal row blocks, one per replica (the last
    image repeated to fill the blocks), and the replicas' terms are gathered back in image order.
    """

    def __init__(self, model, rows_per_batch, strategy=None):
        self._model = model
        self._rows_per_batch = rows_per_batch
        self._strategy = strategy
        self._replicas = 1 if strategy is None else strategy.num_replicas_in_sync
        self._functions = {}

    def _terms_fn(self, num_samples):
        if num_samples not in self._functions:
            terms = lambda x: self._model.evaluation_terms(x, num_samples)  # noqa: E731
            self._functions[num_samples] = tf.function(
                terms if self._strategy is None else lambda x: self._sharded(terms, x), reduce_retracing=True)
        return self._functions[num_samples]

    def _sharded(self, terms, x):
        """terms of x [R m, D] computed by R replicas on m rows each, gathered in row order."""
        strategy, replicas = self._strategy, self._replicas

        def replica_terms(x):
            block = tf.distribute.get_replica_context().replica_id_in_sync_group
            return terms(tf.reshape(x, [replicas, -1, x.shape[-1]])[block])

        return tf.nest.map_structure(lambda v: strategy.gather(v, axis=0), strategy.run(replica_terms, args=(x,)))

    def _padded(self, batch):
        """batch [n, D] with its last image repeated to a multiple of the replicas."""
        missing = -len(batch) % self._replicas
        return np.concatenate([batch, np.repeat(batch[-1:], missing, axis=0)]) if missing else batch

    def __call__(self, images, num_samples, label="eval"):
        """images: [M, D] array -> EvalResult with K = num_samples importance samples per image."""
        fn = self._terms_fn(num_samples)
        per_batch = max(1, self._rows_per_batch // num_samples)
        start, last_log = time.time(), time.time()
        elbos, lls, costs = [], [], []
        for lo in range(0, len(images), per_batch):
            try:
                batch = images[lo:lo + per_batch]
                terms = tf.nest.map_structure(lambda v, n=len(batch): v[:n],
                                              fn(tf.constant(self._padded(batch), tf.float32)))
            except tf.errors.ResourceExhaustedError as error:
                raise EvaluationMemoryError(
                    f"{label}: a batch of {per_batch} images x {num_samples} samples ran out of memory; lower "
                    f"--eval_rows_per_batch (now {self._rows_per_batch} rows)") from error
            elbos.append(tf.reduce_mean(terms.elbo, axis=-1).numpy())
            lls.append(objectives.iw_bound(terms.log_weights).numpy())
            costs.append(-tf.reduce_mean(terms.log_px, axis=-1).numpy())
            if time.time() - last_log > 30:
                done = lo + per_batch
                logging.info("%s: %d/%d images, running NLL %.3f (%.0f s, ETA %s)", label, done, len(images),
                             -np.mean(np.concatenate(lls)), time.time() - start,
                             progress.eta(done, len(images), time.time() - start))
                last_log = time.time()
        elbo, ll = np.concatenate(elbos).astype(np.float64), np.concatenate(lls).astype(np.float64)
        cost = np.concatenate(costs).astype(np.float64)
        finite = np.isfinite(elbo) & np.isfinite(ll) & np.isfinite(cost)
        if not np.all(finite):
            raise FloatingPointError(f"{label}: non-finite evaluation terms for "
                                     f"{np.sum(~finite)} of {len(ll)} images")
        return EvalResult(neg_elbo=float(-elbo.mean()), neg_ll=float(-ll.mean()), cost=float(cost.mean()),
                          num_images=len(images), num_samples=num_samples, seconds=time.time() - start,
                          log_likelihoods=ll)
