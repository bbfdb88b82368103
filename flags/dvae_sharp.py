"""Legacy flags of the DVAE# code base (QuadrantAI/dvae run.py); giving any selects DVAE#."""
from absl import flags

from dvae_tf2.config import STRUCTS

FAMILY = ("struct", "train_batchsize", "eval_batchsize", "input_size")


def define(flag_values):
    fv = dict(flag_values=flag_values)
    flags.DEFINE_enum("struct", None, list(STRUCTS), "Encoder structure (default 2-layer-nonlin): groups x "
                      "latents, hidden layers of each group's encoder net and of the decoder.", **fv)
    flags.DEFINE_integer("train_batchsize", None, "Training batch size (DVAE# name of --batch_size).",
                         lower_bound=1, **fv)
    flags.DEFINE_integer("eval_batchsize", None, "Images per evaluation batch at the 100-sample evaluations "
                         "(sets --eval_rows_per_batch to 100 x this).", lower_bound=1, **fv)
    flags.DEFINE_integer("input_size", 784, "Pixels of a vectorised image (784 for both datasets).",
                         lower_bound=1, **fv)
