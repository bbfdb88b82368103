"""Evaluation of the ELBO and the importance-weighted estimate of log p(x)."""
import time
import typing

import numpy as np
import tensorflow as tf
from absl import logging

from dvae_tf2 import objectives, progress, uncertainty


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
    """Computes IW estimates for a model over image arrays, in batches of whole images."""

    def __init__(self, model, rows_per_batch):
        self._model = model
        self._rows_per_batch = rows_per_batch
        self._functions = {}

    def _terms_fn(self, num_samples):
        if num_samples not in self._functions:
            self._functions[num_samples] = tf.function(
                lambda x: self._model.evaluation_terms(x, num_samples), reduce_retracing=True)
        return self._functions[num_samples]

    def __call__(self, images, num_samples, label="eval"):
        """images: [M, D] array -> EvalResult with K = num_samples importance samples per image."""
        fn = self._terms_fn(num_samples)
        per_batch = max(1, self._rows_per_batch // num_samples)
        start, last_log = time.time(), time.time()
        elbos, lls, costs = [], [], []
        for lo in range(0, len(images), per_batch):
            try:
                terms = fn(tf.constant(images[lo:lo + per_batch], tf.float32))
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
