"""Legacy flags of the DVAE## code base (QuadrantAI/dvaess run.py); giving any selects DVAE##."""
from absl import flags

from dvae_tf2.config import EXPERIMENTS

FAMILY = ("L", "experiment", "num_latents")


def define(flag_values):
    fv = dict(flag_values=flag_values)
    flags.DEFINE_string("dateset", None, "Misspelled alias of --dataset kept so the legacy README example runs.", **fv)
    flags.DEFINE_integer("L", 1, "Number of latent groups of the directed posterior (1, 2 or 4; rbm_post: 1).", **fv)
    flags.DEFINE_enum("experiment", "vae", EXPERIMENTS,
                      "vae: generative model; struct: predict the bottom half of the image from the top half.", **fv)
    flags.DEFINE_integer("num_latents", 200, "Number of binary latent units (200 or 400 in the paper).",
                         lower_bound=2, **fv)
