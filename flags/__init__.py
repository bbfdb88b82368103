"""Command-line flags of main.py: the DVAE## legacy flag set plus new ones, and the Config they build.

Only parsing and wiring happen here; the library never reads flags.
"""
from absl import flags, logging

from dvae_tf2 import config as config_lib
from dvae_tf2.baselines import BASELINES
from dvae_tf2.data import DATASETS

FLAGS = flags.FLAGS


def define_flags(flag_values=FLAGS):
    """Defines every flag of main.py into `flag_values` (call once, at import of main)."""
    fv = dict(flag_values=flag_values)
    if "log_dir" in flag_values:
        # absl.logging owns a --log_dir (where log files go); the legacy flag of the same name is the run
        # root. Ours replaces it; absl then writes any log files under the run root too.
        delattr(flag_values, "log_dir")
    # Legacy DVAE## flags (same names, defaults and meaning).
    flags.DEFINE_string("data_dir", "./data", "Directory holding (or receiving) the datasets.", **fv)
    flags.DEFINE_string("log_dir", "./logs", "Root of the run directories (checkpoints, TensorBoard, results).", **fv)
    flags.DEFINE_enum("dataset", "binarized_mnist", DATASETS, "Dataset.", **fv)
    flags.DEFINE_string("dateset", None, "Misspelled alias of --dataset kept so the legacy README example runs.", **fv)
    flags.DEFINE_integer("L", 1, "Number of latent groups of the directed posterior (1, 2 or 4; rbm_post: 1).", **fv)
    flags.DEFINE_enum("experiment", "vae", config_lib.EXPERIMENTS,
                      "vae: generative model; struct: predict the bottom half of the image from the top half.", **fv)
    flags.DEFINE_enum("baseline", "dvaes_power", list(BASELINES),
                      "; ".join(f"{name}: {spec.description}" for name, spec in BASELINES.items()) + ".", **fv)
    flags.DEFINE_integer("k", 1, "Samples per example in training; k > 1 trains the importance-weighted bound.",
                         lower_bound=1, **fv)
    flags.DEFINE_integer("num_latents", 200, "Number of binary latent units (200 or 400 in the paper).", lower_bound=2, **fv)
    flags.DEFINE_integer("num_train_iter", 1000000, "Number of training steps.", lower_bound=1, **fv)
    flags.DEFINE_integer("eval_iw_samples", 4000, "Importance samples per image in evaluation.", lower_bound=1, **fv)
    # New flags.
    flags.DEFINE_integer("seed", 1, "Seed of every random stream (data order, samplers, noise).", **fv)
    flags.DEFINE_float("beta", None, "Inverse temperature of the relaxation (default: the legacy value).", **fv)
    flags.DEFINE_float("base_lr", None, "Base learning rate (default 3e-3; 3e-4 for struct).", **fv)
    flags.DEFINE_integer("batch_size", 100, "Training batch size.", lower_bound=1, **fv)
    flags.DEFINE_integer("eval_every", None, "Validate every this many steps (default: 20,000; 10,000 when "
                         "num_train_iter <= 1e5).", lower_bound=1, **fv)
    flags.DEFINE_integer("val_stride", 10, "Validation during training uses every n-th validation image.",
                         lower_bound=1, **fv)
    flags.DEFINE_integer("val_iw_samples", 0, "Importance samples per validation image during training "
                         "(0: --eval_iw_samples).", lower_bound=0, **fv)
    flags.DEFINE_integer("test_subset", 0, "Evaluate the test set on a strided subset of this many images "
                         "(0: all).", lower_bound=0, **fv)
    flags.DEFINE_integer("eval_rows_per_batch", 20000, "Rows (images x samples) per evaluation batch.",
                         lower_bound=1, **fv)
    flags.DEFINE_bool("qupa", True, "DVAE# name of the prior sampler choice: True = population annealing, "
                      "False = PCD.", **fv)
    flags.DEFINE_enum("prior_sampler", None, config_lib.PRIOR_SAMPLERS,
                      "Prior sampler: pa (population annealing) or pcd. Overrides --qupa.", **fv)
    flags.DEFINE_integer("num_prior_samples", 1000, "Prior samples per step for the log Z gradient.", lower_bound=1, **fv)
    flags.DEFINE_integer("num_prior_sweeps", 40, "MCMC sweeps per step of the prior sampler.", lower_bound=1, **fv)
    flags.DEFINE_integer("prior_ais_chains", 1024, "AIS chains for the prior's evaluation log Z.", lower_bound=1, **fv)
    flags.DEFINE_integer("prior_ais_temperatures", 10000, "AIS temperatures for the prior's log Z.", lower_bound=2, **fv)
    flags.DEFINE_integer("num_gibbs_sweeps", 10, "s: hard Gibbs sweeps of the posterior chains per step.",
                         lower_bound=1, **fv)
    flags.DEFINE_integer("num_relaxed_sweeps", 1, "t: relaxed Gibbs sweeps carrying the gradient.", lower_bound=1, **fv)
    flags.DEFINE_integer("posterior_ais_temperatures", 500, "AIS temperatures per posterior RBM in evaluation.",
                         lower_bound=2, **fv)
    flags.DEFINE_integer("num_hidden_units", 200, "Units per hidden layer of every network.", lower_bound=1, **fv)
    flags.DEFINE_integer("summary_every", 200, "Write training summaries every this many steps.", lower_bound=1, **fv)
    flags.DEFINE_bool("xla", True, "Compile the training step with XLA (jit_compile).", **fv)
    flags.DEFINE_bool("resume", False, "Continue the run found in the run directory from its latest checkpoint.", **fv)


def config_from_flags(f=FLAGS):
    """Builds and validates the Config; raises ValueError naming a bad flag and its valid values."""
    dataset = f.dataset
    if f.dateset is not None:
        logging.warning("--dateset is a misspelling kept for the legacy README; use --dataset.")
        if f.dateset not in DATASETS:
            raise ValueError(f"--dateset={f.dateset!r} is invalid; valid values: {', '.join(DATASETS)}")
        dataset = f.dateset
    config = config_lib.Config(
        data_dir=f.data_dir, log_dir=f.log_dir, dataset=dataset, experiment=f.experiment, baseline=f.baseline,
        num_latents=f.num_latents, num_groups=f.L, k=f.k,
        beta=f.beta, num_train_iter=f.num_train_iter, batch_size=f.batch_size, base_lr=f.base_lr,
        num_hidden_units=f.num_hidden_units,
        prior_sampler=f.prior_sampler or ("pa" if f.qupa else "pcd"),
        num_prior_samples=f.num_prior_samples, num_prior_sweeps=f.num_prior_sweeps,
        prior_ais_chains=f.prior_ais_chains, prior_ais_temperatures=f.prior_ais_temperatures,
        num_gibbs_sweeps=f.num_gibbs_sweeps, num_relaxed_sweeps=f.num_relaxed_sweeps,
        posterior_ais_temperatures=f.posterior_ais_temperatures,
        eval_iw_samples=f.eval_iw_samples, val_iw_samples=f.val_iw_samples,
        eval_every=f.eval_every,
        val_stride=f.val_stride, test_subset=f.test_subset, eval_rows_per_batch=f.eval_rows_per_batch,
        summary_every=f.summary_every, seed=f.seed, jit_compile=f.xla)
    return config.validate()
