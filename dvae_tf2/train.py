"""Training loop: compiled steps, evaluation schedule, checkpoints, summaries, results.json."""
import dataclasses
import json
import os
import time

import keras
import numpy as np
import tensorflow as tf
from absl import logging

from dvae_tf2 import atomic_io, data, images, objectives
from dvae_tf2.config import Config
from dvae_tf2.evaluation import Evaluator
from dvae_tf2.model import DVAE

# Config fields that must match to resume from a checkpoint.
_RESUME_KEYS = ("dataset", "experiment", "baseline", "num_latents", "num_groups", "k", "num_train_iter",
                "batch_size", "num_hidden_units", "prior_sampler", "num_prior_samples", "input_size", "seed")


class CheckpointMismatchError(ValueError):
    """Raised when resuming a run whose saved configuration differs from the requested one."""


def load_run_config(run_dir):
    """The Config saved in a run directory (config.json)."""
    path = os.path.join(run_dir, "config.json")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{run_dir} is not a run directory: {path} is missing")
    with open(path) as f:
        return Config(**json.load(f)).validate()


def restore_best_model(config, splits):
    """Builds the run's model and restores its best checkpoint (by validation NLL) -> (DVAE, step)."""
    model = DVAE(config, splits.train_mean, len(splits.train))
    best_dir = os.path.join(config.run_dir, "checkpoints", "best")
    path = tf.train.latest_checkpoint(best_dir)
    if path is None:
        raise FileNotFoundError(f"no best checkpoint under {best_dir}")
    step = tf.Variable(0, dtype=tf.int64)
    optimizer = tf.train.Checkpoint(_iterations=step)   # only the step counter of the saved Keras optimizer
    tf.train.Checkpoint(model=model, optimizer=optimizer).restore(path).expect_partial() \
        .assert_existing_objects_matched()
    return model, int(step.numpy())


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
        self.optimizer.build(self.model.decoder_variables + self.model.encoder_variables)
        self.eval_rng = tf.random.Generator.from_seed(config.seed + 2)
        self.best_val_neg_ll = tf.Variable(np.inf, dtype=tf.float32, trainable=False)
        self.best_val_neg_elbo = tf.Variable(np.inf, dtype=tf.float32, trainable=False)
        self.checkpoint = tf.train.Checkpoint(model=self.model, optimizer=self.optimizer, eval_rng=self.eval_rng,
                                              best_val_neg_ll=self.best_val_neg_ll,
                                              best_val_neg_elbo=self.best_val_neg_elbo)
        ckpt_dir = os.path.join(self.run_dir, "checkpoints")
        self.latest = tf.train.CheckpointManager(self.checkpoint, os.path.join(ckpt_dir, "latest"), max_to_keep=1)
        self.best = tf.train.CheckpointManager(self.checkpoint, os.path.join(ckpt_dir, "best"), max_to_keep=1)
        self.writer = tf.summary.create_file_writer(self.run_dir)
        self.evaluator = Evaluator(self.model, config.eval_rows_per_batch)
        self._train_step = tf.function(self._step, jit_compile=config.jit_compile)
        self._prepare_run_dir(resume)

    # ----------------------------------------------------------------------------------------------
    def _prepare_run_dir(self, resume):
        config_path = os.path.join(self.run_dir, "config.json")
        current = dataclasses.asdict(self.config)
        if resume:
            if self.latest.latest_checkpoint is None:
                raise FileNotFoundError(f"--resume: no checkpoint under {self.latest.directory}")
            with open(config_path) as f:
                saved = json.load(f)
            diff = [f"{key}: saved {saved.get(key)!r} vs requested {current[key]!r}"
                    for key in _RESUME_KEYS if saved.get(key) != current[key]]
            if diff:
                raise CheckpointMismatchError(f"cannot resume {self.run_dir}: configuration differs ("
                                              + "; ".join(diff) + ")")
            self.checkpoint.restore(self.latest.latest_checkpoint).assert_existing_objects_matched()
            logging.info("Resumed from %s at step %d", self.latest.latest_checkpoint, self.step)
        elif self.latest.latest_checkpoint is not None:
            raise FileExistsError(f"{self.run_dir} already holds a run; pass --resume to continue it "
                                  "or choose another --log_dir")
        atomic_io.write_json(config_path, current)

    @property
    def step(self):
        return int(self.optimizer.iterations.numpy())

    def _step(self, x, index):
        model = self.model
        p_vars, q_vars = model.decoder_variables, model.encoder_variables
        with tf.GradientTape(persistent=True) as tape:
            losses = model.training_losses(x, index, self.optimizer.iterations)
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
        """AIS estimate of the prior's log Z (skipped for struct, which has no prior)."""
        if self.config.is_struct:
            return None
        start = time.time()
        result = self.model.prior.refresh_log_z(self.config.prior_ais_chains, self.config.prior_ais_temperatures,
                                                self.eval_rng)
        logging.info("prior log Z = %.4f +- %.4f (AIS, %d chains x %d temperatures, %.1f s)",
                     float(self.model.prior.log_z), float(self.model.prior.log_z_stderr),
                     self.config.prior_ais_chains, self.config.prior_ais_temperatures, time.time() - start)
        return result

    def evaluate(self, split_images, num_samples, label):
        return self.evaluator(split_images, num_samples, label=label)

    def _write_eval_summaries(self, ais_result, step):
        with self.writer.as_default(step=step):
            x = tf.constant(self.splits.valid[:10], tf.float32)
            recon = tf.sigmoid(self.model.decoder_logits(
                self.model.encoder.evaluation_draw(self.model.encoder_input(x), 1, self.model.rng).z[:, 0],
                training=False))
            tf.summary.image("val/reconstruction", images.side_by_side(x, recon), step=step)
            if ais_result is not None:
                z = tf.concat([ais_result.z1[0], ais_result.z2[0]], axis=-1)[:100]
                cols = min(10, len(z))
                grid = images.tile(self.model.generate(z), len(z) // cols, cols)   # 10x10 unless fewer chains
                tf.summary.image("samples/generated", grid, step=step)
                images.save_png(grid, os.path.join(self.run_dir, "samples.png"))
                tf.summary.histogram("prior/w", self.model.prior.w, step=step)
                tf.summary.histogram("prior/b", tf.concat([self.model.prior.b1, self.model.prior.b2], 0), step=step)
            x_centered = self.model.encoder_input(tf.constant(self.splits.valid[:100], tf.float32))
            for name, values in self.model.encoder.parameter_summaries(x_centered, self.model.rng).items():
                tf.summary.histogram(name, values, step=step)

    def _validate(self, step):
        ais_result = self.refresh_prior_log_z()
        val_images = self.splits.valid[:: self.config.val_stride]
        result = self.evaluate(val_images, self.config.validation_iw_samples, "validation")
        logging.info("step %d: val -ELBO %.3f, val NLL %.3f (%d images x %d samples, %.0f s)", step,
                     result.neg_elbo, result.neg_ll, result.num_images, result.num_samples, result.seconds)
        with self.writer.as_default(step=step):
            tf.summary.scalar("val/neg_elbo", result.neg_elbo)
            tf.summary.scalar("val/neg_ll", result.neg_ll)
            if not self.config.is_struct:
                tf.summary.scalar("prior/log_z_ais", self.model.prior.log_z)
                tf.summary.scalar("prior/log_z_ais_stderr", self.model.prior.log_z_stderr)
        self._write_eval_summaries(ais_result, step)
        if result.neg_ll < float(self.best_val_neg_ll):
            self.best_val_neg_ll.assign(result.neg_ll)
            self.best_val_neg_elbo.assign(result.neg_elbo)
            self.best.save(checkpoint_number=step)
            logging.info("new best validation NLL %.3f at step %d", result.neg_ll, step)
        self.latest.save(checkpoint_number=step)
        self.writer.flush()

    def _write_train_summaries(self, losses, step, steps_per_second):
        with self.writer.as_default(step=step):
            for name in ("objective", "reconstruction", "kl", "weight_decay"):
                tf.summary.scalar(f"train/{name}", getattr(losses, name))
            coefficient = "entropy_coefficient" if self.config.is_struct else "kl_coefficient"
            tf.summary.scalar(f"train/{coefficient}", losses.coefficient)
            tf.summary.scalar("train/learning_rate", self.learning_rate(step))
            tf.summary.scalar("train/steps_per_second", steps_per_second)
            tf.summary.scalar("posterior/beta", self.config.beta)
            if not self.config.is_struct:
                tf.summary.scalar("prior/log_z_train", losses.prior_log_z)
                tf.summary.scalar("prior/sampler_ess", losses.sampler_ess)
            if self.config.k > 1:
                # Effective sample size of the normalised importance weights, as a fraction of k.
                w = tf.nn.softmax(losses.log_weights, axis=-1)
                ess = tf.reduce_mean(1.0 / tf.reduce_sum(tf.square(w), axis=-1)) / self.config.k
                tf.summary.scalar("train/iw_ess_fraction", ess)

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
                self._write_train_summaries(losses, step, rate)
                if step % cfg.summary_every == 0:
                    with self.writer.as_default(step=step):
                        tf.summary.image("train/reconstruction", images.side_by_side(x, losses.reconstruction_probs))
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
            self.latest.save(checkpoint_number=last_step)
            logging.info("stopped at step %d; continue with --resume", last_step)
            return None
        return self.final_evaluation(wall_seconds, validation_seconds, start_step)

    def final_evaluation(self, wall_seconds, validation_seconds, start_step):
        """Restores the best checkpoint, refreshes log Z, evaluates the test set, writes results.json."""
        cfg = self.config
        final_step = self.step
        best_path = self.best.latest_checkpoint
        if best_path is None:
            raise RuntimeError(f"no best checkpoint under {self.best.directory}")
        self.checkpoint.restore(best_path).assert_existing_objects_matched()
        best_step = self.step
        logging.info("restored best checkpoint %s (step %d)", best_path, best_step)
        self.refresh_prior_log_z()
        test_images = self.splits.test
        if cfg.test_subset:
            test_images = data.strided_subset(test_images, cfg.test_subset)
        test = self.evaluate(test_images, cfg.eval_iw_samples, "test")
        logging.info("test -ELBO %.3f, test NLL %.3f (%d images x %d samples, %.0f s)", test.neg_elbo,
                     test.neg_ll, test.num_images, test.num_samples, test.seconds)
        with self.writer.as_default(step=final_step):
            tf.summary.scalar("test/neg_elbo", test.neg_elbo)
            tf.summary.scalar("test/neg_ll", test.neg_ll)
        self.writer.flush()
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
