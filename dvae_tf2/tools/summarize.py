"""Tabulates the finished runs under a log directory (their results.json files) as Markdown.

python -m dvae_tf2.tools.summarize --log_dir=./logs [--sort=test_neg_ll]
"""
import argparse
import json
import os
import sys

# (column title, function of one results.json dict -> cell text)
CONFIG_COLUMNS = (
    ("dataset", lambda r: r["config"]["dataset"]),
    # DVAE## runs name their experiment; DVAE# runs (no experiment flag) their --struct.
    ("experiment / struct", lambda r: r["config"].get("struct") or r["config"]["experiment"]),
    ("latents", lambda r: str(r["config"]["num_latents"])),
    ("baseline", lambda r: r["config"]["baseline"]),
    ("L", lambda r: str(r["config"]["num_groups"])),
    ("k", lambda r: str(r["config"]["k"])),
)
COLUMNS = CONFIG_COLUMNS + (
    ("steps", lambda r: str(r["steps"])),
    ("best step", lambda r: str(r.get("best_step", ""))),
    ("test NLL", lambda r: f"{r['test_neg_ll']:.2f}"),
    ("test -ELBO", lambda r: f"{r['test_neg_elbo']:.2f}"),
    ("val NLL", lambda r: f"{r['val_neg_ll']:.2f}"),
    ("test images x IW samples", lambda r: f"{r.get('test_images', '?')} x {r.get('eval_iw_samples', '?')}"),
    ("prior log Z", lambda r: "-" if r.get("prior_log_z") is None else f"{r['prior_log_z']:.2f}"),
    ("train steps/s", lambda r: f"{r['steps_per_s']:.1f}"),
    ("wall time", lambda r: f"{r['wall_time_s'] / 60:.1f} min"),
    ("test eval", lambda r: f"{r.get('test_eval_seconds', float('nan')) / 60:.1f} min"),
    ("run suffix", lambda r: r["config"].get("run_suffix") or "-"),   # tells runs of one configuration apart
)
SORT_KEYS = ("path", "test_neg_ll")


def find_results(log_dir):
    """(path, results dict) of every results.json below log_dir, in path order."""
    found = []
    for root, _, files in os.walk(log_dir):
        if "results.json" in files:
            path = os.path.join(root, "results.json")
            with open(path) as f:
                try:
                    found.append((path, json.load(f)))
                except json.JSONDecodeError as error:
                    raise ValueError(f"{path} is not valid JSON ({error})") from None
    return sorted(found, key=lambda item: item[0])


def markdown_table(records, columns=COLUMNS):
    """Markdown table with one row per record; columns: (title, function of a record -> cell text)."""
    lines = ["| " + " | ".join(title for title, _ in columns) + " |",
             "|" + "|".join(" --- " for _ in columns) + "|"]
    for record in records:
        lines.append("| " + " | ".join(cell(record) for _, cell in columns) + " |")
    return "\n".join(lines)


def print_results(log_dir, load, render):
    """Prints render(load(log_dir)) for the finished runs under log_dir, or one `error:` line.

    Shared by the results tools. load: log_dir -> runs (ValueError for an unreadable file); render:
    runs -> text (KeyError for a missing field). Returns (exit status, runs).
    """
    if not os.path.isdir(log_dir):
        print(f"error: --log_dir={log_dir} is not a directory", file=sys.stderr)
        return 2, None
    try:
        runs = load(log_dir)
        if not runs:
            print(f"error: no results.json under {log_dir} (runs write it when they finish)", file=sys.stderr)
            return 2, None
        text = render(runs)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2, None
    except KeyError as error:
        print(f"error: a results.json lacks the field {error}", file=sys.stderr)
        return 2, None
    print(text)
    return 0, runs


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m dvae_tf2.tools.summarize", description=__doc__.splitlines()[0])
    parser.add_argument("--log_dir", required=True, help="root of the run directories")
    parser.add_argument("--sort", choices=SORT_KEYS, default="path", help="row order")
    args = parser.parse_args(argv)

    def render(found):
        if args.sort == "test_neg_ll":
            found = sorted(found, key=lambda item: item[1]["test_neg_ll"])
        return markdown_table([result for _, result in found])

    return print_results(args.log_dir, find_results, render)[0]


if __name__ == "__main__":
    sys.exit(main())
