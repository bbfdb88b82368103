"""Evaluation of the ELBO and the importance-weighted estimate of log p(x)."""
import time
import typing

import numpy as np
import tensorflow as tf
from absl import logging

from dvae_tf2 import objectives, progress, uncertainty


class EvalResult(typing.NamedTuple):
    neg_elbo: float    # mean over images of -mean_k log w_k
    neg_ll: float      # mean over images of -log (1/K) sum_k w_k
    num_images: int
    num_samples: int
    seconds: float
    log_likelihoods: np.ndarray   # [M] float64: log (1/K) sum_k w_k of each image, in input order

    @property
    def neg_ll_stderr(self):
        """Standard error of neg_ll over the test images (sample sd / sqrt(M)); nan for one image."""
        return uncertainty.standard_error(self.log_likelihoods)


class Evaluator:
    """Computes IW estimates for a model over image arrays, in batches of whole images."""

    def __init__(self, model, rows_per_batch):
        self._model = model
        self._rows_per_batch = rows_per_batch
        self._functions = {}

    def _log_weights_fn(self, num_samples):
        if num_samples not in self._functions:
            self._functions[num_samples] = tf.function(
                lambda x: self._model.log_importance_weights(x, num_samples), reduce_retracing=True)
        return self._functions[num_samples]

    def __call__(self, images, num_samples, label="eval"):
        """images: [M, D] array -> EvalResult with K = num_samples importance samples per image."""
        fn = self._log_weights_fn(num_samples)
        per_batch = max(1, self._rows_per_batch // num_samples)
        start, last_log = time.time(), time.time()
        elbos, lls = [], []
        for lo in range(0, len(images), per_batch):
            log_w = fn(tf.constant(images[lo:lo + per_batch], tf.float32))
            elbos.append(tf.reduce_mean(log_w, axis=-1).numpy())
            lls.append(objectives.iw_bound(log_w).numpy())
            if time.time() - last_log > 30:
                done = lo + per_batch
                logging.info("%s: %d/%d images, running NLL %.3f (%.0f s, ETA %s)", label, done, len(images),
                             -np.mean(np.concatenate(lls)), time.time() - start,
                             progress.eta(done, len(images), time.time() - start))
                last_log = time.time()
        elbo, ll = np.concatenate(elbos).astype(np.float64), np.concatenate(lls).astype(np.float64)
        if not (np.all(np.isfinite(elbo)) and np.all(np.isfinite(ll))):
            raise FloatingPointError(f"{label}: non-finite importance weights for "
                                     f"{np.sum(~np.isfinite(ll))} of {len(ll)} images")
        return EvalResult(neg_elbo=float(-elbo.mean()), neg_ll=float(-ll.mean()), num_images=len(images),
                          num_samples=num_samples, seconds=time.time() - start,
                          log_likelihoods=ll)
