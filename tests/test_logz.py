"""python -m dvae_tf2.tools.logz: JSON on good files, exit status 2 and a one-line reason on malformed ones."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from dvae_tf2.tools import logz
from dvae_tf2.samplers import exact

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "dvae_tf2.tools.logz", *args], cwd=_REPO, capture_output=True,
                          text=True, timeout=120)


def test_good_file_prints_json_near_the_exact_log_z(tmp_path):
    rs = np.random.RandomState(0)
    b1, b2, w = rs.randn(10), rs.randn(12), rs.randn(10, 12)
    np.savez(tmp_path / "rbm.npz", b1=b1, b2=b2, w=w)
    done = run_cli("--rbm", str(tmp_path / "rbm.npz"), "--chains", "512", "--temperatures", "500", "--method", "pa")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    want = exact.exact_log_z((b1[None], b2[None], w[None]))[0]
    assert abs(report["log_z"] - want) < max(4 * report["stderr"], 0.02) + 0.03
    assert report["exact_log_z"] == pytest.approx(want, abs=1e-4)
    assert report["seconds"] > 0 and (report["n1"], report["n2"], report["chains"]) == (10, 12, 512)


def write(path, **arrays):
    np.savez(path, **arrays)
    return str(path)


MALFORMED = {
    "missing_w": (lambda p: write(p / "a.npz", b1=np.zeros(3), b2=np.zeros(4)), "missing key(s) w"),
    "rank": (lambda p: write(p / "a.npz", b1=np.zeros((3, 1)), b2=np.zeros(4), w=np.zeros((3, 4))), "b1 has shape"),
    "mismatch": (lambda p: write(p / "a.npz", b1=np.zeros(3), b2=np.zeros(4), w=np.zeros((4, 3))), "w has shape"),
    "nan": (lambda p: write(p / "a.npz", b1=np.zeros(3), b2=np.full(4, np.nan), w=np.zeros((3, 4))), "b2 contains NaN"),
    "inf": (lambda p: write(p / "a.npz", b1=np.zeros(3), b2=np.zeros(4), w=np.full((3, 4), np.inf)),
            "w contains NaN or inf"),
    "strings": (lambda p: write(p / "a.npz", b1=np.array(["a"]), b2=np.zeros(4), w=np.zeros((1, 4))), "b1 has dtype"),
    "npy": (lambda p: (np.save(p / "a.npy", np.zeros(3)), str(p / "a.npy"))[1], "not an .npz archive"),
    "text": (lambda p: ((p / "a.npz").write_text("hello"), str(p / "a.npz"))[1], "cannot read as .npz"),
    "absent": (lambda p: str(p / "absent.npz"), "No such file"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_file_exits_2_with_a_reason(case, tmp_path, capsys):
    make, reason = MALFORMED[case]
    path = make(tmp_path)
    assert logz.main(["--rbm", path]) == 2
    err = capsys.readouterr().err
    assert reason in err and "b1 (n1,), b2 (n2,), w (n1, n2)" in err and len(err.strip().splitlines()) == 1


def test_malformed_file_from_the_command_line(tmp_path):
    done = run_cli("--rbm", write(tmp_path / "a.npz", b1=np.zeros(3), b2=np.zeros(4)))
    assert done.returncode == 2 and "missing key(s) w" in done.stderr and "Traceback" not in done.stderr
