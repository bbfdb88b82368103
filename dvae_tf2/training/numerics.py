"""Device-side watch for non-finite training values, read by the host only at its check points.

Reading a value back every step would make the host wait for the device each step, so the compiled
training step only records, in variables, the first step whose objective, loss terms or gradients hold
a NaN or an infinity (which quantity, and the batch's training indices). The host reads the record at
the logging cadence and before every checkpoint save, so nothing non-finite is ever saved.
"""
import os

import tensorflow as tf

from dvae_tf2.runtime import atomic_io

REPORT_NAME = "nonfinite_batch.json"


class NonFiniteError(FloatingPointError):
    """Training produced a NaN or an infinity."""


class FiniteGuard:
    """Records the first non-finite step of a training session.

    `names` names the quantities the step passes to `record`, in the same order.
    """

    def __init__(self, names, batch_size, checked_through):
        self.names = list(names)
        self.checked_through = checked_through        # host: last step known to be finite
        self.first_step = tf.Variable(-1, dtype=tf.int64, trainable=False)
        self.first_quantity = tf.Variable(-1, dtype=tf.int32, trainable=False)
        self.batch_index = tf.Variable(tf.zeros([batch_size], tf.int32), trainable=False)

    def record(self, step, quantities, index):
        """In the compiled step: notes `step` (int64 scalar) if it is the first with a non-finite
        entry in `quantities` (tensors of any shape, one per name) and keeps its batch `index` [B]."""
        finite = tf.stack([tf.reduce_all(tf.math.is_finite(q)) for q in quantities])
        first = tf.logical_and(tf.logical_not(tf.reduce_all(finite)), self.first_step < 0)
        first_bad = tf.cast(tf.argmin(tf.cast(finite, tf.int32)), tf.int32)
        self.first_quantity.assign(tf.where(first, first_bad, self.first_quantity))
        self.batch_index.assign(tf.where(first, tf.cast(index, tf.int32), self.batch_index))
        self.first_step.assign(tf.where(first, step, self.first_step))

    def check(self, step, run_dir):
        """On the host, at `step`: raises NonFiniteError (after writing the offending batch's indices to
        run_dir) if any step since the last check was non-finite."""
        first = int(self.first_step.numpy())
        if first < 0:
            self.checked_through = step
            return
        quantity = self.names[int(self.first_quantity.numpy())]
        path = os.path.join(run_dir, REPORT_NAME)
        atomic_io.write_json(path, {"step": first, "quantity": quantity,
                                    "batch_indices": self.batch_index.numpy().tolist()})
        raise NonFiniteError(
            f"training became non-finite between steps {self.checked_through + 1} and {step}: first at step "
            f"{first}, in the {quantity}. No checkpoint is written unchecked, so `latest` still holds the last good "
            f"state; the offending batch's training indices are in {path}. Try a "
            f"lower --base_lr, or --check_numerics to find the operation.")
