"""Datasets: binarized MNIST and OMNIGLOT files, their cache, TFDS, and the tf.data pipeline."""
