"""DVAE## Fig. 2 toy study: fit a 2-D Gaussian q to a 2-D Gaussian p by minimising KL(q‖p) with gradients
through t unrolled Gibbs sweeps of q (with and without the term I), REINFORCE and reparameterisation.

python -m dvae_tf2.tools.toy_gaussian [--plot=fig2_toy.png] [--iterations=300] [--repeats=4] [--seed=0]

Writes a PNG with three panels (KL against iteration, the target density, gradient variance along the
optimisation) and prints one JSON object {estimator: final KL} as its last line (KL averaged over the
independent repeats). Estimators: reinforce, reparam, gibbs_t<t> (without I) and gibbs_t<t>_I (with I).
"""
import argparse
import json
import sys
import time

import keras
import numpy as np
import tensorflow as tf

from dvae_tf2.analysis import gaussian_toy


def optimise(method, iterations, repeats, num_samples, learning_rate, seed, num_snapshots, persistent):
    """Adam on `repeats` independent copies of φ, all starting at q = N(0, I).

    With `persistent`, the Gibbs estimators start each update from where their chains ended at the previous
    one (Algorithm 1's persistent chains); otherwise from a fresh exact sample of q. Returns (KL [iterations, repeats] after each update, snapshot steps [num_snapshots],
    φ of the first copy at those steps [num_snapshots, 5]).
    """
    params = keras.Variable(np.tile(gaussian_toy.INITIAL_PARAMETERS, (repeats, 1)), dtype="float64")
    optimizer = keras.optimizers.Adam(learning_rate)
    optimizer.build([params])
    rng = tf.random.Generator.from_seed(seed)
    initial_q = gaussian_toy.q_distribution(params.value)
    chains = tf.Variable(initial_q.bijector.forward(rng.normal([num_samples, repeats, 2], dtype=gaussian_toy.DTYPE)))
    snapshot_steps = np.unique(np.linspace(0, iterations, num_snapshots).astype(int))

    @tf.function
    def run():
        kls = tf.TensorArray(gaussian_toy.DTYPE, size=iterations)
        snapshots = tf.TensorArray(gaussian_toy.DTYPE, size=len(snapshot_steps))
        for i in tf.range(iterations + 1):
            hit = tf.where(snapshot_steps == i)
            if tf.size(hit) > 0:
                snapshots = snapshots.write(tf.cast(hit[0, 0], tf.int32), params.value[0])
            if i < iterations:
                with tf.GradientTape() as tape:
                    losses, states = gaussian_toy.surrogate(params.value, method, num_samples, rng,
                                                            start=chains if persistent else None)
                    loss = tf.reduce_sum(tf.reduce_mean(losses, axis=0))
                chains.assign(states)
                optimizer.apply_gradients([(tape.gradient(loss, params.value), params)])
                kls = kls.write(i, gaussian_toy.exact_kl(params.value))
        return kls.stack(), snapshots.stack()

    kl, snapshots = run()
    return kl.numpy(), snapshot_steps, snapshots.numpy()


def variances(method, snapshots, num_samples, seed):
    """Total variance of one-sample gradient estimates at each snapshot φ [S, 5] -> [S]."""
    rng = tf.random.Generator.from_seed(seed)

    @tf.function
    def variance(params):
        return gaussian_toy.gradient_variance(params, method, num_samples, rng)

    return np.array([float(variance(tf.constant(p))) for p in snapshots])


def _style(method):
    kind, sweeps, with_i = gaussian_toy.parse_method(method)
    if kind != "gibbs":
        return {"color": "black" if kind == "reinforce" else "tab:gray", "linestyle": ":" if kind == "reinforce" else "-",
                "linewidth": 2}
    colors = {1: "tab:blue", 2: "tab:orange", 4: "tab:green", 8: "tab:red"}
    return {"color": colors.get(sweeps, "tab:purple"), "linestyle": "--" if with_i else "-", "linewidth": 1.2}


def plot(results, path):
    """results: {method: (kl [T, R], steps [S], variance [S])} -> three-panel PNG."""
    from dvae_tf2.tools import figures   # matplotlib only when a figure is asked for
    figure, (kl_axes, density_axes, variance_axes) = figures.new_figure(3)
    for method, (kl, steps, variance) in results.items():
        kl_axes.plot(np.arange(1, len(kl) + 1), kl.mean(axis=1), label=method, **_style(method))
        variance_axes.plot(steps, variance, marker=".", label=method, **_style(method))
    kl_axes.set(xlabel="iteration", ylabel="KL(q‖p) (nats)", yscale="log", title="KL, mean over repeats")
    kl_axes.legend(fontsize=6, ncol=2)
    variance_axes.set(xlabel="iteration", ylabel="total variance of one-sample gradient", yscale="log",
                      title="gradient variance (first repeat)")
    x, y, density = gaussian_toy.density_grid(gaussian_toy.target())
    density_axes.contourf(x, y, density, levels=12, cmap="Blues")
    start = gaussian_toy.q_distribution(tf.constant(gaussian_toy.INITIAL_PARAMETERS, gaussian_toy.DTYPE))
    density_axes.contour(x, y, gaussian_toy.density_grid(start)[2], levels=4, colors="gray", linestyles=":")
    density_axes.set(xlabel="z1", ylabel="z2", aspect="equal",
                     title="target p: μ=[1,1], Λ=[[1.1,0.9],[0.9,1.1]] (dotted: initial q)")
    density_axes.title.set_fontsize(8)
    figures.save_png(figure, path)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m dvae_tf2.tools.toy_gaussian", description=__doc__.splitlines()[0])
    parser.add_argument("--plot", default="fig2_toy.png", help="PNG file of the figure ('' for none)")
    parser.add_argument("--iterations", type=int, default=300, help="Adam updates per run")
    parser.add_argument("--repeats", type=int, default=4, help="independent runs per estimator (KL is averaged)")
    parser.add_argument("--samples", type=int, default=1, help="samples per gradient estimate")
    parser.add_argument("--learning_rate", type=float, default=0.01, help="Adam learning rate")
    parser.add_argument("--sweeps", default="1,2,4,8", help="comma-separated t of the Gibbs estimators")
    parser.add_argument("--variance_points", type=int, default=7, help="points of the gradient variance panel")
    parser.add_argument("--variance_samples", type=int, default=500, help="gradient samples per variance point")
    parser.add_argument("--start", choices=("persistent", "exact"), default="persistent",
                        help="Gibbs chains start where they ended at the previous update (as Algorithm 1) or from "
                             "a fresh exact sample of q")
    parser.add_argument("--seed", type=int, default=0, help="seed of every random stream")
    args = parser.parse_args(argv)
    try:
        sweeps = tuple(int(t) for t in args.sweeps.split(","))
    except ValueError:
        parser.error(f"--sweeps={args.sweeps!r} must be comma-separated positive integers, e.g. 1,2,4,8")
    for name in ("iterations", "repeats", "samples", "variance_points", "variance_samples"):
        if getattr(args, name) < 1:
            parser.error(f"--{name}={getattr(args, name)} must be a positive integer")
    if min(sweeps) < 1:
        parser.error(f"--sweeps={args.sweeps!r} must be comma-separated positive integers, e.g. 1,2,4,8")
    start = time.time()
    results = {}
    for index, method in enumerate(gaussian_toy.method_names(sweeps)):
        kl, steps, snapshots = optimise(method, args.iterations, args.repeats, args.samples, args.learning_rate,
                                        args.seed + index, args.variance_points, args.start == "persistent")
        results[method] = (kl, steps, variances(method, snapshots, args.variance_samples, args.seed + 1000 + index))
        print(f"{method}: final KL {kl[-1].mean():.4f} (sd over {args.repeats} repeats {kl[-1].std():.4f}), "
              f"gradient variance at start {results[method][2][0]:.3g}", file=sys.stderr)
    if args.plot:
        plot(results, args.plot)
        print(f"wrote {args.plot} ({time.time() - start:.0f} s)", file=sys.stderr)
    print(json.dumps({method: round(float(kl[-1].mean()), 6) for method, (kl, _, _) in results.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
