"""Fully connected networks with batch norm, tanh and L2 weight decay."""
import keras
import tensorflow as tf

BN_MOMENTUM = 0.99        # DVAE## (the DVAE# code base uses 0.8)
BN_EPSILON = 1e-2


def he_initializer(seed):
    """Variance scaling, fan-in, scale 2 (truncated normal), seeded by the integer `seed`."""
    return keras.initializers.VarianceScaling(scale=2.0, mode="fan_in", distribution="truncated_normal", seed=seed)


def l2_half(tensors):
    """sum_i 0.5 * ||t_i||^2 over a list of tensors."""
    return tf.add_n([0.5 * tf.reduce_sum(tf.square(t)) for t in tensors]) if tensors else tf.constant(0.0)


class FeedForward(keras.layers.Layer):
    """Dense -> BN -> tanh for each hidden layer, then an optional linear output layer.

    With `num_outputs=None` the network ends at the last hidden activation (a context
    network). Layer i's kernel is initialised with seed `seed + i`. `decay_variables` are the kernels and BN
    gammas (weight decay targets). Variable paths are `<name>/dense_<i>/kernel`, `<name>/norm_<i>/gamma`,
    `<name>/output/kernel`.
    """

    def __init__(self, num_hidden, num_outputs, seed, name=None, bn_momentum=BN_MOMENTUM):
        super().__init__(name=name)
        self.num_hidden_layers = len(num_hidden)
        for i, units in enumerate(num_hidden):
            setattr(self, f"dense_{i}", keras.layers.Dense(units, kernel_initializer=he_initializer(seed + i),
                                                           name=f"dense_{i}"))
            setattr(self, f"norm_{i}", keras.layers.BatchNormalization(momentum=bn_momentum, epsilon=BN_EPSILON,
                                                                       name=f"norm_{i}"))
        self.output_layer = (keras.layers.Dense(num_outputs, kernel_initializer=he_initializer(seed + len(num_hidden)),
                                                name="output")
                             if num_outputs is not None else None)

    # Keras 3 leaves layers held in lists out of tf.train.Checkpoint, so each layer is an attribute.
    @property
    def dense_layers(self):
        return [getattr(self, f"dense_{i}") for i in range(self.num_hidden_layers)]

    @property
    def norm_layers(self):
        return [getattr(self, f"norm_{i}") for i in range(self.num_hidden_layers)]

    def build(self, input_shape):
        width = input_shape[-1]
        for dense, norm in zip(self.dense_layers, self.norm_layers):
            dense.build((None, width))
            width = dense.units
            norm.build((None, width))
        if self.output_layer is not None:
            self.output_layer.build((None, width))
        self.output_width = self.output_layer.units if self.output_layer is not None else width

    def call(self, x, training=False):
        """x: [N, d_in] -> [N, num_outputs] (or [N, num_hidden[-1]])."""
        h = x
        for dense, norm in zip(self.dense_layers, self.norm_layers):
            h = tf.tanh(norm(dense(h), training=training))
        return self.output_layer(h) if self.output_layer is not None else h

    @property
    def decay_variables(self):
        dense_layers = self.dense_layers + ([self.output_layer] if self.output_layer else [])
        return [d.kernel for d in dense_layers] + [n.gamma for n in self.norm_layers]
