"""Legacy flags that both code bases' run.py define (same names, defaults and meaning)."""
from absl import flags

from dvae_tf2.baselines import all_baseline_names
from dvae_tf2.data.catalog import DATASETS


def define(flag_values):
    fv = dict(flag_values=flag_values)
    flags.DEFINE_string("data_dir", "./data", "Directory holding (or receiving) the datasets.", **fv)
    flags.DEFINE_string("log_dir", "./logs", "Root of the run directories (checkpoints, TensorBoard, results).", **fv)
    flags.DEFINE_enum("dataset", "binarized_mnist", DATASETS, "Dataset.", **fv)
    flags.DEFINE_enum("baseline", "dvaes_power", all_baseline_names(),
                      "DVAE##: dvaes_power, pwl_relax, gsm_relax, rbm_post; DVAE#: dvae_spike_exp, dvaepp_exp, "
                      "dvaepp_power, dvaes_gi, dvaes_gauss, dvaes_exp, dvaes_unexp, dvaes_power.", **fv)
    flags.DEFINE_integer("k", 1, "Samples per example in training; k > 1 trains the importance-weighted bound "
                         "(DVAE and DVAE++ average the k samples' ELBOs instead).", lower_bound=1, **fv)
    flags.DEFINE_integer("num_train_iter", 1000000, "Number of training steps.", lower_bound=1, **fv)
    flags.DEFINE_integer("eval_iw_samples", 4000, "Importance samples per image in the final evaluation.",
                         lower_bound=1, **fv)
    flags.DEFINE_bool("qupa", True, "Prior sampler: True = population annealing (the QuPA replacement), "
                      "False = PCD.", **fv)
    flags.DEFINE_float("beta", None, "Inverse temperature of the relaxation or smoothing (default: the legacy "
                       "value of the baseline, dataset and, for DVAE#, struct).", **fv)
    flags.DEFINE_float("base_lr", None, "Base learning rate (default 3e-3; 3e-4 for struct).", **fv)
    flags.DEFINE_bool("deterministic", False, "Bitwise-reproducible runs: a run resumed with --resume, or a rerun "
                      "with the same flags on the same machine, repeats every number of an uninterrupted one "
                      "(tf.config.experimental.enable_op_determinism for the whole process). Cost: none measurable "
                      "on CPU (steps/s ratio 1.0 +- 0.1 with and without, with and without --xla).", **fv)
