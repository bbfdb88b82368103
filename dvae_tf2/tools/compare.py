"""Puts the finished runs under a log directory beside the published DVAE## numbers, with uncertainties.

python -m dvae_tf2.tools.compare --log_dir=./runs [--tf1_log_dir=./legacy_logs] [--format=markdown|csv|json]
    [--plot=FILE.png]

Three tables: every run (test NLL ± its standard error over the test images, the published number of the
same configuration and the difference); runs of one configuration with different seeds (mean ± sd);
paired per-image differences between runs that differ only in baseline or seed and were evaluated on the
same test images (from each run's test_log_likelihoods.npy). With --tf1_log_dir, a fourth: every run beside
the legacy TF1 run of the same configuration (read from its TF1 event files, see tf1_runs) and the published
number, with one note per TF1 run that is missing, unfinished or unreadable.
"""
import argparse
import csv
import dataclasses
import io
import itertools
import json
import math
import os
import sys
import typing

import numpy as np

from dvae_tf2.analysis import uncertainty
from dvae_tf2.tools import summarize, tf1_runs
from dvae_tf2.tools.published import PublishedResults

LEGACY_STEPS = 1_000_000
LOG_LIKELIHOODS_FILE = "test_log_likelihoods.npy"
FORMATS = ("markdown", "csv", "json")
DASH = "—"
# Config fields that do not change a run's numbers, those that tell seeds apart, and those that follow the baseline.
NOT_SETTINGS = ("log_dir", "data_dir", "eval_rows_per_batch", "jit_compile", "summary_every", "checkpoint_every_secs",
                "checkpoint_every_steps", "check_numerics", "distribution_strategy", "num_gpus", "num_cpu_devices")
SEED_FIELDS = ("seed", "run_suffix")
BASELINE_FIELDS = ("baseline", "beta")    # beta's default depends on the baseline
# How often a run validated: which checkpoint was tested, not the model trained. Paired runs may differ in it.
CADENCE_FIELDS = ("eval_every",)
# (output name, config field) of the configuration columns in CSV and JSON.
FLAT_CONFIG = (("dataset", "dataset"), ("experiment", "experiment"), ("num_latents", "num_latents"),
               ("baseline", "baseline"), ("L", "num_groups"), ("k", "k"))


@dataclasses.dataclass
class Run:
    """One finished run: its directory (relative to --log_dir), results.json, per-image log-likelihoods [M]."""
    path: str
    result: dict
    log_likelihoods: typing.Optional[np.ndarray]

    @property
    def config(self):
        return self.result["config"]

    @property
    def label(self):
        return f"{self.config['baseline']} L={self.config['num_groups']} seed {self.config.get('seed', '?')}"

    @property
    def test_images_id(self):
        """Identifies the test images: their digest, or for older runs the subset size and image count."""
        return self.result.get("test_images_digest") or (self.config.get("test_subset"), self.result.get("test_images"))

    @property
    def neg_ll_stderr(self):
        if self.result.get("test_neg_ll_stderr") is not None:
            return self.result["test_neg_ll_stderr"]
        return None if self.log_likelihoods is None else uncertainty.standard_error(self.log_likelihoods)


def _config_defaults():
    """Config's field defaults: what a run saved before a field existed used (as resume assumes too)."""
    from dvae_tf2.config import Config   # imports TensorFlow; only here
    return {f.name: f.default for f in dataclasses.fields(Config) if f.default is not dataclasses.MISSING}


def load_runs(log_dir):
    """Every finished run under log_dir, in path order; raises ValueError for unreadable files.

    Configurations saved by older versions get the fields they lack at their defaults.
    """
    runs, defaults = [], _config_defaults()
    for path, result in summarize.find_results(log_dir):
        result = {**result, "config": {**defaults, **result["config"]}}
        run_dir = os.path.dirname(path)
        npy = os.path.join(run_dir, LOG_LIKELIHOODS_FILE)
        log_likelihoods = None
        if os.path.exists(npy):
            try:
                log_likelihoods = np.load(npy).astype(np.float64)
            except (ValueError, OSError) as error:
                raise ValueError(f"{npy} is not a readable .npy file ({error})") from None
            if log_likelihoods.shape != (result.get("test_images", len(log_likelihoods)),):
                raise ValueError(f"{npy} holds shape {log_likelihoods.shape}, but results.json says "
                                 f"{result.get('test_images')} test images")
        runs.append(Run(os.path.relpath(run_dir, log_dir), result, log_likelihoods))
    return runs


def _group(runs, ignored):
    """Runs grouped by everything that matters except the `ignored` config fields, in first-seen order."""
    groups = {}
    for run in runs:
        setting = {k: v for k, v in run.config.items() if k not in NOT_SETTINGS + ignored}
        key = (json.dumps(setting, sort_keys=True), json.dumps(run.test_images_id))
        groups.setdefault(key, []).append(run)
    return list(groups.values())


def _published_fields(published, config, neg_ll):
    cell = published.lookup_config(config)
    return {"published_neg_ll": None if cell is None else cell["mean"],
            "published_sd": None if cell is None else cell["sd"],
            "published_table": None if cell is None else cell["table"],
            "difference": None if cell is None else neg_ll - cell["mean"]}


def run_rows(runs, published):
    """One row per run: configuration, steps, test NLL ± standard error, published number, difference."""
    rows = []
    for run in runs:
        steps = run.result["steps"]
        rows.append({"config": run.config, "run": run.path, "seed": run.config.get("seed"), "steps": steps,
                     "fraction_of_legacy_steps": steps / LEGACY_STEPS,
                     "test_images": run.result.get("test_images"), "eval_iw_samples": run.result.get("eval_iw_samples"),
                     "test_neg_ll": run.result["test_neg_ll"], "test_neg_ll_stderr": run.neg_ll_stderr,
                     **_published_fields(published, run.config, run.result["test_neg_ll"])})
    return rows


def seed_rows(runs, published):
    """One row per configuration run with several seeds: test NLL mean ± sd over the runs."""
    rows = []
    for group in _group(runs, SEED_FIELDS):
        if len(group) < 2:
            continue
        mean, sd = uncertainty.mean_and_sd([run.result["test_neg_ll"] for run in group])
        rows.append({"config": group[0].config, "runs": len(group),
                     "seeds": " ".join(str(run.config.get("seed")) for run in group),
                     "steps": group[0].result["steps"], "test_neg_ll_mean": mean, "test_neg_ll_sd": sd,
                     **_published_fields(published, group[0].config, mean)})
    return rows


def _pair_row(config, label_a, label_b, neg_ll_a, neg_ll_b):
    difference, stderr = uncertainty.paired_difference(neg_ll_a, neg_ll_b)
    return {"config": config, "a": label_a, "b": label_b, "test_images": len(neg_ll_a),
            "difference": difference, "difference_stderr": stderr}


def paired_rows(runs):
    """Per-image NLL differences A − B ± standard error between runs differing only in baseline or seed (and
    validation cadence, --eval_every, which chooses the tested checkpoint).

    Also, for two baselines with several seeds each, the difference of their seed-averaged per-image NLLs.
    """
    rows = []
    paired_over = SEED_FIELDS + BASELINE_FIELDS + CADENCE_FIELDS
    for group in _group([run for run in runs if run.log_likelihoods is not None], paired_over):
        for a, b in itertools.combinations(group, 2):
            rows.append(_pair_row(a.config, a.label, b.label, -a.log_likelihoods, -b.log_likelihoods))
        by_baseline = {}
        for run in group:
            by_baseline.setdefault(run.config["baseline"], []).append(run)
        for (name_a, runs_a), (name_b, runs_b) in itertools.combinations(by_baseline.items(), 2):
            if len(runs_a) > 1 and len(runs_b) > 1:
                mean_a = -np.mean([run.log_likelihoods for run in runs_a], axis=0)
                mean_b = -np.mean([run.log_likelihoods for run in runs_b], axis=0)
                rows.append(_pair_row(runs_a[0].config, f"{name_a} ({len(runs_a)} seeds)",
                                      f"{name_b} ({len(runs_b)} seeds)", mean_a, mean_b))
    return rows


def tf1_rows(runs, legacy_runs, published):
    """One row per run of ours beside the finished TF1 run of its configuration (None fields if there is none):
    both test NLLs, ours − TF1 (± our standard error; the TF1 events hold no per-image numbers), and the
    published number."""
    finished = {}
    for legacy in legacy_runs:
        if legacy.status == tf1_runs.FINISHED:
            finished.setdefault(legacy.key, legacy)
    rows = []
    for run in runs:
        legacy = finished.get(tf1_runs.config_key(run.config))
        neg_ll = run.result["test_neg_ll"]
        rows.append({"config": run.config, "run": run.path, "seed": run.config.get("seed"),
                     "steps": run.result["steps"], "test_neg_ll": neg_ll, "test_neg_ll_stderr": run.neg_ll_stderr,
                     "tf1_run": legacy and legacy.path, "tf1_steps": legacy and legacy.steps,
                     "tf1_test_neg_ll": legacy and legacy.test_neg_ll,
                     "tf1_difference": None if legacy is None else neg_ll - legacy.test_neg_ll,
                     **_published_fields(published, run.config, neg_ll)})
    return rows


def tf1_notes(runs, legacy_runs):
    """One line per TF1 run that is unreadable or unfinished, per run of ours without a finished TF1 run of
    its configuration, and per finished TF1 run without a run of ours."""
    notes = [f"TF1 {legacy.path}: {legacy.status}: {legacy.problem}" for legacy in legacy_runs
             if legacy.status != tf1_runs.FINISHED]
    finished = {legacy.key for legacy in legacy_runs if legacy.status == tf1_runs.FINISHED}
    ours = {tf1_runs.config_key(run.config) for run in runs}
    notes += [f"ours {run.path}: no finished TF1 run of this configuration" for run in runs
              if tf1_runs.config_key(run.config) not in finished]
    notes += [f"TF1 {legacy.path}: no run of ours of this configuration" for legacy in legacy_runs
              if legacy.status == tf1_runs.FINISHED and legacy.key not in ours]
    return notes


def _number(value, digits=2):
    return DASH if value is None or math.isnan(value) else f"{value:.{digits}f}"


def _plus_minus(value, error):
    return DASH if value is None else f"{_number(value)} ± {_number(error)}"


def _percent(fraction):
    return f"{100 * fraction:.1f}%" if fraction >= 0.001 else f"{100 * fraction:.1g}%"


def _published(row):
    if row["published_neg_ll"] is None:
        return DASH
    return f"{_plus_minus(row['published_neg_ll'], row['published_sd'])} (Table {row['published_table']})"


_CONFIG = summarize.CONFIG_COLUMNS
RUN_COLUMNS = _CONFIG + (
    ("seed", lambda r: str(r["seed"])),
    ("steps", lambda r: str(r["steps"])),
    ("of 1e6", lambda r: _percent(r["fraction_of_legacy_steps"])),
    ("test images x IW samples", lambda r: f"{r['test_images']} x {r['eval_iw_samples']}"),
    ("test NLL ± s.e.", lambda r: _plus_minus(r["test_neg_ll"], r["test_neg_ll_stderr"])),
    ("published ± sd", _published),
    ("difference", lambda r: _number(r["difference"])),
)
SEED_COLUMNS = _CONFIG + (
    ("runs", lambda r: str(r["runs"])),
    ("seeds", lambda r: r["seeds"]),
    ("steps", lambda r: str(r["steps"])),
    ("test NLL mean ± sd", lambda r: _plus_minus(r["test_neg_ll_mean"], r["test_neg_ll_sd"])),
    ("published ± sd", _published),
    ("difference", lambda r: _number(r["difference"])),
)
TF1_COLUMNS = _CONFIG + (
    ("seed", lambda r: str(r["seed"])),
    ("steps", lambda r: str(r["steps"])),
    ("test NLL ± s.e.", lambda r: _plus_minus(r["test_neg_ll"], r["test_neg_ll_stderr"])),
    ("TF1 steps", lambda r: DASH if r["tf1_steps"] is None else str(r["tf1_steps"])),
    ("TF1 test NLL", lambda r: _number(r["tf1_test_neg_ll"])),
    ("ours − TF1 ± s.e.", lambda r: _plus_minus(r["tf1_difference"], r["test_neg_ll_stderr"])),
    ("published ± sd", _published),
    ("ours − published", lambda r: _number(r["difference"])),
)
PAIR_COLUMNS = tuple(c for c in _CONFIG if c[0] not in ("baseline", "L")) + (
    ("A", lambda r: r["a"]),
    ("B", lambda r: r["b"]),
    ("test images", lambda r: str(r["test_images"])),
    ("NLL A − B ± s.e.", lambda r: _plus_minus(r["difference"], r["difference_stderr"])),
)


def compare(runs, published):
    """{"runs", "seed_groups", "paired_differences"}: the three tables as lists of row dicts."""
    return {"runs": run_rows(runs, published), "seed_groups": seed_rows(runs, published),
            "paired_differences": paired_rows(runs)}


def _flat(row, table):
    """A row of `table` for CSV/JSON: the config dict replaced by its identifying fields; NaN as None."""
    shared = [(name, field) for name, field in FLAT_CONFIG
              if table != "paired_differences" or name not in ("baseline", "L")]   # pairs name theirs in a, b
    flat = {name: row["config"][field] for name, field in shared}
    flat.update({k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items() if k != "config"})
    return flat


def _csv_section(name, rows):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["table"] + list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows({"table": name, **row} for row in rows)
    return out.getvalue()


def render(tables, published, fmt, tf1_notes=None):
    """The tables as Markdown (with headings), CSV (blank-line separated sections) or JSON text.

    tables: compare()'s, optionally with "beside_tf1" (tf1_rows); tf1_notes: tf1_notes()'s lines, if any.
    """
    if fmt == "json":
        notes = {} if tf1_notes is None else {"tf1_notes": tf1_notes}
        return json.dumps({"published_source": published.source,
                           **{name: [_flat(row, name) for row in rows] for name, rows in tables.items()}, **notes},
                          indent=2, ensure_ascii=False)
    if fmt == "csv":
        sections = [_csv_section(name, [_flat(row, name) for row in rows]) for name, rows in tables.items() if rows]
        if tf1_notes:
            sections.append(_csv_section("tf1_notes", [{"note": note} for note in tf1_notes]))
        return "\n".join(sections).rstrip("\n")
    parts = ["## Runs", "", summarize.markdown_table(tables["runs"], RUN_COLUMNS), "",
             f"Published: {published.source}; mean ± sd over 5 runs of 1,000,000 steps. "
             f"difference = ours − published (nats)."]
    if "beside_tf1" in tables:
        parts += ["", "## Beside the TF1 runs", "", summarize.markdown_table(tables["beside_tf1"], TF1_COLUMNS), "",
                  "TF1 test NLL: the legacy run's final test of its best checkpoint (test/neg_ll at step num_iter); "
                  "s.e.: ours, over our test images."]
        parts += [""] + [f"- {note}" for note in tf1_notes or ()]
    if tables["seed_groups"]:
        parts += ["", "## Seeds (same configuration)", "", summarize.markdown_table(tables["seed_groups"], SEED_COLUMNS)]
    if tables["paired_differences"]:
        parts += ["", "## Paired differences (same test images, per-image NLL)", "",
                  summarize.markdown_table(tables["paired_differences"], PAIR_COLUMNS)]
    return "\n".join(parts)


def plot(runs, log_dir, path):
    """Validation NLL against step of every run (TensorBoard tag val/neg_ll) as a PNG."""
    from dvae_tf2.tools import curves   # TensorBoard and matplotlib only when a plot is asked for
    series = {run.path: curves.scalar_series(os.path.join(log_dir, run.path), curves.VALIDATION_TAG)
              for run in runs}
    curves.plot_validation_curves(series, path)
    return sum(1 for steps, _ in series.values() if len(steps))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m dvae_tf2.tools.compare", description=__doc__.splitlines()[0])
    parser.add_argument("--log_dir", required=True, help="root of the run directories")
    parser.add_argument("--tf1_log_dir", default=None,
                        help="root of legacy TF1 run directories (either code base's layout) to put beside ours")
    parser.add_argument("--format", choices=FORMATS, default="markdown", help="output format")
    parser.add_argument("--plot", default=None, help="also write validation NLL against step to this PNG file")
    args = parser.parse_args(argv)
    published = PublishedResults()
    legacy_runs = None
    if args.tf1_log_dir is not None:
        if not os.path.isdir(args.tf1_log_dir):
            print(f"error: --tf1_log_dir={args.tf1_log_dir} is not a directory", file=sys.stderr)
            return 2
        legacy_runs = tf1_runs.find_runs(args.tf1_log_dir)

    def render_found(found):
        tables, notes = compare(found, published), None
        if legacy_runs is not None:
            tables["beside_tf1"], notes = tf1_rows(found, legacy_runs, published), tf1_notes(found, legacy_runs)
        return render(tables, published, args.format, notes)

    status, runs = summarize.print_results(args.log_dir, load_runs, render_found)
    if status:
        return status
    if args.plot:
        plotted = plot(runs, args.log_dir, args.plot)
        print(f"wrote {args.plot}: validation curves of {plotted} of {len(runs)} runs", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
