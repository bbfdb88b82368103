"""Training loop: the compiled step, the evaluation schedule and the final test, results.json."""
import dataclasses
import os
import time

import keras
import numpy as np
import tensorflow as tf
from absl import logging

from dvae_tf2 import atomic_io, data, objectives
from dvae_tf2.model import DVAE
from dvae_tf2.training.checkpoints import RunCheckpoints
from dvae_tf2.training.evaluation import Evaluator
from dvae_tf2.training.summaries import RunSummaries


class Trainer:
    """Trains a DVAE on `splits` following the legacy protocol, writing into config.run_dir."""

    def __init__(self, config, splits, resume=False):
        self.config = config
        self.splits = splits
        self.run_dir = config.run_dir
        os.makedirs(self.run_dir, exist_ok=True)
        self.model = DVAE(config, splits.train_mean, len(splits.train))
        boundaries, values = objectives.piecewise_learning_rates(config.base_lr, config.num_train_iter)
        self.learning_rate = keras.optimizers.schedules.PiecewiseConstantDecay(boundaries, values)
        self.optimizer = keras.optimizers.Adam(self.learning_rate, epsilon=1e-3)
        self.optimizer.build(self.model.generative_variables + self.model.encoder_variables)
        self.eval_rng = tf.random.Generator.from_seed(config.seed + 2)
        self.best_val_neg_ll = tf.Variable(np.inf, dtype=tf.float32, trainable=False)
        self.best_val_neg_elbo = tf.Variable(np.inf, dtype=tf.float32, trainable=False)
        self.checkpoints = RunCheckpoints(
            tf.train.Checkpoint(model=self.model, optimizer=self.optimizer, eval_rng=self.eval_rng,
                                best_val_neg_ll=self.best_val_neg_ll, best_val_neg_elbo=self.best_val_neg_elbo),
            self.run_dir)
        self.summaries = RunSummaries(self.run_dir, config)
        self.evaluator = Evaluator(self.model, config.eval_rows_per_batch)
        self._train_step = tf.function(self._step, jit_compile=config.jit_compile)
        self.checkpoints.prepare(config, resume)
        if resume:
            logging.info("Resumed from %s at step %d", self.checkpoints.latest.latest_checkpoint, self.step)

    @property
    def step(self):
        return int(self.optimizer.iterations.numpy())

    def coefficient(self, step):
        """KL warm-up c (VAE) or entropy weight lambda (struct) at `step`."""
        cfg = self.config
        if cfg.is_struct:
            return objectives.entropy_coefficient(step, cfg.num_train_iter, cfg.entropy_floor)
        return objectives.kl_coefficient(step, cfg.num_train_iter, cfg.kl_warmup_fraction)

    def _step(self, x, index):
        model = self.model
        p_vars, q_vars = model.generative_variables, model.encoder_variables
        with tf.GradientTape(persistent=True) as tape:
            losses = model.training_losses(x, index, self.coefficient(self.optimizer.iterations))
            loss_p = losses.loss_p + losses.weight_decay
            loss_q = losses.loss_q + losses.weight_decay
        if self.config.k == 1:
            grads = tape.gradient(loss_p, p_vars + q_vars)
        else:
            grads = tape.gradient(loss_p, p_vars) + tape.gradient(loss_q, q_vars)
        del tape
        self.optimizer.apply_gradients(zip(grads, p_vars + q_vars))
        return losses

    # ----------------------------------------------------------------------------------------------
    def refresh_prior_log_z(self):
        """AIS estimate of the prior's log Z (None for struct, which has no prior)."""
        start = time.time()
        result = self.model.refresh_prior_log_z(self.config.prior_ais_chains, self.config.prior_ais_temperatures,
                                                self.eval_rng)
        if result is not None:
            logging.info("prior log Z = %.4f +- %.4f (AIS, %d chains x %d temperatures, %.1f s)",
                         float(self.model.prior.log_z), float(self.model.prior.log_z_stderr),
                         self.config.prior_ais_chains, self.config.prior_ais_temperatures, time.time() - start)
        return result

    def evaluate(self, split_images, num_samples, label):
        return self.evaluator(split_images, num_samples, label=label)

    def _validate(self, step):
        ais_result = self.refresh_prior_log_z()
        val_images = self.splits.valid[:: self.config.val_stride]
        result = self.evaluate(val_images, self.config.validation_iw_samples, "validation")
        logging.info("step %d: val -ELBO %.3f, val NLL %.3f (%d images x %d samples, %.0f s)", step,
                     result.neg_elbo, result.neg_ll, result.num_images, result.num_samples, result.seconds)
        self.summaries.evaluation("val", result, step)
        if ais_result is not None:
            self.summaries.prior_log_z(self.model.prior, step)
        self.summaries.model_state(self.model, self.splits.valid, ais_result, step)
        if result.neg_ll < float(self.best_val_neg_ll):
            self.best_val_neg_ll.assign(result.neg_ll)
            self.best_val_neg_elbo.assign(result.neg_elbo)
            self.checkpoints.save_best(step)
            logging.info("new best validation NLL %.3f at step %d", result.neg_ll, step)
        self.checkpoints.save_latest(step)
        self.summaries.flush()

    # ----------------------------------------------------------------------------------------------
    def train(self, until_step=None):
        """Runs the remaining steps, then the final test evaluation; returns the results dict.

        With `until_step` < num_train_iter it stops there after saving a checkpoint (resume later
        with resume=True) and returns None.
        """
        cfg = self.config
        last_step = cfg.num_train_iter if until_step is None else min(until_step, cfg.num_train_iter)
        start_step, start_time, validation_seconds = self.step, time.time(), 0.0
        batches = data.training_batches(self.splits, cfg.batch_size, cfg.seed, start_step=start_step)
        window_start, window_steps = time.time(), 0
        for step, (x, index) in zip(range(start_step + 1, last_step + 1), batches):
            losses = self._train_step(x, index)
            window_steps += 1
            if not np.isfinite(losses.objective.numpy()):
                raise FloatingPointError(f"non-finite training objective at step {step}: {losses}")
            if step % cfg.summary_every == 0 or step == start_step + 1:
                rate = window_steps / (time.time() - window_start)
                self.summaries.training(losses, step, self.learning_rate(step), rate)
                if step % cfg.summary_every == 0:
                    self.summaries.training_images(x, losses, step)
                logging.info("step %d/%d: objective %.3f recon %.3f kl %.3f coeff %.3f lr %.2e (%.1f steps/s)",
                             step, cfg.num_train_iter, losses.objective, losses.reconstruction, losses.kl,
                             losses.coefficient, float(self.learning_rate(step)), rate)
                window_start, window_steps = time.time(), 0
            if step % cfg.eval_every == 0 or step == cfg.num_train_iter:
                validation_start = time.time()
                self._validate(step)
                validation_seconds += time.time() - validation_start
                window_start = time.time()   # keep validation out of the next steps/s window
        wall_seconds = time.time() - start_time
        if last_step < cfg.num_train_iter:
            self.checkpoints.save_latest(last_step)
            logging.info("stopped at step %d; continue with --resume", last_step)
            return None
        return self.final_evaluation(wall_seconds, validation_seconds, start_step)

    def final_evaluation(self, wall_seconds, validation_seconds, start_step):
        """Restores the best checkpoint, refreshes log Z, evaluates the test set, writes results.json."""
        cfg = self.config
        final_step = self.step
        best_path = self.checkpoints.restore_best()
        best_step = self.step
        logging.info("restored best checkpoint %s (step %d)", best_path, best_step)
        self.refresh_prior_log_z()
        test_images = self.splits.test
        if cfg.test_subset:
            test_images = data.strided_subset(test_images, cfg.test_subset)
        test = self.evaluate(test_images, cfg.eval_iw_samples, "test")
        logging.info("test -ELBO %.3f, test NLL %.3f (%d images x %d samples, %.0f s)", test.neg_elbo,
                     test.neg_ll, test.num_images, test.num_samples, test.seconds)
        self.summaries.evaluation("test", test, final_step)
        self.summaries.flush()
        results = {
            "config": dataclasses.asdict(cfg),
            "steps": final_step,
            "best_step": best_step,
            "trained_steps_this_session": final_step - start_step,
            "wall_time_s": wall_seconds,                 # training and validation, this session
            "validation_seconds": validation_seconds,
            "steps_per_s": (final_step - start_step) / max(wall_seconds - validation_seconds, 1e-9),
            "val_neg_elbo": float(self.best_val_neg_elbo),
            "val_neg_ll": float(self.best_val_neg_ll),
            "test_neg_elbo": test.neg_elbo,
            "test_neg_ll": test.neg_ll,
            "test_images": test.num_images,
            "test_eval_seconds": test.seconds,
            "eval_iw_samples": test.num_samples,
            "prior_log_z": None if cfg.is_struct else float(self.model.prior.log_z),
            "prior_log_z_stderr": None if cfg.is_struct else float(self.model.prior.log_z_stderr),
        }
        atomic_io.write_json(os.path.join(self.run_dir, "results.json"), results)
        return results
