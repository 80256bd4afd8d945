"""What FEC, live-code pruning and hurdles each buy: every on/off combination of the
three (and the FEC's lookup by pruned form, ``fec.by_form``, with the other two on), on
the demo and on a classification search.

    python benchmarks/bench_ablation.py [--seeds 1 2] [--workloads demo classification]

For each workload, seed and combination, one search (``eaRegularized`` with the config's
toolbox, ``azdeap.experiment.build_toolbox``) runs to the workload's budget, after a
warm-up of every combination.  Printed per combination (medians over the seeds):
individuals/s, train steps per individual, the FEC's hit rate (and the share answered by
pruned form), the share of evaluations the hurdles stopped, and the best search fitness
in the final population.  The workloads:

* ``demo``: configs/demo.yaml, one search to 2e8 train steps (the demo experiment);
* ``classification``: 4 projected binary tasks (16 features, 800 train and 200 valid
  examples, accuracy, median over tasks) cut from a synthetic 10-class Gaussian dataset
  written to a temporary .npz; every op; sizes 6/6/6 that insert and remove change within
  1..20; memory 8/8/3; population 200; 10,000 individuals.
"""
import argparse
import dataclasses
import itertools
import os
import random
import statistics
import tempfile
import time

import numpy as np

from azdeap.config import config_from_dict, load_config
from azdeap.evolution import eaRegularized
from azdeap.experiment import build_tasks, build_toolbox
from azdeap.fec import FEC
from azdeap.hurdles import Hurdles

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HURDLES = {"tasks": 1, "train": None, "percentile": 75}


def synthetic_dataset(path, n_classes=10, per_class=600, dimensions=32, seed=0):
    """A 10-class dataset of overlapping Gaussian clusters, saved as x, y in path."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 1.0, (n_classes, dimensions))
    x = np.concatenate([c + rng.normal(0.0, 2.0, (per_class, dimensions)) for c in centres])
    y = np.repeat(np.arange(n_classes), per_class)
    order = rng.permutation(len(y))
    np.savez(path, x=x[order], y=y[order])


def workloads(directory):
    """{name: config} of the two workloads."""
    demo = load_config(os.path.join(ROOT, "configs", "demo.yaml"))
    demo = dataclasses.replace(demo, budget=dataclasses.replace(
        demo.budget, max_train_steps=200_000_000, max_individuals=None))
    dataset = os.path.join(directory, "gaussian10.npz")
    synthetic_dataset(dataset)
    task = {"kind": "projected", "features": 16, "train": 800, "valid": 200,
            "dataset": dataset, "param_seeds": [7], "data_seeds": [8]}
    component = {"ops": list(range(65)), "size": 6, "min": 1, "max": 20}
    classification = config_from_dict({
        "memory": {"scalars": 8, "vectors": 8, "matrices": 3},
        "tasks": {"search": [dict(task, count=4, class_pairs=[[0, 1], [2, 3], [4, 5], [6, 7]])],
                  "select": [dict(task, count=1, class_pairs=[[8, 9]])],
                  "final": [dict(task, count=1, class_pairs=[[8, 9]])],
                  "randomize_seeds": False},
        "components": {"setup": component, "predict": component, "learn": component},
        "evolution": {"population": 200,
                      "mutations": ["alter_param", "randomize_instruction", "insert",
                                    "remove"]},
        "fitness": {"combination": "median"},
        "budget": {"max_train_steps": None, "max_individuals": 10_000}})
    return {"demo": demo, "classification": classification}


def variant(config, fec, prune, hurdles, by_form=False):
    """config with FEC, pruning and hurdles on or off (and the FEC's lookup by pruned
    form)."""
    fitness = config.fitness
    default_fec = dataclasses.replace(load_config(None).fitness.fec, by_form=by_form)
    return dataclasses.replace(config, fitness=dataclasses.replace(
        fitness, fec=default_fec if fec else None, prune=prune,
        hurdles=config_from_dict({"fitness": {"hurdles": HURDLES}}).fitness.hurdles
        if hurdles else None))


def wrappers(toolbox):
    """The FEC and the Hurdles of a toolbox's evaluate (None where absent)."""
    found = {FEC: None, Hurdles: None}
    evaluate = toolbox.evaluate.func   # the registered object
    while evaluate is not None:
        found.update({kind: evaluate for kind in found if isinstance(evaluate, kind)})
        evaluate = getattr(evaluate, "evaluator", None)
    return found[FEC], found[Hurdles]


def search(config, seed):
    """One search: a dict of the figures of one row."""
    random.seed(seed)
    toolbox = build_toolbox(config, build_tasks(config.tasks.search, False))
    population = toolbox.population(config.evolution.population)
    budget = config.budget
    start = time.perf_counter()
    population, logbook = eaRegularized(
        population, toolbox, batch=config.evolution.batch,
        max_individuals=budget.max_individuals, max_train_steps=budget.max_train_steps,
        verbose=False, progress_every=10**9)
    seconds = time.perf_counter() - start
    last = logbook[-1]
    fec, hurdles = wrappers(toolbox)
    fec_stats = fec.stats() if fec else {}
    hurdle_stats = hurdles.stats() if hurdles else {}
    return {"individuals/s": last["individuals"] / seconds,
            "steps/individual": last["train_steps"] / last["individuals"],
            "FEC hits %": 100 * fec_stats.get("hit_rate", 0.0),
            "by form %": 100 * fec_stats.get("form_hits", 0) / max(1, last["evals"]),
            "stopped %": 100 * hurdle_stats.get("stop_rate", 0.0),
            "best fitness": max(ind.fitness.values[0] for ind in population)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--workloads", nargs="+", default=["demo", "classification"])
    args = parser.parse_args(argv)
    combinations = list(itertools.product((False, True), repeat=3)) + [(True, True, False, True)]
    with tempfile.TemporaryDirectory() as directory:
        configs = workloads(directory)
        for name in args.workloads:
            base = configs[name]
            warm = dataclasses.replace(base, budget=dataclasses.replace(
                base.budget, max_train_steps=None, max_individuals=2000))
            for combination in combinations:
                search(variant(warm, *combination), 0)
            print("\n%s (medians over seeds %s)" % (name, " ".join(map(str, args.seeds))))
            print("| FEC | prune | hurdles | FEC by form | individuals/s | train steps/individual | "
                  "FEC hits % | by form % | stopped % | best search fitness |")
            print("|---|---|---|---|---|---|---|---|---|---|")
            for combination in combinations:
                rows = [search(variant(base, *combination), seed) for seed in args.seeds]
                median = {key: statistics.median(row[key] for row in rows) for key in rows[0]}
                print("| %s | %s | %s | %s | %.0f | %.0f | %.1f | %.1f | %.1f | %.4f |" % (
                    *("on" if on else "off" for on in (combination + (False,))[:4]),
                    *(median[key] for key in ("individuals/s", "steps/individual",
                                               "FEC hits %", "by form %", "stopped %",
                                               "best fitness"))), flush=True)


if __name__ == "__main__":
    main()
