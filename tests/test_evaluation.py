"""An evaluation batch that does not fit in memory names the flag that sizes it."""
import numpy as np
import pytest
import tensorflow as tf

from dvae_tf2.training.evaluation import EvaluationMemoryError, Evaluator


class _ModelOutOfMemory:
    """Stands in for a model whose evaluation batch exhausts the memory (as a real OOM would)."""

    def evaluation_terms(self, x, num_samples):
        raise tf.errors.ResourceExhaustedError(None, None, "OOM when allocating tensor")


def test_out_of_memory_batch_names_eval_rows_per_batch():
    evaluator = Evaluator(_ModelOutOfMemory(), rows_per_batch=50_000)
    with pytest.raises(EvaluationMemoryError, match=r"test: a batch of 50 images x 1000 samples ran out of memory; "
                                                    r"lower --eval_rows_per_batch \(now 50000 rows\)"):
        evaluator(np.zeros([120, 784], np.float32), 1000, label="test")
