"""The --distribution_strategy values (plain Python: the configuration reads them without TensorFlow)."""
STRATEGIES = ("default", "mirrored", "multi_worker_mirrored")
