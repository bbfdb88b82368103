"""Command-line flags of main.py: both legacy flag sets (DVAE## and DVAE#) plus new ones, and the Config they build.

Only parsing and wiring happen here; the library never reads flags.
"""
import dataclasses

from absl import flags, logging

from dvae_tf2 import config as config_lib
from dvae_tf2.baselines import CODEBASES, DVAE_SHARP, DVAE_SHARPSHARP, codebases_of
from flags import dvae_sharp, dvae_sharpsharp, shared
from dvae_tf2.data.catalog import DATASETS
from dvae_tf2.distributions.options import SCALE_GRADIENTS

FLAGS = flags.FLAGS


def define_flags(flag_values=FLAGS):
    """Defines every flag of main.py into `flag_values` (call once, at import of main)."""
    fv = dict(flag_values=flag_values)
    if "log_dir" in flag_values:
        # absl.logging owns a --log_dir (where log files go); the legacy flag of the same name is the run
        # root. Ours replaces it; absl then writes any log files under the run root too.
        delattr(flag_values, "log_dir")
    shared.define(flag_values)
    dvae_sharpsharp.define(flag_values)
    dvae_sharp.define(flag_values)
    # New flags.
    flags.DEFINE_enum("codebase", "auto", ("auto",) + tuple(CODEBASES),
                      "Which legacy code base's model and protocol a command means: dvae_sharpsharp (DVAE##) or "
                      "dvae_sharp (DVAE#). auto: from the flags given (--struct, --train_batchsize, "
                      "--eval_batchsize, --input_size: DVAE#; --L, --experiment, --num_latents: DVAE##), else from "
                      "--baseline; dvaes_power (in both) means DVAE# when --qupa or --beta is given, DVAE## "
                      "otherwise.", **fv)
    flags.DEFINE_integer("seed", 1, "Seed of the run: every random stream (data order, network weights, posterior "
                         "noise, prior sampler, evaluation, ...) is split from it by numpy's SeedSequence, so "
                         "neighbouring seeds share no stream.", lower_bound=0, **fv)
    flags.DEFINE_string("run_suffix", "", "Appended to the run directory as <k>-<run_suffix> (e.g. seed2) so runs "
                        "of one configuration with different seeds sit side by side; empty: the legacy layout.", **fv)
    flags.DEFINE_integer("batch_size", 100, "Training batch size.", lower_bound=1, **fv)
    flags.DEFINE_integer("eval_every", None, "Validate every this many steps (default: 20,000; 10,000 when "
                         "num_train_iter <= 1e5).", lower_bound=1, **fv)
    flags.DEFINE_integer("val_stride", None, "Validation during training uses every n-th validation image "
                         "(default: the legacy 10 for binarized_mnist, 1 for omniglot).",
                         lower_bound=1, **fv)
    flags.DEFINE_integer("val_iw_samples", 0, "Importance samples per validation image during training "
                         "(0: --eval_iw_samples).", lower_bound=0, **fv)
    flags.DEFINE_integer("test_subset", 0, "Evaluate the test set on a strided subset of this many images "
                         "(0: all).", lower_bound=0, **fv)
    flags.DEFINE_integer("eval_rows_per_batch", 20000, "Rows (images x samples) per evaluation batch.",
                         lower_bound=1, **fv)
    flags.DEFINE_enum("prior_sampler", None, config_lib.PRIOR_SAMPLERS,
                      "Prior sampler: pa (population annealing), pcd or pt (parallel tempering). "
                      "Overrides --qupa.", **fv)
    flags.DEFINE_integer("num_prior_samples", 1000, "Prior samples per step for the log Z gradient.", lower_bound=1, **fv)
    flags.DEFINE_integer("num_prior_sweeps", 40, "MCMC sweeps per step of the prior sampler.", lower_bound=1, **fv)
    flags.DEFINE_integer("prior_ais_chains", 1024, "AIS chains for the prior's evaluation log Z.", lower_bound=1, **fv)
    flags.DEFINE_integer("prior_ais_temperatures", None, "AIS temperatures for the prior's log Z (default: "
                         "10,000 for DVAE##, 1,000 for DVAE#).", lower_bound=2, **fv)
    flags.DEFINE_float("prior_old_sweep_fraction", 0.9, "Population annealing: fraction of the sweeps of a step "
                       "run at the previous step's parameters, before reweighting (0.5: as many sweeps before as "
                       "after).",
                       lower_bound=0.0, upper_bound=0.99, **fv)
    flags.DEFINE_integer("prior_reanneal_every", 1000, "Restart the prior's training sampler every this many steps "
                         "by population annealing from the uniform distribution (0: never). Population annealing "
                         "only: PCD (--qupa=False) keeps its chains for the whole run.", lower_bound=0, **fv)
    flags.DEFINE_integer("prior_reanneal_temperatures", 1000, "Temperatures of that annealing run.", lower_bound=2,
                         **fv)
    flags.DEFINE_enum("gi_scale_gradient", "legacy", list(SCALE_GRADIENTS),
                      "dvaes_gi: the gradient of a posterior sample zeta w.r.t. the component scale s. legacy: "
                      "the DVAE# code's, which centres the components at 0 and 1 and so is off by delta / s; "
                      "exact: the implicit derivative with the shift delta.", **fv)
    flags.DEFINE_integer("num_gibbs_sweeps", 10, "s: hard Gibbs sweeps of the posterior chains per step.",
                         lower_bound=1, **fv)
    flags.DEFINE_integer("num_relaxed_sweeps", 1, "t: relaxed Gibbs sweeps carrying the gradient.", lower_bound=1, **fv)
    flags.DEFINE_integer("posterior_ais_temperatures", 500, "AIS temperatures per posterior RBM in evaluation.",
                         lower_bound=2, **fv)
    flags.DEFINE_integer("num_hidden_units", 200, "Units per hidden layer of every network.", lower_bound=1, **fv)
    flags.DEFINE_integer("summary_every", None, "Write training summaries every this many steps (default: 1000, "
                         "the legacy cadence).", lower_bound=1, **fv)
    flags.DEFINE_bool("xla", True, "Compile the training step with XLA (jit_compile).", **fv)
    flags.DEFINE_float("checkpoint_every_secs", 600, "Write the `latest` checkpoint (what --resume restores) this "
                       "often, in seconds, besides at every validation (0: off).", lower_bound=0, **fv)
    flags.DEFINE_integer("checkpoint_every_steps", 0, "Also write `latest` every this many steps (0: off).",
                         lower_bound=0, **fv)
    flags.DEFINE_bool("check_numerics", False, "Check every operation for NaN/inf and name the first one that makes "
                      "any (slow; tf.debugging.enable_check_numerics; use with --xla=False).", **fv)
    flags.DEFINE_enum("distribution_strategy", "default", config_lib.DISTRIBUTION_STRATEGIES,
                      "tf.distribute strategy: default (one device), mirrored (data-parallel over all local GPUs, "
                      "or --num_gpus of them; over the logical CPU devices when there is no GPU), "
                      "multi_worker_mirrored (the workers named in TF_CONFIG). The global batch is --batch_size.",
                      **fv)
    flags.DEFINE_integer("num_gpus", None, "mirrored: use the first this many GPUs (default: all).", lower_bound=1,
                         **fv)
    flags.DEFINE_integer("num_cpu_devices", 1, "Split the CPU into this many logical devices (to run mirrored "
                         "without GPUs).", lower_bound=1, **fv)
    flags.DEFINE_bool("resume", False, "Continue the run found in the run directory from its latest checkpoint.", **fv)


def define_import_tf1_flags(flag_values=FLAGS):
    """Every flag of main.py plus python -m dvae_tf2.tools.import_tf1's own --checkpoint."""
    define_flags(flag_values)
    flags.DEFINE_string("checkpoint", None, "Legacy TF1 run directory (or checkpoint prefix) whose tf.train.Saver "
                        "checkpoint to import; give the legacy flags of that run too.", required=True,
                        flag_values=flag_values)


def resolve_codebase(f=FLAGS):
    """The code base a command means (see --codebase); ValueError for a mix of the two flag families."""
    sharp = [f"--{name}" for name in dvae_sharp.FAMILY if f[name].present]
    sharpsharp = [f"--{name}" for name in dvae_sharpsharp.FAMILY if f[name].present]
    if sharp and sharpsharp:
        raise ValueError(f"{', '.join(sharp)} (DVAE# code base) and {', '.join(sharpsharp)} (DVAE## code base) "
                         "cannot be mixed; use one family, or --codebase to choose")
    if f.codebase != "auto":
        other = sharpsharp if f.codebase == DVAE_SHARP else sharp
        if other:
            raise ValueError(f"{', '.join(other)} does not belong to --codebase={f.codebase}")
        return f.codebase
    if sharp or sharpsharp:
        return DVAE_SHARP if sharp else DVAE_SHARPSHARP
    candidates = codebases_of(f.baseline)
    if len(candidates) == 1:
        return candidates[0]
    chosen = DVAE_SHARP if f["qupa"].present or f["beta"].present else DVAE_SHARPSHARP
    logging.info("--baseline=%s exists in both code bases; using %s (pass --codebase to choose)", f.baseline, chosen)
    return chosen


# Config fields whose flag has another (legacy) name.
FLAG_OF_FIELD = {"num_groups": "L", "jit_compile": "xla"}
# Fields whose value combines several flags (config_from_flags); flags that are no Config field.
COMBINED_FIELDS = ("codebase", "dataset", "batch_size", "eval_rows_per_batch", "prior_sampler")
NOT_CONFIG_FLAGS = ("dateset", "train_batchsize", "eval_batchsize", "qupa", "resume", "checkpoint")


def config_from_flags(f=FLAGS):
    """Builds and validates the Config; raises ValueError naming a bad flag and its valid values.

    Every Config field with a flag of its name (or its FLAG_OF_FIELD name) takes the flag's value; the
    COMBINED_FIELDS are worked out from their legacy spellings below.
    """
    codebase = resolve_codebase(f)
    if f["batch_size"].present and f.train_batchsize is not None:
        raise ValueError("--batch_size and --train_batchsize name the same setting; give one")
    dataset = f.dataset
    if f.dateset is not None:
        logging.warning("--dateset is a misspelling kept for the legacy README; use --dataset.")
        if f.dateset not in DATASETS:
            raise ValueError(f"--dateset={f.dateset!r} is invalid; valid values: {', '.join(DATASETS)}")
        dataset = f.dateset
    fields = {field.name: f[FLAG_OF_FIELD.get(field.name, field.name)].value
              for field in dataclasses.fields(config_lib.Config)
              if field.name not in COMBINED_FIELDS and FLAG_OF_FIELD.get(field.name, field.name) in f}
    config = config_lib.Config(
        codebase=codebase, dataset=dataset, batch_size=f.train_batchsize or f.batch_size,
        eval_rows_per_batch=100 * f.eval_batchsize if f.eval_batchsize else f.eval_rows_per_batch,
        prior_sampler=f.prior_sampler or ("pa" if f.qupa else "pcd"), **fields)
    return config.validate()
