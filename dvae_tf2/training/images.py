"""Image grids for TensorBoard and for files in the run directory."""
import math

import tensorflow as tf


def tile(images, rows, cols, height=28, width=28):
    """[rows*cols, height*width] in [0, 1] -> [1, rows*height, cols*width, 1] grid."""
    if images.shape[0] is not None and images.shape[0] < rows * cols:
        raise ValueError(f"a {rows}x{cols} grid needs {rows * cols} images, got {images.shape[0]}")
    grid = tf.reshape(images[: rows * cols], [rows, cols, height, width])
    grid = tf.transpose(grid, [0, 2, 1, 3])
    return tf.reshape(grid, [1, rows * height, cols * width, 1])


def side_by_side(inputs, reconstructions, count=10):
    """Pairs (input, reconstruction) as a 2 x count grid: [1, 56, 28*count, 1]."""
    stacked = tf.concat([inputs[:count], reconstructions[:count]], axis=0)
    return tile(stacked, 2, count)


def inputs_above_reconstructions(inputs, reconstructions):
    """The n x n grid of the first n^2 inputs above the grid of their reconstructions, n = floor(sqrt(N)) for
    inputs [N, 784]: [1, 2 * 28n, 28n, 1]."""
    n = math.isqrt(inputs.shape[0])
    return tf.concat([tile(inputs, n, n), tile(reconstructions, n, n)], axis=1)


def save_png(grid, path):
    """Writes a [1, H, W, 1] grid in [0, 1] as an 8-bit PNG."""
    data = tf.image.encode_png(tf.cast(tf.round(tf.clip_by_value(grid[0], 0.0, 1.0) * 255), tf.uint8))
    tf.io.write_file(path, data)
