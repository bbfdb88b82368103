"""Training: the loop (Trainer), its checkpoints, TensorBoard summaries and IW evaluation."""
from dvae_tf2.training.checkpoints import (CheckpointMismatchError, RunDirectoryError, load_run_config,
                                          restore_best_model)
from dvae_tf2.training.numerics import NonFiniteError
from dvae_tf2.training.trainer import Trainer

__all__ = ["CheckpointMismatchError", "NonFiniteError", "RunDirectoryError", "Trainer", "load_run_config",
           "restore_best_model"]
