"""Estimates log Z of an RBM stored as .npz (b1 (n1,), b2 (n2,), w (n1, n2)) and prints JSON.

python -m dvae_tf2.tools.logz --rbm FILE.npz [--method ais|pa] [--chains N] [--temperatures M] [--seed S]
"""
import argparse
import json
import sys
import time
import zipfile

import numpy as np

from dvae_tf2.runtime import quiet_start

EXPECTED_FORMAT = "expected an .npz archive with finite real arrays b1 (n1,), b2 (n2,), w (n1, n2)"


def load_rbm(path):
    """(b1, b2, w) float32 from an .npz file; ValueError naming the problem if it is malformed."""
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(f"cannot read as .npz ({type(error).__name__}: {error})") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError("not an .npz archive (a single .npy array?)")
    with archive:
        missing = [k for k in ("b1", "b2", "w") if k not in archive.files]
        if missing:
            raise ValueError(f"missing key(s) {', '.join(missing)} (found: {', '.join(archive.files) or 'none'})")
        try:
            arrays = {k: archive[k] for k in ("b1", "b2", "w")}
        except ValueError as error:
            raise ValueError(f"unreadable array ({error})") from None
    for key, rank in (("b1", 1), ("b2", 1), ("w", 2)):
        array = arrays[key]
        if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
            raise ValueError(f"{key} has dtype {array.dtype}, not real numbers")
        if array.ndim != rank:
            raise ValueError(f"{key} has shape {array.shape}, rank {array.ndim} instead of {rank}")
        if array.size == 0:
            raise ValueError(f"{key} is empty")
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{key} contains NaN or inf")
    b1, b2, w = arrays["b1"], arrays["b2"], arrays["w"]
    if w.shape != (b1.shape[0], b2.shape[0]):
        raise ValueError(f"w has shape {w.shape} but b1, b2 give (n1, n2) = ({b1.shape[0]}, {b2.shape[0]})")
    return tuple(a.astype(np.float32) for a in (b1, b2, w))


def _parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m dvae_tf2.tools.logz", description=__doc__.splitlines()[0])
    parser.add_argument("--rbm", required=True, help="FILE.npz with b1 (n1,), b2 (n2,), w (n1, n2)")
    parser.add_argument("--method", choices=("ais", "pa"), default="ais")
    parser.add_argument("--chains", type=int, default=1024)
    parser.add_argument("--temperatures", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.chains < 2 or args.temperatures < 2:
        parser.error("--chains and --temperatures must be >= 2")
    return args


def main(argv=None):
    args = _parse_args(argv)
    try:
        b1, b2, w = load_rbm(args.rbm)
    except ValueError as error:
        print(f"error: {args.rbm}: {error}; {EXPECTED_FORMAT}", file=sys.stderr)
        return 2
    quiet_start.quiet_tensorflow()
    import tensorflow as tf  # deferred: malformed input fails fast without loading TensorFlow
    from dvae_tf2.model import rbm
    from dvae_tf2.runtime import devices
    from dvae_tf2.samplers import ais, exact

    devices.log_devices()

    params = rbm.RBMParams(b1[None], b2[None], w[None])
    start = time.perf_counter()
    result = ais.annealed_log_z(params, args.chains, args.temperatures, tf.random.Generator.from_seed(args.seed),
                                method=args.method)
    log_z = float(result.log_z[0])
    report = {"log_z": log_z, "stderr": float(result.log_z_stderr[0]),
              "seconds": time.perf_counter() - start, "n1": int(b1.shape[0]), "n2": int(b2.shape[0]),
              "method": args.method, "chains": args.chains, "temperatures": args.temperatures, "seed": args.seed}
    if min(b1.shape[0], b2.shape[0]) <= exact.MAX_ENUMERATED_UNITS:
        report["exact_log_z"] = float(exact.exact_log_z(params)[0])  # brute force over the smaller side
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
