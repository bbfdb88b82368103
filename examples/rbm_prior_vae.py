"""dvae_tf2's RBM prior, a relaxation and a sampler inside your own small Keras VAE, trained by your own loop.

python examples/rbm_prior_vae.py [--steps=300] [--data_dir=DIR] [--num_latents=32] [--sampler=pa|pcd]

The VAE is plain Keras (an encoder and a decoder of Dense layers) trained with tf.GradientTape on binarized
MNIST; dvae_tf2 supplies
  * the prior p(z) = exp(-E(z)) / Z, an RBM over z = [z1, z2] (dvae_tf2.priors.RBMPrior);
  * the training sampler of that prior (population annealing or PCD), whose samples give the gradient of log Z;
  * the relaxation of q(z | x) (dvae_tf2.distributions.PWLRelaxedBernoulli), a reparameterised sample zeta
    in [0, 1] fed to the decoder;
  * AIS (dvae_tf2.samplers.ais) for log Z at the end, which the importance-weighted NLL estimate needs.
The objective per image is -ELBO = -log p(x | zeta) + KL(q || p), KL = E_q[E(z)] + log Z - H(q). For a factorial
q, z1 and z2 are independent, so E_q[E(z)] is the energy at the means q (exact) and H(q) is the Bernoulli entropy.
It prints the training -ELBO (mean over the last steps; log Z from the sampler's running estimate), then the test
-ELBO and NLL with discrete z ~ q and AIS's log Z.
"""
import argparse
import os
import sys
import time

from dvae_tf2.runtime import quiet_start

quiet_start.quiet_tensorflow()  # optional: TensorFlow's start-up lines on a CPU machine read as failures

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from dvae_tf2.analysis import uncertainty  # noqa: E402
from dvae_tf2.data import datasets  # noqa: E402
from dvae_tf2.model import objectives  # noqa: E402
from dvae_tf2.distributions import PWLRelaxedBernoulli  # noqa: E402
from dvae_tf2.priors import RBMPrior  # noqa: E402


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=300, help="training steps")
    parser.add_argument("--data_dir", default=os.environ.get("DVAE_DATA_DIR", "./data"),
                        help="binarized MNIST directory (downloaded there if absent; default $DVAE_DATA_DIR or ./data)")
    parser.add_argument("--num_latents", type=int, default=32, help="latent units, split evenly into z1 and z2")
    parser.add_argument("--hidden", type=int, default=200, help="hidden units of the encoder and the decoder")
    parser.add_argument("--batch_size", type=int, default=100)
    parser.add_argument("--learning_rate", type=float, default=3e-3)
    parser.add_argument("--beta", type=float, default=8.0, help="sharpness of the PWL relaxation")
    parser.add_argument("--sampler", choices=("pa", "pcd"), default="pa", help="training sampler of the prior")
    parser.add_argument("--prior_samples", type=int, default=500, help="chains of the training sampler")
    parser.add_argument("--prior_sweeps", type=int, default=20, help="Gibbs sweeps per step of the sampler")
    parser.add_argument("--ais_chains", type=int, default=500)
    parser.add_argument("--ais_temperatures", type=int, default=1000)
    parser.add_argument("--test_images", type=int, default=1000)
    parser.add_argument("--iw_samples", type=int, default=100, help="importance samples per test image")
    parser.add_argument("--print_every", type=int, default=None, help="steps per printed line (default steps/10)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.steps < 1 or args.num_latents < 2 or args.num_latents % 2:
        parser.error("--steps must be >= 1 and --num_latents an even number >= 2")
    return args


def dense_net(inputs, hidden, outputs, name):
    return keras.Sequential([keras.Input((inputs,)), keras.layers.Dense(hidden, activation="tanh"),
                             keras.layers.Dense(hidden, activation="tanh"), keras.layers.Dense(outputs)], name=name)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    keras.utils.set_random_seed(args.seed)
    splits = datasets.load_dataset("binarized_mnist", args.data_dir)
    n = args.num_latents
    encoder = dense_net(784, args.hidden, n, "encoder")
    decoder = dense_net(n, args.hidden, 784, "decoder")
    prior = RBMPrior(n // 2, n // 2, sampler=args.sampler, num_samples=args.prior_samples,
                     num_sweeps=args.prior_sweeps, seed=args.seed)
    variables = encoder.trainable_variables + decoder.trainable_variables + list(prior.variables_to_train)
    optimizer = keras.optimizers.Adam(args.learning_rate)
    rng = tf.random.Generator.from_seed(args.seed)
    train_mean = splits.train.mean(0)
    # The usual centring of the encoder input and the decoder's output bias at the data's log-odds.
    decoder.layers[-1].bias.assign(np.log(np.clip(train_mean, 1e-3, 1 - 1e-3) / np.clip(1 - train_mean, 1e-3, 1)))

    @tf.function
    def train_step(x):
        samples = prior.sample_for_training()   # model samples of p(z): the gradient of log Z
        with tf.GradientTape() as tape:
            logits = encoder(x - train_mean)
            zeta = PWLRelaxedBernoulli(logits, args.beta).sample_from_rng(rng)
            log_z = prior.log_z_surrogate(samples)
            kl = prior.energy(tf.sigmoid(logits)) + log_z - objectives.bernoulli_entropy(logits)
            loss = tf.reduce_mean(-objectives.bernoulli_log_prob(decoder(zeta), x) + kl)
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    print_every = args.print_every or max(1, args.steps // 10)
    order = np.random.default_rng(args.seed)
    start, window = time.time(), []
    for step in range(1, args.steps + 1):
        batch = splits.train[order.integers(0, len(splits.train), args.batch_size)]
        window.append(float(train_step(tf.constant(batch))))
        if step % print_every == 0 or step == args.steps:
            print(f"step {step}: train -ELBO {np.mean(window):.2f} (mean of the last {len(window)} steps; "
                  f"{time.time() - start:.0f} s)", flush=True)
            window = []

    refresh = prior.refresh_log_z(args.ais_chains, args.ais_temperatures, rng)
    print(f"AIS log Z {float(prior.log_z):.3f} +- {float(prior.log_z_stderr):.3f} "
          f"(the training sampler's running estimate was {float(refresh.sampler_bias.log_z_lag):+.3f} off; "
          "NaN for PCD, which keeps none)")
    neg_elbo, neg_ll = [], []
    for lo in range(0, min(args.test_images, len(splits.test)), args.batch_size):
        x = tf.constant(splits.test[lo:lo + args.batch_size])
        logits = encoder(x - train_mean)
        # Discrete z ~ q(z | x) [K, N, n]; log w = log p(x | z) - E(z) - log Z - log q(z | x).
        z = tf.cast(rng.uniform([args.iw_samples, *logits.shape]) < tf.sigmoid(logits), tf.float32)
        log_q = objectives.bernoulli_log_prob(logits, z)
        log_px = objectives.bernoulli_log_prob(tf.reshape(decoder(tf.reshape(z, [-1, n])), z.shape[:2] + [784]), x)
        log_w = log_px - prior.energy(z) - prior.log_z - log_q
        neg_elbo.append(-tf.reduce_mean(log_w, 0).numpy())
        neg_ll.append(-objectives.log_mean_exp(log_w, axis=0).numpy())
    neg_elbo, neg_ll = np.concatenate(neg_elbo), np.concatenate(neg_ll)
    print(f"test -ELBO {neg_elbo.mean():.2f}, NLL {neg_ll.mean():.2f} +- {uncertainty.standard_error(neg_ll):.2f} "
          f"({args.iw_samples} importance samples, {len(neg_ll)} test images, AIS log Z)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
