"""bench/train_step.py --quick runs and prints one JSON object with every baseline's step breakdown."""
import json

import pytest

from dvae_tf2.baselines import BASELINES, DVAE_SHARPSHARP
from tests.cli_runs import run_python

_STEP_KEYS = {"prior_samples", "prior_sweeps", "step_ms", "prior_sampling_ms", "step_given_prior_samples_ms",
              "posterior_draw_ms", "split_residual_ms"}
_AIS_KEYS = {"rbms", "chains", "units", "temperatures", "seconds", "ms_per_temperature", "two_batched_matmuls_ms",
             "overhead_ratio", "hard_gibbs_sweep_ms", "ratio_to_hard_gibbs_sweep"}


@pytest.mark.slow
def test_quick_run_prints_the_breakdown_of_every_baseline_and_the_posterior_ais():
    done = run_python(["bench/train_step.py", "--quick"], timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["quick"] is True
    assert set(report["train_step"]) == set(BASELINES[DVAE_SHARPSHARP])
    for baseline, settings in report["train_step"].items():
        assert set(settings) == {"legacy", "one_sweep"}, baseline
        assert settings["legacy"]["prior_sweeps"] > settings["one_sweep"]["prior_sweeps"] == 1
        for setting in settings.values():
            assert set(setting) == _STEP_KEYS, (baseline, setting)
            assert min(setting[k] for k in _STEP_KEYS if k.endswith("_ms") and k != "split_residual_ms") > 0
            parts = setting["prior_sampling_ms"] + setting["step_given_prior_samples_ms"] + setting["split_residual_ms"]
            assert parts == pytest.approx(setting["step_ms"])
    ais = report["posterior_ais"]
    assert set(ais) == _AIS_KEYS
    assert ais["overhead_ratio"] == pytest.approx(ais["ms_per_temperature"] / ais["two_batched_matmuls_ms"])
    assert ais["ratio_to_hard_gibbs_sweep"] == pytest.approx(ais["ms_per_temperature"] / ais["hard_gibbs_sweep_ms"])
