"""The DVAE# Gaussian-integral posterior (dvaes_gi): zeta | z ~ N(z + delta(x), s^2) per unit."""
import keras

from dvae_tf2.distributions.gaussian_integral import (LEGACY_SCALE_GRADIENT, ShiftedGaussianMixture,
                                                      scale_from_parameter, shift_from_logits)
from dvae_tf2.model.networks import BN_MOMENTUM
from dvae_tf2.posteriors.hierarchical import HierarchicalPosterior


class GaussianIntegralPosterior(HierarchicalPosterior):
    """Hierarchical posterior whose group nets emit [l, l_delta] (2 x units per group).

    q = sigmoid(l), delta = 0.5 (sigmoid(l_delta) - 0.5) per data point, and s = |0.2 v| + 0.05 with
    v a trainable [1, units] per group initialised to 1 (not weight-decayed). scale_gradient: the
    ShiftedGaussianMixture's d zeta / d s, "legacy" or "exact".
    """

    outputs_per_unit = 2

    def __init__(self, num_groups, units_per_group, context_hidden, group_hidden, seed, bn_momentum=BN_MOMENTUM,
                 scale_gradient=LEGACY_SCALE_GRADIENT, weight_decay=0.0, name="hierarchical_posterior", **kwargs):
        super().__init__(num_groups, units_per_group, context_hidden, group_hidden, None, seed,
                         bn_momentum=bn_momentum, weight_decay=weight_decay, name=name, **kwargs)
        self.scale_gradient = scale_gradient

    def build(self, input_shape):
        super().build(input_shape)
        for i in range(self.num_groups):   # attributes, not a list, so that checkpoints track them
            setattr(self, f"scale_{i}", self.add_weight(shape=(1, self.units_per_group), name=f"scale_{i}",
                                                        initializer=keras.initializers.Ones()))

    def get_config(self):
        config = {**super().get_config(), "scale_gradient": self.scale_gradient}
        del config["relaxation"]   # the groups' distributions are built here
        return config

    def group_logits(self, output):
        return output[..., :self.units_per_group]

    def group_distribution(self, output, group):
        return ShiftedGaussianMixture(self.group_logits(output), shift_from_logits(output[..., self.units_per_group:]),
                                      scale_from_parameter(getattr(self, f"scale_{group}")), self.scale_gradient)
