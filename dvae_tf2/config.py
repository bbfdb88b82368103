"""One configuration object for a DVAE## run, with the legacy defaults."""
import dataclasses
import os
import typing

from dvae_tf2.baselines import BASELINES, get_baseline
from dvae_tf2.data import DATASETS

EXPERIMENTS = ("vae", "struct")
NUM_GROUPS = (1, 2, 4)
PRIOR_SAMPLERS = ("pa", "pcd")

def default_eval_every(num_train_iter):
    """Validation every 20,000 steps, or 10,000 for runs of at most 1e5 steps."""
    return 20000 if num_train_iter > 100000 else 10000


@dataclasses.dataclass(frozen=True)
class Config:
    """Everything a run needs; the library reads nothing else."""

    data_dir: str = "./data"
    log_dir: str = "./logs"
    dataset: str = "binarized_mnist"
    experiment: str = "vae"
    baseline: str = "pwl_relax"
    num_latents: int = 200
    num_groups: int = 1                  # L: groups of the directed posterior
    k: int = 1                           # samples per example in training (IW bound if > 1)
    beta: typing.Optional[float] = None      # None: the baseline's legacy beta for the dataset
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
    prior_ais_temperatures: int = 10000
    # RBM posterior (Algorithm 1).
    num_gibbs_sweeps: int = 10           # s: hard sweeps on the persistent chains
    num_relaxed_sweeps: int = 1          # t: relaxed sweeps carrying the gradient
    posterior_ais_temperatures: int = 500
    # Evaluation.
    eval_iw_samples: int = 4000
    val_iw_samples: int = 0              # IW samples per validation image; 0: eval_iw_samples
    eval_every: typing.Optional[int] = None  # None: 20,000 (10,000 if num_train_iter <= 1e5)
    val_stride: int = 10                 # validation during training uses every 10th image
    test_subset: int = 0                 # 0: the whole test set; else a strided subset of this size
    eval_rows_per_batch: int = 20000     # images per eval batch = this // eval_iw_samples
    summary_every: int = 200
    seed: int = 1
    jit_compile: bool = True

    def __post_init__(self):
        """Fills the defaults that depend on other fields (frozen dataclass, hence object.__setattr__)."""
        _check_choice("baseline", self.baseline, tuple(BASELINES))
        _check_choice("experiment", self.experiment, EXPERIMENTS)
        if self.beta is None and self.dataset in get_baseline(self.baseline).default_beta:
            object.__setattr__(self, "beta", get_baseline(self.baseline).beta_for(self.dataset))
        if self.base_lr is None:
            object.__setattr__(self, "base_lr", 3e-4 if self.is_struct else 3e-3)
        if self.eval_every is None:
            object.__setattr__(self, "eval_every", default_eval_every(self.num_train_iter))

    @property
    def is_struct(self):
        return self.experiment == "struct"

    @property
    def use_iw(self):
        return self.k > 1

    @property
    def baseline_spec(self):
        return get_baseline(self.baseline)

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
        """Hidden layers of decoder and encoder context nets: 1 for struct, 2 otherwise."""
        return 1 if self.is_struct else 2

    @property
    def run_dir(self):
        """Legacy layout <log_dir>/<dataset>/<experiment>/<num_latents>/<baseline>/<L>/<k>."""
        return os.path.join(self.log_dir, self.dataset, self.experiment, str(self.num_latents),
                            self.baseline, str(self.num_groups), str(self.k))

    def validate(self):
        """Raises ValueError naming the first invalid field and its valid values."""
        _check_choice("dataset", self.dataset, DATASETS)
        _check_choice("L", self.num_groups, NUM_GROUPS)
        _check_choice("prior_sampler", self.prior_sampler, PRIOR_SAMPLERS)
        self.baseline_spec.check(self)
        if self.num_latents < 2 or self.num_latents % 2 or self.num_latents % self.num_groups:
            raise ValueError(f"--num_latents={self.num_latents} must be even and split into L={self.num_groups} "
                             "equal groups that fill the two RBM halves (e.g. 200 or 400)")
        for name in ("k", "num_train_iter", "batch_size", "eval_iw_samples", "num_prior_samples",
                     "num_prior_sweeps", "prior_ais_chains", "num_gibbs_sweeps", "num_relaxed_sweeps",
                     "eval_every", "val_stride", "summary_every", "num_hidden_units"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name}={getattr(self, name)} must be a positive integer")
        for name in ("prior_ais_temperatures", "posterior_ais_temperatures"):
            if getattr(self, name) < 2:
                raise ValueError(f"--{name}={getattr(self, name)} must be at least 2")
        if self.val_iw_samples < 0:
            raise ValueError(f"--val_iw_samples={self.val_iw_samples} must be >= 0 (0 = --eval_iw_samples)")
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
