"""python -m dvae_tf2.tools.compare on synthetic run directories, and the published table it carries."""
import csv
import dataclasses
import io
import json
import os
import re

import numpy as np
import pytest
import tensorflow as tf

from dvae_tf2.data import datasets
from dvae_tf2.config import Config
from dvae_tf2.tools import compare, curves, published
from dvae_tf2.tools.published import PublishedResults

_REFERENCE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                          "shared", "reference", "dvae_sharpsharp_tables.md")
_DIGEST = datasets.images_digest(np.eye(4))


def _write_run(log_dir, baseline, seed, neg_ll, num_latents=200, L=1, val_curve=None, suffix=True, eval_every=2000,
               **config_fields):
    """A finished run as the trainer leaves it: results.json, test_log_likelihoods.npy, events with val/neg_ll."""
    config = Config(log_dir=str(log_dir), baseline=baseline, num_latents=num_latents, num_groups=L, seed=seed,
                    run_suffix=f"seed{seed}" if suffix else "", num_train_iter=20000, eval_iw_samples=1000,
                    test_subset=len(neg_ll), eval_every=eval_every, **config_fields).validate()
    os.makedirs(config.run_dir)
    neg_ll = np.asarray(neg_ll, np.float64)
    np.save(os.path.join(config.run_dir, "test_log_likelihoods.npy"), -neg_ll)
    result = {"config": dataclasses.asdict(config), "steps": 20000, "test_neg_ll": float(neg_ll.mean()),
              "test_neg_ll_stderr": float(np.std(neg_ll, ddof=1) / np.sqrt(len(neg_ll))),
              "test_images": len(neg_ll), "test_images_digest": _DIGEST, "eval_iw_samples": 1000}
    with open(os.path.join(config.run_dir, "results.json"), "w") as f:
        json.dump(result, f)
    if val_curve:
        writer = tf.summary.create_file_writer(config.run_dir)
        with writer.as_default():
            for step, value in val_curve:
                tf.summary.scalar(curves.VALIDATION_TAG, value, step=step)
        writer.close()
    return config.run_dir


@pytest.fixture
def log_dir(tmp_path):
    """pwl_relax and rbm_post (validating at another cadence), two seeds each, on the same 4 test images; a
    gsm_relax run with no published number."""
    _write_run(tmp_path, "pwl_relax", 1, [90.0, 91.0, 92.0, 95.0], val_curve=[(100, 120.0), (200, 110.0)])
    _write_run(tmp_path, "pwl_relax", 2, [90.5, 91.5, 92.5, 95.5])
    _write_run(tmp_path, "rbm_post", 1, [89.0, 91.0, 91.0, 93.0], eval_every=4000)
    _write_run(tmp_path, "rbm_post", 2, [90.0, 90.0, 92.0, 96.0], eval_every=4000)
    _write_run(tmp_path, "gsm_relax", 1, [99.0, 100.0], num_latents=400, L=2, suffix=False)
    return tmp_path


def _rows(markdown, heading):
    """The data rows of the table under `## heading`, as lists of cells."""
    section = markdown.split(f"## {heading}")[1].split("\n## ")[0]
    return [[c.strip() for c in line.strip("|").split("|")] for line in section.splitlines()
            if line.startswith("|")][2:]


def test_markdown_lists_runs_seed_groups_and_paired_differences(log_dir, capsys):
    assert compare.main([f"--log_dir={log_dir}"]) == 0
    out = capsys.readouterr().out
    runs = {(r[3], r[6]): r for r in _rows(out, "Runs")}
    assert len(runs) == 5
    pwl = runs[("pwl_relax", "1")]
    se = np.std([90.0, 91.0, 92.0, 95.0], ddof=1) / 2
    assert pwl[7:] == ["20000", "2.0%", "4 x 1000", f"92.00 ± {se:.2f}", "84.62 ± 0.05 (Table 1)", "7.38"]
    assert runs[("rbm_post", "2")][11:] == ["84.09 ± 0.06 (Table 1)", "7.91"]
    assert runs[("gsm_relax", "1")][2] == "400" and runs[("gsm_relax", "1")][11:] == ["—", "—"]   # n/a in the paper
    seeds = {r[3]: r for r in _rows(out, "Seeds")}
    assert set(seeds) == {"pwl_relax", "rbm_post"}
    assert seeds["pwl_relax"][6:9] == ["2", "1 2", "20000"]
    assert seeds["pwl_relax"][9] == f"92.25 ± {np.std([92.0, 92.5], ddof=1):.2f}"
    pairs = {(r[4], r[5]): r[-1] for r in _rows(out, "Paired")}
    assert len(pairs) == 7   # 6 run pairs + the two seed-averaged baselines
    d = np.array([90.0, 91.0, 92.0, 95.0]) - np.array([89.0, 91.0, 91.0, 93.0])
    assert pairs[("pwl_relax L=1 seed 1", "rbm_post L=1 seed 1")] == \
        f"{d.mean():.2f} ± {np.std(d, ddof=1) / 2:.2f}"
    assert pairs[("pwl_relax (2 seeds)", "rbm_post (2 seeds)")] == "0.75 ± 0.00"   # seed means differ by 0.75 each
    assert pairs[("pwl_relax L=1 seed 1", "pwl_relax L=1 seed 2")] == "-0.50 ± 0.00"


def test_older_results_without_a_config_field_still_group_and_dvae_sharp_runs_have_no_published_number(log_dir):
    path = os.path.join(log_dir, "binarized_mnist", "vae", "200", "pwl_relax", "1", "1-seed2", "results.json")
    result = json.load(open(path))
    del result["config"]["num_prior_sweeps"]   # as saved before the field existed; its default was used
    json.dump(result, open(path, "w"))
    tables = compare.compare(compare.load_runs(log_dir), PublishedResults())
    assert [row["runs"] for row in tables["seed_groups"]] == [2, 2]
    config = dict(result["config"], codebase="dvae_sharp")
    assert PublishedResults().lookup_config(config) is None
    assert PublishedResults().lookup_config(dict(config, codebase=published.CODEBASE))["mean"] == 84.62
    assert published.CODEBASE == getattr(Config(), "codebase", published.CODEBASE)


def test_runs_on_other_test_images_are_not_paired(log_dir, capsys):
    path = os.path.join(_write_run(log_dir, "rbm_post", 3, [80.0, 81.0, 82.0, 83.0]), "results.json")
    result = json.load(open(path))
    result["test_images_digest"] = "another"
    json.dump(result, open(path, "w"))
    tables = compare.compare(compare.load_runs(log_dir), PublishedResults())
    assert not [p for p in tables["paired_differences"] if "seed 3" in p["a"] + p["b"]]
    assert len(tables["paired_differences"]) == 7


def test_json_and_csv_formats(log_dir, capsys):
    assert compare.main([f"--log_dir={log_dir}", "--format=json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert "arXiv:1901.03440" in report["published_source"]
    run = next(r for r in report["runs"] if r["baseline"] == "rbm_post" and r["seed"] == 1)
    assert run["test_neg_ll"] == pytest.approx(91.0) and run["published_neg_ll"] == 84.09
    assert run["difference"] == pytest.approx(91.0 - 84.09) and run["fraction_of_legacy_steps"] == 0.02
    assert run["run"] == os.path.join("binarized_mnist", "vae", "200", "rbm_post", "1", "1-seed1")
    gsm = next(r for r in report["runs"] if r["baseline"] == "gsm_relax")
    assert gsm["published_neg_ll"] is None and gsm["difference"] is None
    assert len(report["seed_groups"]) == 2 and len(report["paired_differences"]) == 7
    assert compare.main([f"--log_dir={log_dir}", "--format=csv"]) == 0
    sections = capsys.readouterr().out.split("\n\n")
    assert len(sections) == 3
    runs = list(csv.DictReader(io.StringIO(sections[0])))
    assert len(runs) == 5 and {r["table"] for r in runs} == {"runs"}
    assert float(next(r for r in runs if r["baseline"] == "pwl_relax")["published_neg_ll"]) == 84.62


def test_plot_reads_validation_curves_from_event_files(log_dir, capsys):
    run_dir = os.path.join(log_dir, "binarized_mnist", "vae", "200", "pwl_relax", "1", "1-seed1")
    steps, values = curves.scalar_series(run_dir, curves.VALIDATION_TAG)
    assert steps.tolist() == [100, 200] and values.tolist() == [120.0, 110.0]
    assert curves.scalar_series(run_dir, "val/absent")[0].size == 0
    png = log_dir / "curves.png"
    assert compare.main([f"--log_dir={log_dir}", f"--plot={png}"]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "validation curves of 1 of 5 runs" in capsys.readouterr().err


def test_bad_inputs_fail_with_a_message(tmp_path, capsys):
    assert compare.main([f"--log_dir={tmp_path}"]) == 2
    assert "no results.json" in capsys.readouterr().err
    run_dir = _write_run(tmp_path, "pwl_relax", 1, [90.0, 91.0])
    np.save(os.path.join(run_dir, "test_log_likelihoods.npy"), np.zeros(3))
    assert compare.main([f"--log_dir={tmp_path}"]) == 2
    assert "says 2 test images" in capsys.readouterr().err
    os.remove(os.path.join(run_dir, "test_log_likelihoods.npy"))
    (tmp_path / "results.json").write_text('{"steps": 10}')
    assert compare.main([f"--log_dir={tmp_path}"]) == 2
    assert "lacks the field 'config'" in capsys.readouterr().err


def _reference_cells(markdown):
    """{(table, dataset, experiment, latents, baseline, L, k): (mean, sd) or None for n/a} from the markdown."""
    names = {"DVAE#": "dvaes_power", "GumBolt": "gsm_relax", "PWL": "pwl_relax", "DVAE##": "rbm_post"}
    cells = {}
    for number, section in enumerate(re.split(r"^## Table \d", markdown, flags=re.M)[1:4], start=1):
        lines = [[c.strip() for c in line.strip("|").split("|")] for line in section.splitlines() if line.startswith("|")]
        header, rows = lines[0], lines[2:]
        for row in rows:
            fields = dict(zip(header, row))
            latents = int(fields.get("latents", 200))
            experiment = "struct" if number == 3 else "vae"
            k = int(fields.get("k", 1))
            for column in header[header.index("k" if "k" in header else "L") + 1:]:
                name = column.split()[0]
                L = None if name == "DVAE##" else int(column.split("L=")[1]) if "L=" in column else int(fields["L"])
                text = fields[column]
                if text == "(same)":
                    continue
                value = None if text == "n/a" else tuple(float(v) for v in text.split("±"))
                cells[(number, row[0], experiment, latents, names[name], L, k)] = value
    return cells


@pytest.mark.skipif(not os.path.exists(_REFERENCE), reason="../shared/reference is not present")
def test_published_data_file_matches_the_reference_tables_cell_by_cell():
    with open(_REFERENCE) as f:
        reference = _reference_cells(f.read())
    published = PublishedResults()
    carried = {(c["table"], c["dataset"], c["experiment"], c["num_latents"], c["baseline"], c["L"], c["k"]):
               None if c["mean"] is None else (c["mean"], c["sd"]) for c in published.cells}
    assert len(reference) == 112 and carried == reference
    assert reference[(1, "omniglot", "vae", 400, "gsm_relax", 4, 1)] == (99.97, 0.02)
    assert reference[(3, "binarized_mnist", "struct", 200, "rbm_post", None, 25)] == (45.75, 0.10)
    assert reference[(2, "omniglot", "vae", 400, "pwl_relax", 2, 5)] == (98.69, 0.09)
    assert reference[(1, "binarized_mnist", "vae", 400, "dvaes_power", 2, 1)] is None


def test_published_lookup_prefers_table_1_and_never_fills_gaps():
    published = PublishedResults()
    assert published.lookup("binarized_mnist", "vae", 200, "pwl_relax", 1, 1)["mean"] == 84.62   # not Table 2's 84.60
    assert published.lookup("binarized_mnist", "vae", 200, "pwl_relax", 1, 25)["mean"] == 83.96
    assert published.lookup("omniglot", "vae", 400, "rbm_post", 1, 5)["mean"] == 98.34
    assert published.lookup("binarized_mnist", "struct", 200, "rbm_post", 1, 1)["mean"] == 57.13
    assert published.lookup("binarized_mnist", "vae", 400, "gsm_relax", 2, 1) is None        # n/a in the paper
    assert published.lookup("binarized_mnist", "vae", 200, "gsm_relax", 1, 5) is None        # not in the paper
    assert published.lookup("binarized_mnist", "struct", 400, "pwl_relax", 1, 1) is None
    table4 = {(c["method"], c["column"]): c["value"] for c in published.previously_published}
    assert table4[("Concrete", "VAE OMNIGLOT")] == 105.9 and table4[("DVAE++", "IWAE (k≈25) MNIST")] is None
