"""Run directories of the legacy TF1 code bases: their configuration from the legacy layout, their numbers
from the TF1 event files.

The legacy run.py of DVAE## writes a run into <dataset>/<experiment>/<num_latents>/<baseline>/<L>/<k>, that of
DVAE# into <dataset>/<struct>/<baseline>/<k>. Their train_eval.py writes val/neg_elbo, test/neg_elbo,
val/neg_ll and test/neg_ll after every evaluation, at the 0-based index of the step that ended it (so the last
one, after the step num_iter, at num_iter - 1), and, once training is over, the test of the best checkpoint at
step num_iter. (DVAE## copies the validation numbers into test/ at the periodic evaluations; DVAE# tests with
100 IW samples there. Both put the final test, with all IW samples, into the record at num_iter.)
"""
import dataclasses
import os
import typing

from dvae_tf2.baselines import BASELINES, DVAE_SHARP, DVAE_SHARPSHARP
from dvae_tf2.config import EXPERIMENTS, STRUCTS
from dvae_tf2.data.catalog import DATASETS
from dvae_tf2.training import event_files

FINISHED, UNFINISHED, UNREADABLE = "finished", "unfinished", "unreadable"


@dataclasses.dataclass
class TF1Run:
    """One legacy run directory (path relative to the legacy log directory) and what its events say.

    steps: num_iter of a finished run, else the steps up to its last evaluation (0 if none). test_neg_ll and
    test_neg_elbo: the final test of the best checkpoint (None unless finished). best_val_neg_ll: the lowest
    validation NLL of the periodic evaluations, which chose the tested checkpoint. problem: why the run is
    unfinished or unreadable.
    """
    path: str
    config: typing.Optional[dict]
    status: str
    steps: int = 0
    test_neg_ll: typing.Optional[float] = None
    test_neg_elbo: typing.Optional[float] = None
    best_val_neg_ll: typing.Optional[float] = None
    problem: typing.Optional[str] = None

    @property
    def key(self):
        return None if self.config is None else config_key(self.config)


def config_key(config):
    """What makes two runs, legacy or ours, the same configuration: code base, dataset, experiment (DVAE##) or
    struct (DVAE#), latents, baseline, L, k."""
    shape = config.get("struct") if config["codebase"] == DVAE_SHARP else config["experiment"]
    return (config["codebase"], config["dataset"], shape, int(config["num_latents"]), config["baseline"],
            int(config["num_groups"]), int(config["k"]))


def _integer(text):
    return int(text) if text.isdigit() and int(text) > 0 else None


def parse_layout(parts):
    """The configuration dict named by a legacy run directory's path components, or None if the path is in
    neither legacy layout."""
    if len(parts) == 6:
        dataset, experiment, latents, baseline, groups, k = parts
        latents, groups, k = _integer(latents), _integer(groups), _integer(k)
        if (dataset in DATASETS and experiment in EXPERIMENTS and baseline in BASELINES[DVAE_SHARPSHARP]
                and None not in (latents, groups, k)):
            return {"codebase": DVAE_SHARPSHARP, "dataset": dataset, "experiment": experiment, "struct": None,
                    "num_latents": latents, "baseline": baseline, "num_groups": groups, "k": k}
    if len(parts) == 4:
        dataset, struct, baseline, k = parts
        if dataset in DATASETS and struct in STRUCTS and baseline in BASELINES[DVAE_SHARP] and _integer(k):
            groups, units, _ = STRUCTS[struct]   # the legacy run.py sets L and the latents from the structure
            return {"codebase": DVAE_SHARP, "dataset": dataset, "experiment": "vae", "struct": struct,
                    "num_latents": groups * units, "baseline": baseline, "num_groups": groups, "k": int(k)}
    return None


def read_run(run_dir, path, config):
    """TF1Run of the legacy run directory run_dir (path: its name relative to the legacy root)."""
    try:
        scalars, torn = event_files.scalar_events(run_dir)
    except (ValueError, OSError) as error:
        return TF1Run(path, config, UNREADABLE, problem=str(error))
    if config is None:
        return TF1Run(path, None, UNREADABLE, problem="the path is in neither legacy layout "
                      "(<dataset>/<experiment>/<num_latents>/<baseline>/<L>/<k> or <dataset>/<struct>/<baseline>/<k>)")
    tests, vals = scalars.get("test/neg_ll", {}), scalars.get("val/neg_ll", {})
    if not scalars:
        return TF1Run(path, config, UNREADABLE, problem="no readable TF1 event file" + (" (torn)" if torn else ""))
    # The final record sits one step after the last periodic evaluation; periodic ones are never adjacent.
    finals = [step for step in tests if step - 1 in tests]
    periodic = {step: value for step, value in vals.items() if step not in finals}
    best_val = min(periodic.values()) if periodic else None
    if finals:
        final = max(finals)
        return TF1Run(path, config, FINISHED, steps=final, test_neg_ll=tests[final],
                      test_neg_elbo=scalars.get("test/neg_elbo", {}).get(final), best_val_neg_ll=best_val)
    if periodic:
        last = max(periodic)
        count = f"{len(periodic)} evaluation" + ("s" if len(periodic) > 1 else "")
        return TF1Run(path, config, UNFINISHED, steps=last + 1, best_val_neg_ll=best_val,
                      problem=f"{count}, the last after {last + 1} steps (val NLL {periodic[last]:.2f}), "
                              "no final test")
    last = max(step for values in scalars.values() for step in values)
    return TF1Run(path, config, UNFINISHED, problem=f"training summaries up to step {last}, "
                                                    "no evaluation yet")


def find_runs(tf1_log_dir):
    """Every legacy run under tf1_log_dir, in path order: directories in a legacy layout and directories
    holding event files."""
    runs = []
    for root, dirs, files in os.walk(tf1_log_dir):
        dirs.sort()
        parts = os.path.relpath(root, tf1_log_dir).split(os.sep)
        config = parse_layout(parts)
        has_events = any(".tfevents." in name for name in files)
        if config is not None or has_events:
            runs.append(read_run(root, os.path.relpath(root, tf1_log_dir), config))
    return runs
