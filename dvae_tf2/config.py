"""One configuration object for a run of either code base (DVAE## or DVAE#), with the legacy defaults."""
import dataclasses
import os
import re
import typing

# Every import here is TensorFlow-free (the baseline registry builds its layers lazily): tools and flags read the
# configuration without starting TensorFlow.
from dvae_tf2.baselines import all_baseline_names, get_baseline
from dvae_tf2.baselines.spec import NO_IW
from dvae_tf2.codebases import CODEBASES, DVAE_SHARP, DVAE_SHARPSHARP
from dvae_tf2.data.catalog import DATASETS, VALIDATION_STRIDE
from dvae_tf2.distributions.options import LEGACY_SCALE_GRADIENT, SCALE_GRADIENTS
from dvae_tf2.runtime.strategy_names import STRATEGIES as DISTRIBUTION_STRATEGIES

EXPERIMENTS = tuple(dict.fromkeys(e for codebase in CODEBASES.values() for e in codebase.experiments))
NUM_GROUPS = (1, 2, 4)
PRIOR_SAMPLERS = ("pa", "pcd", "pt")
RUN_SUFFIX_PATTERN = re.compile(r"[A-Za-z0-9_.-]+")
STRUCTS = CODEBASES[DVAE_SHARP].structs   # DVAE# --struct -> Struct(groups, latents per group, hidden layers)

def default_eval_every(num_train_iter):
    """Validation every 20,000 steps, or 10,000 for runs of at most 1e5 steps."""
    return 20000 if num_train_iter > 100000 else 10000


@dataclasses.dataclass(frozen=True)
class Config:
    """Everything a run needs; the library reads nothing else."""

    codebase: str = DVAE_SHARPSHARP      # which legacy code base's model and protocol (codebase_spec): DVAE## or DVAE#
    struct: typing.Optional[str] = None  # DVAE# encoder structure (sets L and num_latents); None: 2-layer-nonlin
    data_dir: str = "./data"
    log_dir: str = "./logs"
    dataset: str = "binarized_mnist"
    experiment: str = "vae"
    baseline: str = "pwl_relax"
    num_latents: int = 200
    num_groups: int = 1                  # L: groups of the directed posterior
    k: int = 1                           # samples per example in training (IW bound if > 1)
    beta: typing.Optional[float] = None      # None: the baseline's legacy beta for the dataset
    gi_scale_gradient: str = LEGACY_SCALE_GRADIENT   # dvaes_gi d zeta / d s: legacy (omits delta) or exact
    num_train_iter: int = 1000000
    batch_size: int = 100
    base_lr: typing.Optional[float] = None   # None: 3e-3 (3e-4 for struct)
    weight_decay: float = 1e-4
    num_hidden_units: int = 200
    input_size: int = 784
    kl_warmup_fraction: float = 0.3
    entropy_floor: float = 0.05          # struct: lambda = max(1 - step / (0.5 N), entropy_floor)
    # Prior sampling (the QuPA replacement).
    prior_sampler: str = "pa"
    num_prior_samples: int = 1000
    num_prior_sweeps: int = 40
    prior_ais_chains: int = 1024
    prior_ais_temperatures: typing.Optional[int] = None   # None: 10,000 (DVAE##) or 1,000 (DVAE#)
    prior_old_sweep_fraction: float = 0.9   # of the PA sweeps, run at the previous step's parameters
    prior_reanneal_every: int = 1000     # restart the training sampler by annealing every this many steps (0: off)
    prior_reanneal_temperatures: int = 1000
    # RBM posterior (Algorithm 1).
    num_gibbs_sweeps: int = 10           # s: hard sweeps on the persistent chains
    num_relaxed_sweeps: int = 1          # t: relaxed sweeps carrying the gradient
    posterior_ais_temperatures: int = 500
    # Evaluation.
    eval_iw_samples: int = 4000
    val_iw_samples: int = 0              # IW samples per validation image; 0: eval_iw_samples
    eval_every: typing.Optional[int] = None  # None: 20,000 (10,000 if num_train_iter <= 1e5)
    val_stride: typing.Optional[int] = None  # None: the legacy one, 10 for MNIST, 1 (all images) for OMNIGLOT
    test_subset: int = 0                 # 0: the whole test set; else a strided subset of this size
    eval_rows_per_batch: int = 20000     # images per eval batch = this // eval_iw_samples
    summary_every: typing.Optional[int] = None   # None: 1000, the legacy cadence of both code bases
    checkpoint_every_secs: float = 600.0  # write `latest` this often between validations (0: off)
    checkpoint_every_steps: int = 0      # ... and/or every this many steps (0: off)
    check_numerics: bool = False         # tf.debugging.enable_check_numerics: name the op making a NaN/inf
    seed: int = 1
    run_suffix: str = ""                 # "": legacy run directory; else <...>/<k>-<run_suffix> (e.g. seed2)
    jit_compile: bool = True
    deterministic: bool = False          # tf.config.experimental.enable_op_determinism: bitwise-reproducible runs
    # tf.distribute (dvae_tf2.runtime.distribute): strategy, GPUs of `mirrored` (None: all), logical CPU devices.
    distribution_strategy: str = "default"
    num_gpus: typing.Optional[int] = None
    num_cpu_devices: int = 1

    def __post_init__(self):
        """Fills the defaults that depend on other fields (frozen dataclass, hence object.__setattr__)."""
        _check_choice("codebase", self.codebase, tuple(CODEBASES))
        _check_choice("baseline", self.baseline, all_baseline_names())
        _check_choice("experiment", self.experiment, EXPERIMENTS)
        codebase = self.codebase_spec
        if codebase.configured_by_struct:
            self._fill_struct_defaults(codebase)
        if self.val_stride is None:
            stride = VALIDATION_STRIDE.get(self.dataset) if codebase.val_stride is None else codebase.val_stride
            object.__setattr__(self, "val_stride", stride)
        if self.val_iw_samples == 0:
            object.__setattr__(self, "val_iw_samples", codebase.val_iw_samples)
        if self.beta is None:
            object.__setattr__(self, "beta", self.baseline_spec.beta_for(self.dataset, self.struct))
        if self.prior_ais_temperatures is None:
            object.__setattr__(self, "prior_ais_temperatures", codebase.prior_ais_temperatures)
        if self.base_lr is None:
            object.__setattr__(self, "base_lr", 3e-4 if self.is_struct else 3e-3)
        if self.summary_every is None:
            object.__setattr__(self, "summary_every", 1000)
        if self.eval_every is None:
            object.__setattr__(self, "eval_every", default_eval_every(self.num_train_iter))

    def _fill_struct_defaults(self, codebase):
        """--struct (default: the code base's) fixes L and the latents."""
        struct = self.struct or codebase.default_struct
        _check_choice("struct", struct, tuple(codebase.structs))
        shape = codebase.structs[struct]
        for name, value in (("struct", struct), ("num_groups", shape.num_groups),
                            ("num_latents", shape.num_groups * shape.units_per_group)):
            object.__setattr__(self, name, value)

    @property
    def codebase_spec(self):
        """The CodebaseSpec of --codebase: every way the two legacy code bases differ."""
        return CODEBASES[self.codebase]

    @property
    def is_struct(self):
        return self.experiment == "struct"

    @property
    def use_iw(self):
        """k > 1 trains an importance-weighted bound (DVAE and DVAE++ average the k samples' ELBOs)."""
        return self.k > 1 and self.baseline_spec.iw_estimator != NO_IW

    @property
    def baseline_spec(self):
        return get_baseline(self.baseline, self.codebase)

    @property
    def validation_iw_samples(self):
        return self.val_iw_samples or self.eval_iw_samples

    @property
    def num_latents_per_group(self):
        return self.num_latents // self.num_groups

    @property
    def num_vars1(self):
        return self.num_latents // 2

    @property
    def num_vars2(self):
        return self.num_latents - self.num_latents // 2

    @property
    def num_hidden_layers(self):
        """Hidden layers of the decoder and of each encoder network.

        DVAE##: 1 for the struct experiment, 2 otherwise; DVAE#: 0 for 1-layer-lin, 2 otherwise.
        """
        codebase = self.codebase_spec
        if codebase.configured_by_struct:
            return codebase.structs[self.struct].hidden_layers
        return codebase.hidden_layers_by_experiment[self.experiment]

    @property
    def encoder_context_hidden(self):
        """Hidden widths of the shared context net of a directed posterior (DVAE#: none, x - m itself)."""
        return [] if self.codebase_spec.encoder_hidden_in_group_nets else self._encoder_hidden

    @property
    def encoder_group_hidden(self):
        """Hidden widths of each group's net (DVAE##: none, a linear layer on [c(x), zeta_<i])."""
        return self._encoder_hidden if self.codebase_spec.encoder_hidden_in_group_nets else []

    @property
    def _encoder_hidden(self):
        return [self.num_hidden_units] * self.num_hidden_layers

    @property
    def bn_momentum(self):
        return self.codebase_spec.bn_momentum

    @property
    def run_dir(self):
        """Legacy layout: DVAE## <log_dir>/<dataset>/<experiment>/<num_latents>/<baseline>/<L>/<k>, DVAE#
        <log_dir>/<dataset>/<struct>/<baseline>/<k>; the last level is <k>-<run_suffix> with a suffix."""
        last = f"{self.k}-{self.run_suffix}" if self.run_suffix else str(self.k)
        return os.path.join(self.log_dir, self.dataset, *self.codebase_spec.run_dir_parts(self), last)

    def validate(self):
        """Raises ValueError naming the first invalid field and its valid values."""
        _check_choice("dataset", self.dataset, DATASETS)
        if self.input_size != 784:
            raise ValueError(f"--input_size={self.input_size} is invalid; valid values: 784 (28x28 images)")
        codebase = self.codebase_spec
        if self.experiment not in codebase.experiments:
            owners = " and ".join(c.label for c in CODEBASES.values() if self.experiment in c.experiments)
            raise ValueError(f"--experiment={self.experiment} is a {owners} experiment; the {codebase.label} code base "
                             f"trains --experiment={', '.join(codebase.experiments)}")
        if self.struct is not None and not codebase.configured_by_struct:
            owner = next(c for c in CODEBASES.values() if c.configured_by_struct)
            raise ValueError(f"--struct={self.struct} belongs to the {owner.label} code base; use "
                             f"--codebase={owner.name}")
        _check_choice("L", self.num_groups, NUM_GROUPS)
        _check_choice("prior_sampler", self.prior_sampler, PRIOR_SAMPLERS)
        _check_choice("gi_scale_gradient", self.gi_scale_gradient, SCALE_GRADIENTS)
        self.baseline_spec.check(self)
        if self.num_latents < 2 or self.num_latents % 2 or self.num_latents % self.num_groups:
            raise ValueError(f"--num_latents={self.num_latents} must be even and split into L={self.num_groups} "
                             "equal groups that fill the two RBM halves (e.g. 200 or 400)")
        for name in ("k", "num_train_iter", "batch_size", "eval_iw_samples", "num_prior_samples",
                     "num_prior_sweeps", "prior_ais_chains", "num_gibbs_sweeps", "num_relaxed_sweeps",
                     "eval_every", "val_stride", "summary_every", "num_hidden_units"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name}={getattr(self, name)} must be a positive integer")
        if not 0.0 <= self.prior_old_sweep_fraction < 1.0:
            raise ValueError(f"--prior_old_sweep_fraction={self.prior_old_sweep_fraction} must be in [0, 1)")
        if self.prior_reanneal_every < 0:
            raise ValueError(f"--prior_reanneal_every={self.prior_reanneal_every} must be >= 0 (0 = off)")
        for name in ("prior_ais_temperatures", "posterior_ais_temperatures", "prior_reanneal_temperatures"):
            if getattr(self, name) < 2:
                raise ValueError(f"--{name}={getattr(self, name)} must be at least 2")
        if self.seed < 0:
            raise ValueError(f"--seed={self.seed} must be >= 0")
        if self.val_iw_samples < 0:
            raise ValueError(f"--val_iw_samples={self.val_iw_samples} must be >= 0 (0 = --eval_iw_samples)")
        if self.run_suffix and not RUN_SUFFIX_PATTERN.fullmatch(self.run_suffix):
            raise ValueError(f"--run_suffix={self.run_suffix!r} is invalid; valid values: empty, or letters, digits, "
                             "'_', '.' and '-' (e.g. seed2)")
        if self.checkpoint_every_secs < 0 or self.checkpoint_every_steps < 0:
            raise ValueError(f"--checkpoint_every_secs={self.checkpoint_every_secs} and --checkpoint_every_steps="
                             f"{self.checkpoint_every_steps} must be >= 0 (0 = off)")
        _check_choice("distribution_strategy", self.distribution_strategy, DISTRIBUTION_STRATEGIES)
        if self.num_cpu_devices < 1 or (self.num_gpus is not None and self.num_gpus < 1):
            raise ValueError(f"--num_cpu_devices={self.num_cpu_devices} and --num_gpus={self.num_gpus} must be >= 1")
        if self.test_subset < 0:
            raise ValueError(f"--test_subset={self.test_subset} must be >= 0 (0 = whole test set)")
        if self.beta is None:
            raise ValueError(f"--dataset={self.dataset!r} has no default beta for --baseline={self.baseline}; "
                             "pass --beta")
        if not self.beta > 0:
            raise ValueError(f"--beta={self.beta} must be positive")
        if not self.base_lr > 0:
            raise ValueError(f"--base_lr={self.base_lr} must be positive")
        return self


def _check_choice(flag, value, valid):
    if value not in valid:
        raise ValueError(f"--{flag}={value!r} is invalid; valid values: {', '.join(map(str, valid))}")
