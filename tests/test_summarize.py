"""The results table: one row per finished run, sorted, with clear errors."""
import json
import os

from dvae_tf2.tools import summarize


def _write_result(log_dir, baseline, test_neg_ll, run_suffix=""):
    run_dir = os.path.join(log_dir, "binarized_mnist", "vae", "200", baseline, "1", "1" + run_suffix)
    os.makedirs(run_dir)
    result = {"config": {"dataset": "binarized_mnist", "experiment": "vae", "num_latents": 200, "baseline": baseline,
                         "num_groups": 1, "k": 1, "run_suffix": run_suffix},
              "steps": 20000, "best_step": 20000, "test_neg_ll": test_neg_ll, "test_neg_elbo": test_neg_ll + 7.25,
              "val_neg_ll": test_neg_ll + 1.0, "test_images": 2000, "eval_iw_samples": 1000, "prior_log_z": 50.5,
              "steps_per_s": 40.0, "wall_time_s": 600.0, "test_eval_seconds": 90.0}
    with open(os.path.join(run_dir, "results.json"), "w") as f:
        json.dump(result, f)


def test_table_has_a_row_per_run_in_the_requested_order(tmp_path, capsys):
    _write_result(tmp_path, "pwl_relax", 92.5)
    _write_result(tmp_path, "rbm_post", 91.25)
    assert summarize.main([f"--log_dir={tmp_path}", "--sort=test_neg_ll"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4 and lines[0].startswith("| dataset |")
    assert "| rbm_post |" in lines[2] and "| 91.25 | 98.50 | 92.25 | 2000 x 1000 |" in lines[2]
    assert "| pwl_relax |" in lines[3] and "| 10.0 min | 1.5 min |" in lines[3]
    assert summarize.main([f"--log_dir={tmp_path}"]) == 0
    assert "| pwl_relax |" in capsys.readouterr().out.splitlines()[2]   # path order


def test_run_suffix_tells_runs_of_one_configuration_apart(tmp_path, capsys):
    _write_result(tmp_path, "pwl_relax", 92.5)
    _write_result(tmp_path, "pwl_relax", 92.0, run_suffix="seed2")
    assert summarize.main([f"--log_dir={tmp_path}", "--sort=test_neg_ll"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("| run suffix |")
    assert lines[2].endswith("| seed2 |") and lines[3].endswith("| - |")


def test_missing_or_broken_results_are_reported(tmp_path, capsys):
    assert summarize.main([f"--log_dir={tmp_path / 'absent'}"]) == 2
    assert "is not a directory" in capsys.readouterr().err
    assert summarize.main([f"--log_dir={tmp_path}"]) == 2
    assert "no results.json" in capsys.readouterr().err
    (tmp_path / "results.json").write_text("{truncated")
    assert summarize.main([f"--log_dir={tmp_path}"]) == 2
    assert "is not valid JSON" in capsys.readouterr().err
    (tmp_path / "results.json").write_text("{}")
    assert summarize.main([f"--log_dir={tmp_path}"]) == 2
    assert "lacks the field" in capsys.readouterr().err
