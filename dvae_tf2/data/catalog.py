"""The datasets a run can name and their legacy validation strides (plain Python: the configuration reads them
without TensorFlow)."""
DATASETS = ("binarized_mnist", "omniglot")
# Validation during training uses every n-th validation image: the legacy code subsamples MNIST's
# 10,000 (valid[::10]) and validates OMNIGLOT on all 1345.
VALIDATION_STRIDE = {"binarized_mnist": 10, "omniglot": 1}
