"""Fully connected networks with batch norm, tanh and L2 weight decay (Keras regularizers)."""
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


def weight_decay_regularizer(weight_decay):
    """The Keras regularizer of the legacy decay weight_decay * 0.5 ||w||^2 (keras L2(l) is l * sum w^2), or None
    for no decay."""
    return keras.regularizers.L2(0.5 * weight_decay) if weight_decay else None


def regularization_loss(layers):
    """The sum of the layers' regularization losses (Keras `losses`): their weight decay; 0 if they have none."""
    losses = [loss for layer in layers for loss in layer.losses]
    return tf.add_n(losses) if losses else tf.constant(0.0)


def regularized_variables(layer):
    """The layer's trainable variables that carry a regularizer (its weight-decay targets)."""
    return [v for v in layer.trainable_variables if v.regularizer is not None]


class FeedForward(keras.layers.Layer):
    """Dense -> BN -> tanh for each hidden layer, then an optional linear output layer.

    With `num_outputs=None` the network ends at the last hidden activation (a context
    network). Layer i's kernel is initialised with seed `seed + i`. The kernels and BN gammas carry the weight
    decay `weight_decay` * 0.5 ||.||^2 as Keras regularizers (`losses`); biases and betas none. Variable paths
    are `<name>/dense_<i>/kernel`, `<name>/norm_<i>/gamma`, `<name>/output/kernel`.
    """

    def __init__(self, num_hidden, num_outputs, seed, name=None, bn_momentum=BN_MOMENTUM, weight_decay=0.0, **kwargs):
        super().__init__(name=name, **kwargs)
        self.num_hidden = [int(units) for units in num_hidden]
        self.num_outputs = num_outputs
        self.seed = seed
        self.bn_momentum = bn_momentum
        self.weight_decay = weight_decay
        self.num_hidden_layers = len(num_hidden)
        decay = weight_decay_regularizer(weight_decay)
        for i, units in enumerate(num_hidden):
            setattr(self, f"dense_{i}", keras.layers.Dense(units, kernel_initializer=he_initializer(seed + i),
                                                           kernel_regularizer=decay, name=f"dense_{i}"))
            setattr(self, f"norm_{i}", keras.layers.BatchNormalization(momentum=bn_momentum, epsilon=BN_EPSILON,
                                                                       gamma_regularizer=decay, name=f"norm_{i}"))
        self.output_layer = (keras.layers.Dense(num_outputs, kernel_initializer=he_initializer(seed + len(num_hidden)),
                                                kernel_regularizer=decay, name="output")
                             if num_outputs is not None else None)

    def get_config(self):
        return {**super().get_config(), "num_hidden": self.num_hidden, "num_outputs": self.num_outputs,
                "seed": self.seed, "bn_momentum": self.bn_momentum, "weight_decay": self.weight_decay}

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

