"""The shared-context directed (hierarchical) posterior of the DVAE## baselines."""
import keras
import tensorflow as tf

from dvae_tf2.model import objectives
from dvae_tf2.model.networks import BN_MOMENTUM, FeedForward
from dvae_tf2.distributions import serialization
from dvae_tf2.posteriors.base import EvaluationDraw, Posterior, TrainingDraw


def bernoulli_sample(logits, rng):
    """Exact binary samples of sigmoid(logits)."""
    return tf.cast(rng.uniform(tf.shape(logits)) < tf.sigmoid(logits), logits.dtype)


class HierarchicalPosterior(keras.layers.Layer, Posterior):
    """Directed posterior q(z|x) = prod_i q(z_i | x, zeta_<i) with L groups.

    A context c(x) (a tanh/BN network on x - m, or x - m itself when `context_hidden` is empty)
    feeds every group; group i's logits = net_i([c(x), zeta_1..zeta_{i-1}]) with net_i a tanh/BN
    network of `group_hidden` layers and a linear output. DVAE## baselines share a 2-layer context
    and use linear groups; the DVAE# `--struct` encoders have no shared context and a network per
    group. Groups 1..L/2 form the first RBM half and L/2+1..L the second (L = 1: one group).
    `relaxation` maps logits to a relaxed distribution (`dvae_tf2.distributions`) whose samples, and
    whose objective log q and entropy terms, the training draw uses.
    """

    outputs_per_unit = 1   # numbers each group net emits per latent unit (its logits)
    undirected = False

    def __init__(self, num_groups, units_per_group, context_hidden, group_hidden, relaxation, seed,
                 bn_momentum=BN_MOMENTUM, weight_decay=0.0, name="hierarchical_posterior", **kwargs):
        super().__init__(name=name, **kwargs)
        self.num_groups = num_groups
        self.units_per_group = units_per_group
        self.context_hidden, self.group_hidden = list(context_hidden), list(group_hidden)
        self.seed, self.bn_momentum, self.weight_decay = seed, bn_momentum, weight_decay
        # A description (from get_config) or the relaxation itself.
        self.relaxation = (serialization.relaxation_from_config(relaxation) if isinstance(relaxation, dict)
                           else relaxation)
        self.context = FeedForward(context_hidden, None, seed, name="context", bn_momentum=bn_momentum,
                                   weight_decay=weight_decay)
        group_seed = seed + len(context_hidden)
        for i in range(num_groups):   # attributes, not a list: Keras 3 checkpoints skip layers in lists
            setattr(self, f"group_{i}", FeedForward(group_hidden, self.outputs_per_unit * units_per_group,
                                                    seed=group_seed + i * (len(group_hidden) + 1),
                                                    name=f"group_{i}", bn_momentum=bn_momentum,
                                                    weight_decay=weight_decay))

    def get_config(self):
        """The constructor's settings, the relaxation as `serialization.relaxation_config` describes it."""
        return {**super().get_config(), "num_groups": self.num_groups, "units_per_group": self.units_per_group,
                "context_hidden": self.context_hidden, "group_hidden": self.group_hidden,
                "relaxation": serialization.relaxation_config(self.relaxation), "seed": self.seed,
                "bn_momentum": self.bn_momentum, "weight_decay": self.weight_decay}

    @property
    def group_layers(self):
        """The L networks giving each group's logits from [c(x), zeta_<i]."""
        return [getattr(self, f"group_{i}") for i in range(self.num_groups)]

    def build(self, input_shape):
        self.context.build(input_shape)
        for i, layer in enumerate(self.group_layers):
            layer.build((None, self.context.output_width + i * self.units_per_group))

    @property
    def decay_layer_parts(self):
        """"encoder_context": [the shared context] (if it has layers), "encoder": the group nets. The legacy DVAE##
        code counts its context network (pre_proc) in the total weight decay but not in the encoder's."""
        groups = {"encoder": self.group_layers}
        return {"encoder_context": [self.context], **groups} if self.context.num_hidden_layers else groups

    def call(self, x_centered, training=False):
        """Bernoulli logits [N, n] of q(z|x) along the posterior means (a deterministic ancestral pass: each group
        conditioned on the earlier groups' mean sigmoid(logits))."""
        logits, _, _ = self.ancestral_pass(x_centered, 1, lambda output, _: (tf.sigmoid(self.group_logits(output)),
                                                                               None), training)
        return tf.concat(logits, axis=-1)

    def group_logits(self, output):
        """Bernoulli logits of a group from its net's output [M, outputs_per_unit * units]."""
        return output

    def group_distribution(self, output, group):
        """The relaxed distribution of group `group` given its net's output."""
        del group
        return self.relaxation(output)

    def ancestral_pass(self, x_centered, num_samples, sample_fn, training):
        """Per-group logits and samples, rows repeated num_samples times.

        sample_fn(output, group) -> (sample, extra). Returns (logits, samples, extras): lists over groups.
        """
        context = tf.repeat(self.context(x_centered, training=training), num_samples, axis=0)
        logits, samples, extras = [], [], []
        for i, layer in enumerate(self.group_layers):
            output = layer(tf.concat([context] + samples, axis=-1), training=training)
            sample, extra = sample_fn(output, i)
            logits.append(self.group_logits(output))
            samples.append(sample)
            extras.append(extra)
        return logits, samples, extras

    def _relaxed_sample(self, output, group, rng):
        distribution = self.group_distribution(output, group)
        return distribution.sample_from_rng(rng), distribution

    def _bernoulli_sample(self, output, rng):
        return bernoulli_sample(self.group_logits(output), rng), None

    def training_draw(self, x_centered, index, num_samples, rng):
        del index  # directed posteriors keep no per-example state
        logits, zetas, distributions = self.ancestral_pass(
            x_centered, num_samples, lambda output, group: self._relaxed_sample(output, group, rng), True)
        means = [tf.sigmoid(l) for l in logits]
        half = self.num_groups // 2
        # Cross-entropy E_q[E(z)]: exact at the mean for L = 1; else the first half's samples with
        # the second half Rao-Blackwellised (E linear in z2 given z1).
        rb_point = tf.concat(means if self.num_groups == 1 else zetas[:half] + means[half:], axis=-1)
        return TrainingDraw(
            zeta=tf.concat(zetas, axis=-1),
            rb_point=rb_point,
            neg_entropy=tf.add_n([d.objective_neg_entropy(z) for d, z in zip(distributions, zetas)]),
            log_q=tf.add_n([d.objective_log_prob(z) for d, z in zip(distributions, zetas)]),
            logits=tf.concat(logits, axis=-1))

    def parameter_summaries(self, x_centered, rng):
        """q(z_i = 1 | x, z_<i) along one ancestral sample."""
        logits, _, _ = self.ancestral_pass(x_centered, 1, lambda output, _: self._bernoulli_sample(output, rng),
                                            False)
        return {"posterior/q": tf.sigmoid(tf.concat(logits, axis=-1))}

    def evaluation_draw(self, x_centered, num_samples, rng):
        logits, z, _ = self.ancestral_pass(x_centered, num_samples,
                                            lambda output, _: self._bernoulli_sample(output, rng), False)
        logits, z = tf.concat(logits, axis=-1), tf.concat(z, axis=-1)
        log_q = objectives.bernoulli_log_prob(logits, z)
        n = tf.shape(x_centered)[0]
        return EvaluationDraw(z=tf.reshape(z, [n, num_samples, -1]), log_q=tf.reshape(log_q, [n, num_samples]))
