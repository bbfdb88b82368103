"""compare --tf1_log_dir: our runs beside legacy TF1 runs whose event files the test writes in TF1's format."""
import json
import os

import numpy as np
import pytest

from dvae_tf2.baselines import DVAE_SHARP
from dvae_tf2.tools import compare, tf1_runs
from tests.test_compare import _rows, _write_run
from tests.tf1_legacy import legacy_evaluation_events, write_tf1_events

SHARPSHARP_RUN = os.path.join("binarized_mnist", "vae", "200", "pwl_relax", "1", "1")
SHARP_RUN = os.path.join("binarized_mnist", "2-layer-nonlin", "dvaes_power", "1")


@pytest.fixture
def dirs(tmp_path):
    """Ours: pwl_relax (two seeds), rbm_post and a DVAE# dvaes_power run. TF1: a finished DVAE## pwl_relax run, a
    finished DVAE# dvaes_power run, an unfinished rbm_post run, one with a corrupt event file, one still before
    its first evaluation, and a finished gsm_relax run of which we have no run."""
    ours, legacy = tmp_path / "ours", tmp_path / "legacy"
    _write_run(ours, "pwl_relax", 1, [90.0, 91.0, 92.0, 95.0])
    _write_run(ours, "pwl_relax", 2, [90.5, 91.5, 92.5, 95.5])
    _write_run(ours, "rbm_post", 1, [89.0, 91.0, 91.0, 93.0])
    _write_run(ours, "dvaes_power", 1, [80.0, 82.0], codebase=DVAE_SHARP, struct="2-layer-nonlin")
    write_tf1_events(legacy / SHARPSHARP_RUN, [(1000, {"obj/kl": 20.0})] +
                     legacy_evaluation_events([95.0, 88.0, 89.0], 84.70))
    write_tf1_events(legacy / SHARP_RUN, legacy_evaluation_events([86.0, 83.0], 81.25, codebase_copies=False))
    rbm = legacy / "binarized_mnist" / "vae" / "200" / "rbm_post" / "1" / "1"
    write_tf1_events(rbm, legacy_evaluation_events([97.0, 91.5], None, finished=False))
    corrupt = legacy / "omniglot" / "vae" / "200" / "pwl_relax" / "1" / "1"
    corrupt.mkdir(parents=True)
    (corrupt / "events.out.tfevents.1.host").write_bytes(b"\x00not a record" * 3)
    write_tf1_events(legacy / "omniglot" / "vae" / "200" / "pwl_relax" / "2" / "1", [(1000, {"obj/kl": 3.0})])
    write_tf1_events(legacy / "binarized_mnist" / "vae" / "400" / "gsm_relax" / "2" / "1",
                     legacy_evaluation_events([99.0], 98.0))
    return ours, legacy


def test_reads_the_final_test_and_the_state_of_every_legacy_run(dirs):
    runs = {run.path: run for run in tf1_runs.find_runs(dirs[1])}
    assert len(runs) == 6
    pwl = runs[SHARPSHARP_RUN]
    assert (pwl.status, pwl.steps, pwl.best_val_neg_ll) == ("finished", 60000, 88.0)   # TF1 wrote float32
    assert (pwl.test_neg_ll, pwl.test_neg_elbo) == pytest.approx((84.70, 89.70)) and pwl.config["num_latents"] == 200
    sharp = runs[SHARP_RUN]
    assert (sharp.status, sharp.steps, sharp.test_neg_ll) == ("finished", 40000, 81.25)   # exact in float32
    assert sharp.config == {"codebase": DVAE_SHARP, "dataset": "binarized_mnist", "experiment": "vae",
                            "struct": "2-layer-nonlin", "num_latents": 400, "baseline": "dvaes_power",
                            "num_groups": 2, "k": 1}
    rbm = runs[os.path.join("binarized_mnist", "vae", "200", "rbm_post", "1", "1")]
    assert (rbm.status, rbm.steps, rbm.test_neg_ll) == ("unfinished", 40000, None)
    assert "last after 40000 steps (val NLL 91.50)" in rbm.problem
    corrupt = runs[os.path.join("omniglot", "vae", "200", "pwl_relax", "1", "1")]
    assert corrupt.status == "unreadable" and "no readable TF1 event file" in corrupt.problem
    early = runs[os.path.join("omniglot", "vae", "200", "pwl_relax", "2", "1")]
    assert early.status == "unfinished" and "up to step 1000, no evaluation yet" in early.problem


def test_paths_outside_both_layouts_are_reported(tmp_path):
    write_tf1_events(tmp_path / "binarized_mnist" / "vae" / "200" / "no_such_baseline" / "1" / "1",
                     legacy_evaluation_events([90.0], 89.0))
    (run,) = tf1_runs.find_runs(tmp_path)
    assert run.status == "unreadable" and "neither legacy layout" in run.problem
    assert tf1_runs.parse_layout(["omniglot", "struct", "200", "rbm_post", "1", "25"])["experiment"] == "struct"
    assert tf1_runs.parse_layout(["omniglot", "3-layer", "dvaes_power", "1"]) is None


def test_markdown_puts_each_run_beside_its_tf1_run_and_notes_the_rest(dirs, capsys):
    ours, legacy = dirs
    assert compare.main([f"--log_dir={ours}", f"--tf1_log_dir={legacy}"]) == 0
    out = capsys.readouterr().out
    rows = {(r[3], r[6]): r for r in _rows(out, "Beside the TF1 runs")}
    assert len(rows) == 4
    se = np.std([90.0, 91.0, 92.0, 95.0], ddof=1) / 2
    assert rows[("pwl_relax", "1")][7:] == ["20000", f"92.00 ± {se:.2f}", "60000", "84.70", f"7.30 ± {se:.2f}",
                                            "84.62 ± 0.05 (Table 1)", "7.38"]
    assert rows[("pwl_relax", "2")][10:12] == ["84.70", f"7.80 ± {se:.2f}"]
    sharp = rows[("dvaes_power", "1")]
    assert sharp[1] == "2-layer-nonlin" and sharp[9:12] == ["40000", "81.25", "-0.25 ± 1.00"]   # s.e. of [80, 82]
    assert sharp[12:] == ["—", "—"]   # the papers' tables hold DVAE## numbers only
    assert rows[("rbm_post", "1")][9:12] == ["—", "—", "—"]
    notes = [line[2:] for line in out.splitlines() if line.startswith("- ")]
    assert len(notes) == 5
    assert any(n.startswith("TF1 binarized_mnist/vae/200/rbm_post/1/1: unfinished: 2 evaluations") for n in notes)
    assert any(n.startswith("TF1 omniglot/vae/200/pwl_relax/1/1: unreadable") for n in notes)
    assert any(n.startswith("TF1 omniglot/vae/200/pwl_relax/2/1: unfinished") for n in notes)
    assert "ours binarized_mnist/vae/200/rbm_post/1/1-seed1: no finished TF1 run of this configuration" in notes
    assert "TF1 binarized_mnist/vae/400/gsm_relax/2/1: no run of ours of this configuration" in notes


def test_json_and_csv_carry_the_tf1_table_and_notes(dirs, capsys):
    ours, legacy = dirs
    assert compare.main([f"--log_dir={ours}", f"--tf1_log_dir={legacy}", "--format=json"]) == 0
    report = json.loads(capsys.readouterr().out)
    row = next(r for r in report["beside_tf1"] if r["baseline"] == "pwl_relax" and r["seed"] == 2)
    assert row["tf1_run"] == SHARPSHARP_RUN and row["tf1_difference"] == pytest.approx(92.5 - 84.70)
    assert len(report["tf1_notes"]) == 5 and len(report["runs"]) == 4
    assert compare.main([f"--log_dir={ours}", f"--tf1_log_dir={legacy}", "--format=csv"]) == 0
    sections = capsys.readouterr().out.split("\n\n")
    assert [s.split(",")[0] for s in sections] == ["table"] * len(sections)
    assert sections[-1].count("\ntf1_notes,") == 5
    assert compare.main([f"--log_dir={ours}", f"--tf1_log_dir={legacy / 'absent'}"]) == 2
    assert "--tf1_log_dir" in capsys.readouterr().err
