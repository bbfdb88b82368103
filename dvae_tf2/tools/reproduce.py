"""Trains every cell of a published DVAE## table over several seeds, resumably, and compares the grid with the paper.

python -m dvae_tf2.tools.reproduce --table=dvae_sharpsharp/1 --log_dir=DIR --data_dir=DIR [--cells=PATTERNS]
    [--seeds=5] [--num_train_iter=N] [--jobs=2] [--launcher=local|print|slurm] [--list] [main.py flags ...]

A run is main.py with the cell's --dataset, --experiment, --num_latents, --baseline, --L, --k, with --seed=N and
--run_suffix=seedN (the legacy layout, <log_dir>/<cell>/<k>-seedN), plus every other main.py flag given here
(e.g. --eval_iw_samples=1000 --test_subset=2000). Before anything runs, each run directory is judged: finished
(results.json) runs are skipped, interrupted ones (a `latest` checkpoint) continue with --resume, and a directory
holding another configuration stops the whole grid with one error line naming it.

local: runs the grid --jobs at a time here, with one progress line for the grid, then prints compare's tables
for the grid's runs beside the paper and writes them (Markdown, CSV) with a figure of validation NLL against step
per cell. print: one main.py command per line, for any job-array system. slurm: an `sbatch --array` script of
the same commands. Rerun the same command (with the local launcher) to resume, or to get the report.
"""
import argparse
import collections
import dataclasses
import fnmatch
import math
import os
import shlex
import signal
import subprocess
import sys
import time

_USER_ENVIRONMENT = dict(os.environ)   # for the runs: main.py's quiet start judges the user's settings itself

from dvae_tf2.runtime import quiet_start  # noqa: E402

quiet_start.quiet_tensorflow(set_up_devices=False)  # before the imports below load TensorFlow

import tensorflow as tf  # noqa: E402
from absl import flags as absl_flags  # noqa: E402
from absl import logging  # noqa: E402

import flags as main_flags  # noqa: E402  (main.py's flag definitions: the runs' Config as main.py builds it)
from dvae_tf2.analysis import uncertainty  # noqa: E402
from dvae_tf2.runtime import atomic_io, progress  # noqa: E402
from dvae_tf2.config import Config  # noqa: E402
from dvae_tf2.tools import compare, curves, figures, summarize  # noqa: E402
from dvae_tf2.tools.published import CODEBASE, TABLES, PublishedResults, RunCell, run_key  # noqa: E402
from dvae_tf2.training import load_run_config  # noqa: E402

# The runs are `python -m TRAIN_MODULE` (main.py's code) started in IMPORT_ROOT, the directory dvae_tf2 and flags
# import from: the checkout, or site-packages when installed. Their paths are absolute, so the directory changes
# nothing else.
TRAIN_MODULE = "dvae_tf2.tools.train"
IMPORT_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAUNCHERS = ("local", "print", "slurm")
# main.py flags the grid sets itself (per cell and seed); given here they are refused.
GRID_FLAGS = ("dataset", "dateset", "experiment", "num_latents", "baseline", "L", "k", "seed", "run_suffix",
              "log_dir", "data_dir", "num_train_iter", "resume", "codebase", "struct")
DONE, RESUME, NEW = "finished", "interrupted", "new"
PROGRESS_EVERY_SECS = 60.0
STOP_WAIT_SECS = 300.0   # after forwarding a stop signal: a run finishes its step and writes `latest`
MAIN_LOG = "main.log"    # in each run directory: the run's output, appended over its sessions


class GridError(ValueError):
    """A bad request or a run directory the grid cannot use; the message says which and what to do."""


@dataclasses.dataclass(frozen=True)
class GridRun:
    """One run of the grid: its cell, seed, main.py flags, and the Config main.py builds from them."""
    cell: RunCell
    seed: int
    flags: tuple      # main.py flags (without --resume)
    config: Config

    @property
    def run_dir(self):
        return self.config.run_dir

    @property
    def label(self):
        return f"{self.cell.name} seed {self.seed}"


def parse_table(text):
    """'dvae_sharpsharp/N' -> N; GridError naming the valid tables otherwise."""
    valid = ", ".join(f"{CODEBASE}/{t}" for t in TABLES)
    codebase, _, number = text.partition("/")
    if codebase != CODEBASE or not number.isdigit() or int(number) not in TABLES:
        raise GridError(f"--table={text} is invalid; valid values: {valid}")
    return int(number)


def select_cells(cells, patterns):
    """The cells whose name matches one of the comma-separated glob patterns (all for None), in table order."""
    if patterns is None:
        return list(cells)
    wanted = [p.strip() for p in patterns.split(",") if p.strip()]
    for pattern in wanted:
        if not any(fnmatch.fnmatchcase(cell.name, pattern) for cell in cells):
            raise GridError(f"--cells pattern {pattern!r} matches no cell of the table; its cells are "
                            "<dataset>/<experiment>/<latents>/<baseline>/<L>/<k>, e.g. " + cells[0].name
                            + " (--list shows them all)")
    return [cell for cell in cells if any(fnmatch.fnmatchcase(cell.name, p) for p in wanted)]


def check_extra_flags(extra):
    """Refuses main.py flags the grid sets itself; bad names and values are main.py's parser's to judge."""
    for arg in extra:
        if not arg.startswith("--"):
            raise GridError(f"unexpected argument {arg!r}: main.py flags are passed as --name=value")
        name = arg[2:].split("=", 1)[0]
        owned = name if name in GRID_FLAGS else name[2:] if name.startswith("no") and name[2:] in GRID_FLAGS else None
        if owned is not None:
            raise GridError(f"--{owned} is set by the grid for every run (the table's cells, --seeds, --log_dir, "
                            "--data_dir, --num_train_iter); remove it")


def _parse_main_flags(main_argv):
    """main.py's flags (its own definitions) parsed from main_argv; absl's flags.Error for a bad one."""
    flag_values = absl_flags.FlagValues()
    main_flags.define_flags(flag_values)
    flag_values(["main.py", *main_argv])
    return flag_values


def grid_runs(cells, seeds, log_dir, data_dir, num_train_iter, extra):
    """A GridRun per cell and seed (cell-major, seeds 1..seeds), with the Config main.py builds from its flags."""
    check_extra_flags(extra)
    try:
        _parse_main_flags(extra)
    except absl_flags.Error as error:
        raise GridError(f"{error} (main.py --helpfull lists the flags passed to the runs)") from None
    runs = []
    for cell in cells:
        for seed in range(1, seeds + 1):
            flags = (f"--log_dir={log_dir}", f"--data_dir={data_dir}", f"--dataset={cell.dataset}",
                     f"--experiment={cell.experiment}", f"--num_latents={cell.num_latents}",
                     f"--baseline={cell.baseline}", f"--L={cell.L}", f"--k={cell.k}",
                     f"--num_train_iter={num_train_iter}", f"--seed={seed}", f"--run_suffix=seed{seed}", *extra)
            try:
                config = main_flags.config_from_flags(_parse_main_flags(flags))
            except (absl_flags.Error, ValueError) as error:
                raise GridError(f"main.py refuses the run of {cell.name} seed {seed}: {error}") from None
            runs.append(GridRun(cell, seed, flags, config))
    return runs


def _settings(config_dict):
    """The fields that change a run's numbers (compare's view: not where it lives or how often it saves)."""
    return {key: value for key, value in config_dict.items() if key not in compare.NOT_SETTINGS}


def run_state(run):
    """DONE, RESUME or NEW for the run's directory; GridError when it holds another configuration."""
    config_path = os.path.join(run.run_dir, "config.json")
    if os.path.exists(config_path):
        try:
            saved = _settings(dataclasses.asdict(load_run_config(run.run_dir)))
        except (TypeError, ValueError) as error:
            raise GridError(f"{config_path} is not a configuration this version reads ({error}); move the run "
                            "directory away or choose another --log_dir") from None
        wanted = _settings(dataclasses.asdict(run.config))
        differing = [f"{key}: saved {saved.get(key)!r} vs requested {wanted[key]!r}"
                     for key in wanted if saved.get(key) != wanted[key]]
        if differing:
            raise GridError(f"{run.run_dir} holds another configuration ({'; '.join(differing)}); rerun with the "
                            "flags it was started with, or choose another --log_dir")
    if os.path.exists(os.path.join(run.run_dir, "results.json")):
        return DONE
    if tf.train.latest_checkpoint(os.path.join(run.run_dir, "checkpoints", "latest")) is not None:
        return RESUME
    return NEW


def command(run, state, python=sys.executable):
    """The argv that trains the run from its state (RESUME adds --resume)."""
    return [python, "-m", TRAIN_MODULE, *run.flags, *(["--resume"] if state == RESUME else [])]


def shell_line(argv):
    return " ".join(shlex.quote(arg) for arg in argv)


def slurm_script(commands, jobs, job_name):
    """An `sbatch --array` script running commands[i] as array task i, at most `jobs` at a time."""
    lines = ["#!/bin/bash",
             f"#SBATCH --job-name={job_name}",
             f"#SBATCH --array=0-{len(commands) - 1}%{jobs}",
             "#SBATCH --cpus-per-task=2",
             "# One task per run; add your site's options (partition, time, GPUs) above.",
             "# When tasks stop early, rerun the reproduce command that wrote this script: it writes the",
             "# remaining runs, interrupted ones with --resume.",
             "set -euo pipefail",
             f"cd {shlex.quote(IMPORT_ROOT)}",
             'case "$SLURM_ARRAY_TASK_ID" in']
    lines += [f"  {i}) {shell_line(argv)} ;;" for i, argv in enumerate(commands)]
    lines += ['  *) echo "no run for array task $SLURM_ARRAY_TASK_ID" >&2; exit 2 ;;', "esac"]
    return "\n".join(lines)


class GridStopped(Exception):
    """SIGTERM or SIGINT reached the local launcher; its runs have been stopped."""

    def __init__(self, signum):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise_stop(signum, _frame):
    raise GridStopped(signum)


class LocalGrid:
    """Runs (GridRun, argv) pairs `jobs` at a time as subprocesses, logging one progress line for the grid."""

    def __init__(self, todo, jobs, skipped, poll_secs=1.0, progress_every_secs=PROGRESS_EVERY_SECS):
        self.pending = collections.deque(todo)
        self.jobs = jobs
        self.skipped = skipped
        self.total = len(todo)
        self.poll_secs = poll_secs
        self.progress_every_secs = progress_every_secs
        self.running = {}        # Popen -> (GridRun, log file)
        self.finished, self.failed = [], []
        self.start = time.monotonic()

    def _launch(self):
        run, argv = self.pending.popleft()
        os.makedirs(run.run_dir, exist_ok=True)
        log = open(os.path.join(run.run_dir, MAIN_LOG), "a")
        log.write(f"$ {shell_line(argv)}\n")
        log.flush()
        # Its own session: a Ctrl-C at the terminal reaches only this process, which forwards one SIGTERM
        # (a second signal would stop a run without its checkpoint).
        process = subprocess.Popen(argv, cwd=IMPORT_ROOT, stdout=log, stderr=subprocess.STDOUT, env=_USER_ENVIRONMENT,
                                   start_new_session=True)
        self.running[process] = (run, log)
        logging.info("started %s (%s)", run.label, "resuming" if "--resume" in argv else "new")

    def _reap(self):
        changed = False
        for process in [p for p in self.running if p.poll() is not None]:
            run, log = self.running.pop(process)
            log.close()
            changed = True
            if process.returncode == 0:
                self.finished.append(run)
            else:
                self.failed.append((run, process.returncode))
                logging.error("%s failed with exit status %d; its output: %s", run.label, process.returncode,
                              os.path.join(run.run_dir, MAIN_LOG))
        return changed

    def progress_line(self):
        done = len(self.finished) + len(self.failed)
        elapsed = time.monotonic() - self.start
        failed = f", {len(self.failed)} failed" if self.failed else ""
        return (f"grid: {len(self.finished) + self.skipped}/{self.total + self.skipped} done "
                f"({self.skipped} finished before){failed}, {len(self.running)} running, {len(self.pending)} left; "
                f"elapsed {progress.format_duration(elapsed)}, ETA {progress.eta(done, self.total, elapsed)}")

    def run(self):
        """Runs everything; on SIGTERM/SIGINT stops the runs (each writes its checkpoint) and raises GridStopped."""
        previous = {s: signal.signal(s, _raise_stop) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            last_line = -math.inf
            while self.pending or self.running:
                while self.pending and len(self.running) < self.jobs:
                    self._launch()
                    last_line = -math.inf
                if self._reap():
                    last_line = -math.inf
                    continue
                if time.monotonic() - last_line >= self.progress_every_secs:
                    logging.info("%s", self.progress_line())
                    last_line = time.monotonic()
                time.sleep(self.poll_secs)
            logging.info("%s", self.progress_line())
        except GridStopped as stop:
            self._stop_runs(stop)
            raise
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)

    def _stop_runs(self, stop):
        for s in (signal.SIGTERM, signal.SIGINT):
            signal.signal(s, signal.SIG_IGN)
        logging.warning("%s: stopping %d runs (each writes its checkpoint); rerun the same command to resume",
                        stop, len(self.running))
        for process in self.running:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_WAIT_SECS
        for process, (_, log) in self.running.items():
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 1.0))
            except subprocess.TimeoutExpired:
                process.kill()
            log.close()


def report_paths(log_dir, table):
    """(Markdown, CSV, PNG) paths of a table's report under log_dir."""
    stem = os.path.join(log_dir, f"reproduce_{CODEBASE}_table{table}")
    return stem + ".md", stem + ".csv", stem + "_validation.png"


def plot_cells(runs, path, published):
    """Validation NLL against step, one panel per cell with a line per seed (finished or not) and the paper's
    number dashed."""
    by_cell = collections.OrderedDict()
    for run in runs:
        by_cell.setdefault(run.cell.name, []).append(run)
    figure, panels = figures.new_figure(len(by_cell), panel_size=(5.0, 3.6), columns=min(len(by_cell), 4))
    for axes, (name, cell_runs) in zip(panels, by_cell.items()):
        for run in (r for r in cell_runs if os.path.isdir(r.run_dir)):   # never started: no curve
            steps, values = curves.scalar_series(run.run_dir, curves.VALIDATION_TAG)
            if len(steps):
                axes.plot(steps, values, marker="o", markersize=3, label=f"seed {run.seed}")
        paper = published.lookup_config(dataclasses.asdict(cell_runs[0].config))
        if paper is not None:
            axes.axhline(paper["mean"], color="black", linestyle="--", linewidth=1,
                         label=f"paper's test NLL {paper['mean']:.2f} (Table {paper['table']})")
        axes.set_title(name, fontsize=9)
        axes.set_xlabel("training step")
        axes.set_ylabel(f"{curves.VALIDATION_TAG} (nats)")
        axes.grid(alpha=0.3)
        if axes.lines:
            axes.legend(fontsize=7)
    figures.save_png(figure, path)


def _config_key(config):
    return (config["dataset"], config["experiment"], config["num_latents"], config["baseline"], config["num_groups"],
            config["k"])


def table_4_rows(found, published):
    """Per number Table 4 prints for the DVAE## authors' implementation: the best (lowest) seed mean of its cells
    (each L) among the finished runs, beside it; cells without runs are left out and counted."""
    neg_ll, configs = {}, {}
    for run in found:
        neg_ll.setdefault(_config_key(run.config), []).append(run.result["test_neg_ll"])
        configs.setdefault(_config_key(run.config), run.config)
    by_entry = {}
    for entry, cell in published.table_4_sources():
        cells = by_entry.setdefault((entry["method"], entry["column"], entry["value"]), [])
        if run_key(cell) not in cells:
            cells.append(run_key(cell))
    rows = []
    for (method, column, value), keys in by_entry.items():
        measured = [(uncertainty.mean_and_sd(neg_ll[key]), key) for key in keys if key in neg_ll]
        if not measured:
            continue
        (mean, sd), best = min(measured)
        rows.append({"config": configs[best], "method": method, "column": column, "published": value,
                     "cells_run": f"{len(measured)} of {len(keys)}", "best": "/".join(map(str, best)),
                     "runs": len(neg_ll[best]), "test_neg_ll_mean": mean, "test_neg_ll_sd": sd,
                     "difference": mean - value})
    return rows


TABLE_4_COLUMNS = (
    ("method", lambda r: r["method"]),
    ("column", lambda r: r["column"]),
    ("cells run", lambda r: r["cells_run"]),
    ("best cell", lambda r: r["best"]),
    ("runs", lambda r: str(r["runs"])),
    ("test NLL mean ± sd", lambda r: f"{r['test_neg_ll_mean']:.2f} ± "
                                     + ("—" if math.isnan(r["test_neg_ll_sd"]) else f"{r['test_neg_ll_sd']:.2f}")),
    ("published", lambda r: f"{r['published']:.2f}"),
    ("difference", lambda r: f"{r['difference']:.2f}"),
)


def _write_text(path, text):
    def write(tmp):
        with open(tmp, "w") as f:
            f.write(text)
    atomic_io.atomic_write(path, write)


def report(runs, log_dir, table, published):
    """Prints compare's tables for the grid's finished runs and writes them (Markdown, CSV) with the figure.

    Returns the paths written, or None when no run of the grid has finished."""
    wanted = {os.path.relpath(run.run_dir, log_dir) for run in runs}
    found = [run for run in compare.load_runs(log_dir) if run.path in wanted]
    if not found:
        logging.warning("no run of the grid has finished yet: no table")
        return None
    tables = compare.compare(found, published)
    markdown, csv_text = (compare.render(tables, published, fmt) for fmt in ("markdown", "csv"))
    if table == 4:
        rows = table_4_rows(found, published)
        if rows:
            markdown += ("\n\n## Table 4: the best cell of each number (lowest seed mean over L)\n\n"
                         + summarize.markdown_table(rows, TABLE_4_COLUMNS))
            csv_text += "\n\n" + compare.render({"table_4": rows}, published, "csv")
    md_path, csv_path, png_path = report_paths(log_dir, table)
    header = (f"# {CODEBASE} Table {table}: {len(found)} of {len(runs)} runs finished\n\n")
    for path, text in ((md_path, header + markdown), (csv_path, csv_text)):
        _write_text(path, text + "\n")
    plot_cells(runs, png_path, published)
    print(markdown)
    logging.info("wrote %s, %s, %s", md_path, csv_path, png_path)
    return md_path, csv_path, png_path


def list_cells(cells):
    lines = [f"{len(cells)} cells (run directory below --log_dir, without the seed) and the paper's numbers:"]
    lines += [f"{cell.name}  {'; '.join(cell.published)}" for cell in cells]
    return "\n".join(lines)


def _parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m dvae_tf2.tools.reproduce", description=__doc__.splitlines()[0],
                                     epilog="Other --flags are passed to every run of main.py.",
                                     allow_abbrev=False)   # --seed must not pass for --seeds
    parser.add_argument("--table", required=True,
                        help="the published table: " + ", ".join(f"{CODEBASE}/{t}" for t in TABLES))
    parser.add_argument("--log_dir", help="root of the run directories (main.py's --log_dir)")
    parser.add_argument("--data_dir", default="./data", help="main.py's --data_dir")
    parser.add_argument("--cells", default=None, help="comma-separated glob patterns of cell names "
                        "(<dataset>/<experiment>/<latents>/<baseline>/<L>/<k>); default: every cell")
    parser.add_argument("--seeds", type=int, default=5, help="seeds 1..N per cell (the paper: 5 runs)")
    parser.add_argument("--num_train_iter", type=int, default=compare.LEGACY_STEPS, help="training steps per run")
    parser.add_argument("--jobs", type=int, default=2, help="runs at a time (local; slurm: the array's limit)")
    parser.add_argument("--launcher", choices=LAUNCHERS, default="local", help="local: run here; print: one "
                        "command per line; slurm: an sbatch --array script")
    parser.add_argument("--list", action="store_true", help="list the table's cells and the paper's numbers")
    args, extra = parser.parse_known_args(argv)
    for name in ("seeds", "num_train_iter", "jobs"):
        if getattr(args, name) < 1:
            raise GridError(f"--{name}={getattr(args, name)} must be a positive integer")
    if not args.list and not args.log_dir:
        raise GridError("--log_dir is required (the root of the run directories)")
    return args, extra


def main(argv=None):
    logging.set_verbosity(logging.INFO)
    try:
        args, extra = _parse_args(sys.argv[1:] if argv is None else argv)
        table = parse_table(args.table)
        published = PublishedResults()
        cells = select_cells(published.run_cells(table), args.cells)
        if args.list:
            print(list_cells(cells))
            return 0
        log_dir, data_dir = os.path.abspath(args.log_dir), os.path.abspath(args.data_dir)
        runs = grid_runs(cells, args.seeds, log_dir, data_dir, args.num_train_iter, extra)
        states = [run_state(run) for run in runs]
    except GridError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    counts = collections.Counter(states)
    logging.info("%s Table %d: %d cells x %d seeds = %d runs; %d finished, %d interrupted (resumed), %d new",
                 CODEBASE, table, len(cells), args.seeds, len(runs), counts[DONE], counts[RESUME], counts[NEW])
    todo = [(run, command(run, state)) for run, state in zip(runs, states) if state != DONE]
    if args.launcher == "print":
        for _, argv in todo:
            print(f"cd {shlex.quote(IMPORT_ROOT)} && {shell_line(argv)}")
        return 0
    if args.launcher == "slurm":
        if todo:
            print(slurm_script([argv for _, argv in todo], args.jobs, f"{CODEBASE}_table{table}"))
        else:
            logging.info("every run has finished: no script")
        return 0
    grid = LocalGrid(todo, args.jobs, skipped=counts[DONE])
    try:
        grid.run()
    except GridStopped as stop:
        return 128 + stop.signum
    report(runs, log_dir, table, published)
    if grid.failed:
        logging.error("%d runs failed: %s", len(grid.failed), ", ".join(run.label for run, _ in grid.failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
