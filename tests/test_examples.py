"""The examples run as a user would run them, from outside the checkout, and do what they print."""
import os
import re
import subprocess
import sys

import pytest

from tests.cli_runs import REPO, user_environment


@pytest.mark.slow   # trains 60 steps and runs AIS: ~25 s on a loaded machine
def test_rbm_prior_vae_trains_a_keras_vae_and_reports_an_iw_nll(shared_data_dir, tmp_path):
    env = user_environment(PYTHONPATH=REPO, DVAE_DATA_DIR=shared_data_dir)
    result = subprocess.run([sys.executable, os.path.join(REPO, "examples", "rbm_prior_vae.py"), "--steps=60",
                             "--print_every=20", "--test_images=200", "--iw_samples=20", "--ais_temperatures=200"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    objectives = [float(v) for v in re.findall(r"^step \d+: train -ELBO ([\d.]+)", out, re.M)]
    assert len(objectives) == 3, out
    assert objectives[-1] < objectives[0] - 5, out     # the objective goes down
    # log-mean-exp >= mean of the same log weights (Jensen): the IW NLL is at most the -ELBO of its samples; both
    # below 784 log 2 = 543 nats, a decoder that ignores the data.
    neg_elbo, neg_ll = map(float, re.search(r"^test -ELBO ([\d.]+), NLL ([\d.]+)", out, re.M).groups())
    assert 0 < neg_ll <= neg_elbo < 543, out
    assert "Traceback" not in result.stderr
