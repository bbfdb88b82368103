"""Benchmarks the RBM samplers and prints one JSON object.

python bench/samplers.py [--quick]

Gibbs sweeps/s and spin updates/s (1000 chains; 100+100 and 200+200 units) beside the bare two
matmuls a sweep contains; prior AIS (1024 chains x 10,000 temperatures, 100+100); batched posterior
AIS (100 RBMs x 4000 chains, 100+100), timed over fewer temperatures and extrapolated to 500.
"""
import argparse
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import tensorflow as tf  # noqa: E402

from bench.common import best_seconds, random_params  # noqa: E402
from dvae_tf2.samplers import ais, gibbs, kernels  # noqa: E402


def gibbs_benchmark(num_vars, num_chains, num_sweeps, repeats):
    """Sweeps/s of compiled hard Gibbs vs the same loop of bare matmuls, for a num_vars + num_vars RBM."""
    params = random_params(1, num_vars, num_vars)
    rng = tf.random.Generator.from_seed(0)
    z1 = gibbs.hashed_bernoulli_sample(tf.zeros([1, num_chains, num_vars]), rng)
    sweeps = tf.function(lambda p, z: kernels.hard_gibbs_sweeps(p, z, num_sweeps, rng), jit_compile=True)

    @tf.function(jit_compile=True)
    def matmuls(w, x):
        def body(i, x):
            return i + 1, tf.linalg.matmul(tf.linalg.matmul(x, w), w, transpose_b=True)
        return tf.while_loop(lambda i, _: i < num_sweeps, body, (tf.constant(0), x))[1]

    sweep_seconds = best_seconds(lambda: sweeps(params, z1), repeats) / num_sweeps
    matmul_seconds = best_seconds(lambda: matmuls(params.w, z1), repeats) / num_sweeps
    return {"units": f"{num_vars}+{num_vars}", "chains": num_chains, "sweeps_per_s": 1.0 / sweep_seconds,
            "spin_updates_per_s": num_chains * 2 * num_vars / sweep_seconds,
            "sweep_ms": 1e3 * sweep_seconds, "two_matmuls_ms": 1e3 * matmul_seconds,
            "overhead_ratio": sweep_seconds / matmul_seconds}


def ais_benchmark(batch, num_chains, num_temperatures, num_vars, method="ais"):
    """Seconds of annealed_log_z after a compile warm-up at the same shapes (M is a traced tensor)."""
    params = random_params(batch, num_vars, num_vars)
    rng = tf.random.Generator.from_seed(0)
    ais.annealed_log_z(params, num_chains, 2, rng, method=method).log_z.numpy()  # compiles
    start = time.perf_counter()
    ais.annealed_log_z(params, num_chains, num_temperatures, rng, method=method).log_z.numpy()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer sweeps/temperatures (a smoke run)")
    args = parser.parse_args()
    num_sweeps, repeats = (50, 2) if args.quick else (500, 5)
    prior_temperatures = 1000 if args.quick else 10000
    post_batch, post_temperatures = (10, 5) if args.quick else (100, 20)
    post_seconds = ais_benchmark(post_batch, 4000, post_temperatures, 100)
    report = {
        "device": "GPU" if tf.config.list_physical_devices("GPU") else "CPU",
        "threads": os.cpu_count(),
        "gibbs": [gibbs_benchmark(n, 1000, num_sweeps, repeats) for n in (100, 200)],
        "prior_ais": {"rbms": 1, "chains": 1024, "temperatures": prior_temperatures, "units": "100+100",
                      "seconds": ais_benchmark(1, 1024, prior_temperatures, 100)},
        "posterior_ais": {"rbms": post_batch, "chains": 4000, "units": "100+100",
                          "measured_temperatures": post_temperatures, "seconds": post_seconds,
                          "extrapolated_seconds_500_temperatures": post_seconds * 499 / (post_temperatures - 1)},
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
