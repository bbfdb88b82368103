"""The two legacy code bases a run can follow, DVAE## (QuadrantAI/dvaess) and DVAE# (QuadrantAI/dvae): one record
each with every way their model and protocol differ, so the rest of the code reads a field instead of asking
which code base it is. Plain Python only: the configuration and the flags read it without TensorFlow."""
import dataclasses
import typing

DVAE_SHARPSHARP = "dvae_sharpsharp"   # DVAE## (QuadrantAI/dvaess): --L, --experiment, --num_latents
DVAE_SHARP = "dvae_sharp"             # DVAE# (QuadrantAI/dvae): --struct


class Struct(typing.NamedTuple):
    """A DVAE# --struct: the directed posterior's groups, latents per group, and the hidden layers of each encoder
    group net and of the decoder."""
    num_groups: int
    units_per_group: int
    hidden_layers: int


@dataclasses.dataclass(frozen=True, eq=False)
class CodebaseSpec:
    """How one legacy code base builds and runs a model where the two differ.

    `structs` is empty for a code base configured by --L, --num_latents and --experiment; for one configured by
    --struct it maps each structure to its Struct, and `hidden_layers_by_experiment` is then unused.
    """
    name: str                                # the --codebase value
    label: str                               # its name in messages: DVAE## or DVAE#
    experiments: typing.Tuple[str, ...]      # the --experiment values it trains
    structs: typing.Mapping[str, Struct]
    default_struct: typing.Optional[str]
    hidden_layers_by_experiment: typing.Mapping[str, int]   # of the decoder and of each encoder network
    encoder_hidden_in_group_nets: bool       # the encoder's hidden layers: in each group's net, else in the shared
                                             # context net (whose groups are then linear layers on [c(x), zeta_<i])
    bn_momentum: float
    prior_ais_temperatures: int              # default AIS temperatures of the prior's evaluation log Z
    val_stride: typing.Optional[int]         # default validation stride; None: the dataset's legacy one
    val_iw_samples: int                      # default IW samples per validation image; 0: --eval_iw_samples
    test_nll_every_validation: bool          # evaluate the test NLL at every validation too, not only at the end
    run_dir_levels: typing.Tuple[str, ...]   # Config fields naming the run directory between <dataset> and <k>

    @property
    def configured_by_struct(self):
        """--struct sets L, the number of latents and the hidden layers."""
        return bool(self.structs)

    def run_dir_parts(self, config):
        """The run directory's levels between <log_dir>/<dataset> and <k> for `config`."""
        return tuple(str(getattr(config, level)) for level in self.run_dir_levels)


CODEBASES = {spec.name: spec for spec in (
    CodebaseSpec(
        name=DVAE_SHARPSHARP, label="DVAE##", experiments=("vae", "struct"), structs={}, default_struct=None,
        hidden_layers_by_experiment={"vae": 2, "struct": 1}, encoder_hidden_in_group_nets=False, bn_momentum=0.99,
        prior_ais_temperatures=10000, val_stride=None, val_iw_samples=0, test_nll_every_validation=False,
        run_dir_levels=("experiment", "num_latents", "baseline", "num_groups")),
    CodebaseSpec(
        name=DVAE_SHARP, label="DVAE#", experiments=("vae",),
        structs={"1-layer-lin": Struct(1, 200, 0), "1-layer-nonlin": Struct(1, 200, 2),
                 "2-layer-nonlin": Struct(2, 200, 2), "4-layer-nonlin": Struct(4, 100, 2)},
        default_struct="2-layer-nonlin", hidden_layers_by_experiment={}, encoder_hidden_in_group_nets=True,
        bn_momentum=0.8, prior_ais_temperatures=1000, val_stride=1, val_iw_samples=100,
        test_nll_every_validation=True, run_dir_levels=("struct", "baseline")),
)}
