"""python -m dvae_tf2.tools.reproduce: the tables' cells, the grid's commands (print, slurm), run-directory states,
the local launcher, and a tiny grid run, interrupted and rerun end to end."""
import dataclasses
import json
import os
import shlex
import signal
import sys
import threading
import time

import numpy as np
import pytest

from dvae_tf2.tools import compare, curves, published, reproduce

CELLS_200 = "binarized_mnist/vae/200/*/1/1"   # DVAE## Table 1's first row: the four baselines at L = 1


def _raw_published():
    with open(published.DEFAULT_PATH) as f:
        return json.load(f)


def test_tables_1_to_3_hold_every_printed_cell_with_its_number():
    raw = _raw_published()
    for table, count in ((1, 40), (2, 48), (3, 24)):
        cells = published.PublishedResults().run_cells(table)
        expected = {f"{c['dataset']}/{c['experiment']}/{c['num_latents']}/{c['baseline']}/{c['L'] or 1}/{c['k']}":
                    "n/a" if c["mean"] is None else f"{c['mean']:.2f} ± {c['sd']:.2f}"
                    for c in raw["cells"] if c["table"] == table}
        assert len(cells) == len(expected) == count
        assert {cell.name: cell.published for cell in cells} == \
            {name: (f"Table {table}: {text}",) for name, text in expected.items()}
    first_row = reproduce.select_cells(published.PublishedResults().run_cells(1), CELLS_200)
    assert [(c.baseline, c.L) for c in first_row] == [("dvaes_power", 1), ("gsm_relax", 1), ("pwl_relax", 1),
                                                      ("rbm_post", 1)]


def test_every_cell_of_every_table_is_a_dvae_sharpsharp_run_main_py_accepts(tmp_path):
    for table in published.TABLES:
        cells = published.PublishedResults().run_cells(table)
        for run in reproduce.grid_runs(cells, 1, str(tmp_path), str(tmp_path), 1000, []):
            cell, config = run.cell, run.config
            assert (config.codebase, config.dataset, config.experiment, config.num_latents, config.baseline,
                    config.num_groups, config.k, config.seed, config.run_suffix) == \
                ("dvae_sharpsharp", cell.dataset, cell.experiment, cell.num_latents, cell.baseline, cell.L, cell.k,
                 1, "seed1")
            assert run.run_dir == os.path.join(str(tmp_path), *cell.name.split("/")[:-1], f"{cell.k}-seed1")


def test_table_4_runs_are_the_settings_whose_best_it_quotes():
    """Each Table 4 number of the DVAE## authors' implementation is the lowest of its cells in Tables 1-2, or
    lower than all of them only where one of them is n/a (the paper's number then comes from that cell)."""
    cells = published.PublishedResults().run_cells(4)
    assert len(cells) == 16 and {c.num_latents for c in cells} == {400}
    raw = _raw_published()
    by_entry = {}
    for cell in cells:
        for text in cell.published:
            by_entry.setdefault(text, []).append(cell)
    assert len(by_entry) == 8   # DVAE## x 4 columns, GumBolt and DVAE# x the 2 columns they print
    for text, entry_cells in by_entry.items():
        value = float(text.split(": ")[1].split(" (")[0])
        means = [c["mean"] for c in raw["cells"] for run in entry_cells if c["table"] <= 2 and
                 (c["dataset"], c["experiment"], c["num_latents"], c["baseline"], c["L"] or 1, c["k"]) ==
                 (run.dataset, run.experiment, run.num_latents, run.baseline, run.L, run.k)]
        printed = [m for m in means if m is not None]
        assert value == min(printed) or (value < min(printed) and None in means), (text, means)
    gumbolt_mnist = [c.name for c in cells if c.baseline == "gsm_relax" and c.dataset == "binarized_mnist"]
    assert gumbolt_mnist == [f"binarized_mnist/vae/400/gsm_relax/{L}/1" for L in (1, 2, 4)]


def test_bad_requests_fail_with_one_error_line(tmp_path, capsys):
    cases = [(["--table=dvae_sharpsharp/5"], "valid values: dvae_sharpsharp/1, dvae_sharpsharp/2"),
             (["--table=dvae_sharp/1"], "--table=dvae_sharp/1 is invalid"),
             (["--cells=omniglot/vae/999/*"], "matches no cell of the table"),
             (["--k=5"], "--k is set by the grid"),
             (["--seed=3"], "--seed is set by the grid"),   # not taken for --seeds
             (["--noresume"], "--resume is set by the grid"),
             (["--bogus=1"], "Unknown command line flag 'bogus'"),
             (["--eval_iw_samples=0"], "eval_iw_samples"),
             (["--seeds=0"], "--seeds=0 must be a positive integer"),
             (["stray"], "unexpected argument 'stray'")]
    for extra, fragment in cases:
        argv = ["--table=dvae_sharpsharp/1", f"--log_dir={tmp_path}", "--launcher=print", *extra]
        assert reproduce.main(argv) == 2, extra
        err = capsys.readouterr().err.strip().splitlines()
        assert err[-1].startswith("error: ") and fragment in err[-1], (extra, err[-1])


def _grid_argv(log_dir, data_dir, *extra):
    return ["--table=dvae_sharpsharp/1", f"--log_dir={log_dir}", f"--data_dir={data_dir}", f"--cells={CELLS_200}",
            "--seeds=2", "--num_train_iter=500", "--eval_iw_samples=5", *extra]


def _expected_command(log_dir, data_dir, baseline, seed, resume=False):
    return [sys.executable, "-m", reproduce.TRAIN_MODULE, f"--log_dir={log_dir}", f"--data_dir={data_dir}",
            "--dataset=binarized_mnist", "--experiment=vae", "--num_latents=200", f"--baseline={baseline}", "--L=1",
            "--k=1", "--num_train_iter=500", f"--seed={seed}", f"--run_suffix=seed{seed}", "--eval_iw_samples=5",
            *(["--resume"] if resume else [])]


def _printed(line):
    """The run's argv of a print-launcher line, which first changes to the directory the package imports from."""
    words = shlex.split(line)
    assert words[:3] == ["cd", reproduce.IMPORT_ROOT, "&&"], line
    return words[3:]


def _runs(log_dir, data_dir):
    cells = reproduce.select_cells(published.PublishedResults().run_cells(1), CELLS_200)
    return reproduce.grid_runs(cells, 2, str(log_dir), str(data_dir), 500, ["--eval_iw_samples=5"])


def _fake_finished(run):
    os.makedirs(run.run_dir)
    with open(os.path.join(run.run_dir, "config.json"), "w") as f:
        json.dump(dataclasses.asdict(run.config), f)
    with open(os.path.join(run.run_dir, "results.json"), "w") as f:
        json.dump({"config": dataclasses.asdict(run.config)}, f)


def _fake_interrupted(run, config=None):
    """config.json and a `latest` checkpoint index as a killed run leaves them (the reader checks the .index)."""
    latest = os.path.join(run.run_dir, "checkpoints", "latest")
    os.makedirs(latest)
    with open(os.path.join(run.run_dir, "config.json"), "w") as f:
        json.dump(dataclasses.asdict(config or run.config), f)
    with open(os.path.join(latest, "checkpoint"), "w") as f:
        f.write('model_checkpoint_path: "ckpt-200"\nall_model_checkpoint_paths: "ckpt-200"\n')
    open(os.path.join(latest, "ckpt-200.index"), "w").close()


def test_print_writes_one_command_per_remaining_run(tmp_path, capsys, caplog):
    log_dir, data_dir = tmp_path / "logs", tmp_path / "data"
    assert reproduce.main(_grid_argv(log_dir, data_dir, "--launcher=print")) == 0
    lines = capsys.readouterr().out.splitlines()
    expected = [_expected_command(log_dir, data_dir, baseline, seed)
                for baseline in ("dvaes_power", "gsm_relax", "pwl_relax", "rbm_post") for seed in (1, 2)]
    assert [_printed(line) for line in lines] == expected
    runs = _runs(log_dir, data_dir)
    assert [run.run_dir for run in runs] == [
        os.path.join(str(log_dir), "binarized_mnist", "vae", "200", b, "1", f"1-seed{s}")
        for b in ("dvaes_power", "gsm_relax", "pwl_relax", "rbm_post") for s in (1, 2)]
    _fake_finished(runs[0])
    _fake_interrupted(runs[3])
    # A run directory killed before its first checkpoint holds config.json only: it starts again.
    os.makedirs(runs[5].run_dir)
    with open(os.path.join(runs[5].run_dir, "config.json"), "w") as f:
        json.dump(dataclasses.asdict(runs[5].config), f)
    assert [reproduce.run_state(run) for run in runs[:6]] == [reproduce.DONE, reproduce.NEW, reproduce.NEW,
                                                             reproduce.RESUME, reproduce.NEW, reproduce.NEW]
    assert reproduce.main(_grid_argv(log_dir, data_dir, "--launcher=print")) == 0
    captured = capsys.readouterr()
    assert [_printed(line) for line in captured.out.splitlines()] == \
        expected[1:3] + [_expected_command(log_dir, data_dir, "gsm_relax", 2, resume=True)] + expected[4:]
    assert "8 runs; 1 finished, 1 interrupted (resumed), 6 new" in caplog.text


def test_slurm_writes_an_array_script_of_the_same_commands(tmp_path, capsys, caplog):
    log_dir, data_dir = tmp_path / "logs", tmp_path / "data"
    assert reproduce.main(_grid_argv(log_dir, data_dir, "--launcher=print")) == 0
    commands = [reproduce.shell_line(_printed(line)) for line in capsys.readouterr().out.splitlines()]
    assert reproduce.main(_grid_argv(log_dir, data_dir, "--launcher=slurm", "--jobs=3")) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:4] == ["#!/bin/bash", "#SBATCH --job-name=dvae_sharpsharp_table1", "#SBATCH --array=0-7%3",
                         "#SBATCH --cpus-per-task=2"]
    assert all(line.startswith("# ") for line in lines[4:7])
    assert lines[7:10] == ["set -euo pipefail", f"cd {shlex.quote(reproduce.IMPORT_ROOT)}",
                           'case "$SLURM_ARRAY_TASK_ID" in']
    assert lines[10:18] == [f"  {i}) {command} ;;" for i, command in enumerate(commands)]
    assert lines[18:] == ['  *) echo "no run for array task $SLURM_ARRAY_TASK_ID" >&2; exit 2 ;;', "esac"]
    for run in _runs(log_dir, data_dir):
        _fake_finished(run)
    assert reproduce.main(_grid_argv(log_dir, data_dir, "--launcher=slurm")) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "every run has finished: no script" in caplog.text


def test_a_run_directory_of_another_configuration_is_refused(tmp_path, capsys):
    log_dir, data_dir = tmp_path / "logs", tmp_path / "data"
    runs = _runs(log_dir, data_dir)
    other = dataclasses.replace(runs[2].config, eval_iw_samples=6, num_hidden_units=50)
    _fake_interrupted(runs[2], config=other)
    assert reproduce.main(_grid_argv(log_dir, data_dir, "--launcher=local")) == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith(f"error: {runs[2].run_dir} holds another configuration")
    assert "num_hidden_units: saved 50 vs requested 200" in error and "eval_iw_samples: saved 6 vs requested 5" in error
    assert not os.path.exists(runs[0].run_dir)   # nothing ran
    # Where the runs live and how often they save are not their configuration: a moved grid is the same one.
    moved = dataclasses.replace(runs[2].config, log_dir="/elsewhere", data_dir="/data", checkpoint_every_secs=60.0)
    with open(os.path.join(runs[2].run_dir, "config.json"), "w") as f:
        json.dump(dataclasses.asdict(moved), f)
    assert reproduce.run_state(runs[2]) == reproduce.RESUME


def _fake_grid(tmp_path, scripts):
    """LocalGrid entries running `python -c script` in place of main.py, one per script."""
    runs = _runs(tmp_path / "logs", tmp_path / "data")
    return [(run, [sys.executable, "-c", script]) for run, script in zip(runs, scripts)]


def test_local_grid_runs_jobs_at_a_time_and_reports_failures(tmp_path):
    stamps = tmp_path / "stamps"
    stamps.mkdir()
    script = ("import os, sys, time; p = sys.argv[0]; t0 = time.time(); time.sleep(0.4); "
              f"open(os.path.join({str(stamps)!r}, str(os.getpid())), 'w').write(f'{{t0}} {{time.time()}}')")
    todo = _fake_grid(tmp_path, [script] * 4 + ["raise SystemExit(3)"])
    grid = reproduce.LocalGrid(todo, jobs=2, skipped=3, poll_secs=0.05)
    assert grid.progress_line().startswith("grid: 3/8 done (3 finished before), 0 running, 5 left")
    grid.run()
    assert sorted(run.label for run in grid.finished) == sorted(run.label for run, _ in todo[:4])
    assert [(run.label, status) for run, status in grid.failed] == [(todo[4][0].label, 3)]
    assert grid.progress_line().startswith("grid: 7/8 done (3 finished before), 1 failed, 0 running, 0 left")
    intervals = [tuple(map(float, p.read_text().split())) for p in stamps.iterdir()]
    assert len(intervals) == 4
    most_at_once = max(sum(a <= t < b for a, b in intervals) for t, _ in intervals)
    assert most_at_once == 2   # two at a time, never more
    log = open(os.path.join(todo[0][0].run_dir, reproduce.MAIN_LOG)).read()
    assert log.startswith("$ " + reproduce.shell_line(todo[0][1]))


def test_a_stop_signal_reaches_every_running_run_once(tmp_path):
    marks = tmp_path / "marks"
    marks.mkdir()
    script = ("import os, signal, sys, time\n"
              "def stop(signum, frame):\n"
              f"    mark = os.path.join({str(marks)!r}, str(os.getpid()))\n"
              "    open(mark, 'a').write(signal.Signals(signum).name + ' ')\n"
              "    sys.exit(128 + signum)\n"
              "signal.signal(signal.SIGTERM, stop)\n"
              "time.sleep(30)\n")
    grid = reproduce.LocalGrid(_fake_grid(tmp_path, [script] * 3), jobs=2, skipped=0, poll_secs=0.05)
    handler_before = signal.getsignal(signal.SIGINT)   # SIG_IGN in a pytest-xdist worker
    threading.Timer(1.5, os.kill, (os.getpid(), signal.SIGINT)).start()
    start = time.monotonic()
    with pytest.raises(reproduce.GridStopped):
        grid.run()
    assert time.monotonic() - start < 10
    assert sorted(p.read_text() for p in marks.iterdir()) == ["SIGTERM ", "SIGTERM "]   # the third never started
    assert signal.getsignal(signal.SIGINT) is handler_before


TINY_FLAGS = ("--num_hidden_units=8", "--num_prior_samples=16", "--num_prior_sweeps=1", "--prior_ais_chains=16",
              "--prior_ais_temperatures=20", "--posterior_ais_temperatures=5", "--eval_iw_samples=4",
              "--val_stride=500", "--test_subset=20", "--eval_every=10", "--xla=False")


@pytest.mark.slow
def test_tiny_grid_runs_an_interrupted_grid_to_the_end_and_reports_it(tmp_path, shared_data_dir, capsys, caplog):
    from dvae_tf2.data import datasets
    from dvae_tf2.training import Trainer

    log_dir, pattern = tmp_path / "logs", "binarized_mnist/vae/200/pwl_relax/[12]/1"
    argv = ["--table=dvae_sharpsharp/1", f"--log_dir={log_dir}", f"--data_dir={shared_data_dir}", f"--cells={pattern}",
            "--seeds=2", "--num_train_iter=30", "--jobs=2", *TINY_FLAGS]
    cells = reproduce.select_cells(published.PublishedResults().run_cells(1), pattern)
    runs = reproduce.grid_runs(cells, 2, str(log_dir), shared_data_dir, 30, list(TINY_FLAGS))
    assert [r.label for r in runs] == [f"binarized_mnist/vae/200/pwl_relax/{L}/1 seed {s}" for L in (1, 2)
                                       for s in (1, 2)]
    interrupted = runs[3]   # L = 2, seed 2: stopped after its step-10 checkpoint, as a killed run is
    splits = datasets.load_dataset("binarized_mnist", shared_data_dir)
    assert Trainer(interrupted.config, splits).train(until_step=10) is None
    capsys.readouterr()
    caplog.clear()

    assert reproduce.main(argv) == 0
    log, stdout = caplog.text, capsys.readouterr().out
    assert "4 runs; 0 finished, 1 interrupted (resumed), 3 new" in log
    assert log.count("started ") == 4 and f"started {interrupted.label} (resuming)" in log
    assert "grid: 4/4 done (0 finished before), 0 running, 0 left" in log
    resumed_log = open(os.path.join(interrupted.run_dir, reproduce.MAIN_LOG)).read()
    assert resumed_log.splitlines()[0].endswith(" --resume") and "Resumed from" in resumed_log
    results = [json.load(open(os.path.join(run.run_dir, "results.json"))) for run in runs]
    assert [r["steps"] for r in results] == [30] * 4 and [r["config"]["seed"] for r in results] == [1, 2, 1, 2]
    assert curves.scalar_series(interrupted.run_dir, curves.VALIDATION_TAG)[0].tolist() == [10, 20, 30]

    md_path, csv_path, png_path = reproduce.report_paths(str(log_dir), 1)
    markdown = open(md_path).read()
    assert markdown.startswith("# dvae_sharpsharp Table 1: 4 of 4 runs finished")
    seed_rows = [line for line in markdown.split("## Seeds")[1].split("## Paired")[0].splitlines()
                 if line.startswith("| binarized_mnist")]
    assert len(seed_rows) == 2
    for L, row in zip((1, 2), seed_rows):
        neg_ll = [r["test_neg_ll"] for r in results if r["config"]["num_groups"] == L]
        cell = [c.strip() for c in row.strip("|").split("|")]
        assert cell[4] == str(L) and cell[7] == "1 2"
        assert cell[9] == f"{np.mean(neg_ll):.2f} ± {np.std(neg_ll, ddof=1):.2f}"
        assert cell[10] == ("84.62 ± 0.05 (Table 1)" if L == 1 else "84.50 ± 0.07 (Table 1)")
    assert "pwl_relax L=1 seed 1 | pwl_relax L=1 seed 2" in markdown   # paired differences between the seeds
    assert markdown.split("\n", 2)[2] in stdout
    sections = open(csv_path).read().split("\n\n")
    assert [s.splitlines()[1].split(",")[0] for s in sections] == ["runs", "seed_groups", "paired_differences"]
    assert open(png_path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"

    caplog.clear()
    assert reproduce.main(argv) == 0
    assert "4 runs; 4 finished, 0 interrupted (resumed), 0 new" in caplog.text and "started " not in caplog.text
    assert open(md_path).read() == markdown



def test_table_4_takes_the_best_cell_over_L_of_each_number(tmp_path, capsys):
    cells = reproduce.select_cells(published.PublishedResults().run_cells(4),
                                   "binarized_mnist/vae/400/gsm_relax/[14]/1,binarized_mnist/vae/400/rbm_post/1/1")
    runs = reproduce.grid_runs(cells, 2, str(tmp_path), str(tmp_path), 1000, [])
    neg_ll = {("gsm_relax", 1): [83.5, 83.7], ("gsm_relax", 4): [83.2, 83.4], ("rbm_post", 1): [82.9]}
    for run in runs:
        values = neg_ll[(run.cell.baseline, run.cell.L)]
        if run.seed <= len(values):   # rbm_post: one seed finished
            os.makedirs(run.run_dir)
            with open(os.path.join(run.run_dir, "results.json"), "w") as f:
                json.dump({"config": dataclasses.asdict(run.config), "steps": 1000,
                           "test_neg_ll": values[run.seed - 1]}, f)
    rows = reproduce.table_4_rows(compare.load_runs(str(tmp_path)), published.PublishedResults())
    assert [(r["method"], r["column"]) for r in rows] == [("GumBolt (DVAE## authors' implementation)", "VAE MNIST"),
                                                         ("DVAE##", "VAE MNIST")]
    gumbolt, dvae_sharpsharp = rows
    assert gumbolt["best"] == "binarized_mnist/vae/400/gsm_relax/4/1" and gumbolt["cells_run"] == "2 of 3"
    assert gumbolt["test_neg_ll_mean"] == pytest.approx(83.3) and gumbolt["runs"] == 2
    assert gumbolt["test_neg_ll_sd"] == pytest.approx(np.std([83.2, 83.4], ddof=1))
    assert gumbolt["published"] == 83.04 and gumbolt["difference"] == pytest.approx(83.3 - 83.04)
    assert dvae_sharpsharp["cells_run"] == "1 of 1" and dvae_sharpsharp["difference"] == pytest.approx(82.9 - 82.75)

    md_path, csv_path, png_path = reproduce.report(runs, str(tmp_path), 4, published.PublishedResults())
    markdown = open(md_path).read()
    assert markdown.startswith("# dvae_sharpsharp Table 4: 5 of 6 runs finished")
    table_4 = markdown.split("## Table 4: the best cell")[1].splitlines()
    assert table_4[2].startswith("| method | column | cells run | best cell |")
    assert table_4[4] == ("| GumBolt (DVAE## authors' implementation) | VAE MNIST | 2 of 3 | "
                          f"binarized_mnist/vae/400/gsm_relax/4/1 | 2 | 83.30 ± {np.std([83.2, 83.4], ddof=1):.2f} | "
                          "83.04 | 0.26 |")
    assert table_4[5] == ("| DVAE## | VAE MNIST | 1 of 1 | binarized_mnist/vae/400/rbm_post/1/1 | 1 | 82.90 ± — | "
                          "82.75 | 0.15 |")
    section = open(csv_path).read().split("\n\n")[-1].splitlines()
    header = section[0].split(",")
    assert header[:7] == ["table", "dataset", "experiment", "num_latents", "baseline", "L", "k"]
    best = dict(zip(header, section[1].split(",")))
    assert (best["table"], best["baseline"], best["L"], best["published"]) == ("table_4", "gsm_relax", "4", "83.04")
    assert open(png_path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
