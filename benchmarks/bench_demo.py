"""The 5-minute demo: individuals per second and time to solution.

    python benchmarks/bench_demo.py throughput [--individuals 200000] [--repeats 5]
    python benchmarks/bench_demo.py solve [--seeds 1 2 3 4 5] [--workers 1]

throughput: one demo experiment's evolution on one core (a fixed number of
individuals after a warm-up), plus what each per-individual step costs.
solve: the whole demo (experiments until T_select fitness > 0.9999, then the
final evaluation) per seed: wall and CPU seconds, experiments, individuals.
With --workers N > 1 each seed runs as `python -m scoop -n N azdeap/run.py`.
"""
import argparse
import dataclasses
import os
import random
import re
import statistics
import subprocess
import sys
import time
import timeit

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from azdeap.evolution import batch_form, eaRegularized  # noqa: E402
from azdeap.programs import Programs, ProgramSlots  # noqa: E402
from azdeap.config import load_config  # noqa: E402
from azdeap.experiment import build_tasks, build_toolbox, run_experiments  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def throughput(individuals, repeats=5, seed=1):
    config = load_config(None)
    random.seed(seed)
    toolbox = build_toolbox(config, build_tasks(config.tasks.search, randomize_seeds=True))
    population = toolbox.population(config.evolution.population)
    batch = config.evolution.batch
    eaRegularized(population, toolbox, batch=batch, max_individuals=50_000, verbose=False)
    rates, steps, hits = [], [], []
    for _ in range(repeats):
        start = time.perf_counter()
        population, logbook = eaRegularized(population, toolbox, batch=batch,
                                            max_individuals=individuals, verbose=False)
        last = logbook[-1]
        rates.append(last["individuals"] / (time.perf_counter() - start))
        steps.append(last["train_steps"] / last["individuals"])
        hits.append(last["cached"] / max(1, last["evals"]))
    rate = statistics.median(rates)
    print("demo evolution, one core, batch %d: %d x %d individuals"
          % (batch, repeats, individuals))
    print("  %.0f individuals/s median (min %.0f, max %.0f)" % (rate, min(rates), max(rates)))
    print("  %.0f train steps/individual; FEC hit rate %.1f%%"
          % (statistics.median(steps), 100 * statistics.median(hits)))
    costs = step_costs(toolbox, population, batch)
    print("  per individual: " + ", ".join("%s %.2f us" % (name, 1e6 * t / batch)
                                           for name, t in costs.items())
          + "; all: %.2f us" % (1e6 / rate))


def step_costs(toolbox, population, batch, n=20):
    """Seconds per batch of each step of a cycle.  With both batch forms (eaRegularized
    keeps the population as arrays): select is select_batch on the fitness array, clone
    is taking the parents' programs from the population's ProgramSlots, mutate is
    mutate_batch on them.  Without: select, clone, and mutate(clone(parent)) minus clone.
    Evaluate is evaluate_batch of the same children n times (the FEC answers all but the
    first)."""
    select_batch, mutate_batch = batch_form(toolbox, "select"), batch_form(toolbox, "mutate")
    if select_batch and mutate_batch:
        wvalues = np.array([ind.fitness.wvalues for ind in population])
        slots = ProgramSlots(Programs.stack(population))
        parents = select_batch(wvalues, batch)
        stacked = slots.take(parents)
        children = mutate_batch(stacked)[0]
        steps = {"select": lambda: select_batch(wvalues, batch),
                 "clone": lambda: slots.take(parents),
                 "mutate": lambda: mutate_batch(stacked)}
    else:
        clone, mutate = toolbox.clone, toolbox.mutate
        parents = toolbox.select(population, batch)
        children = [mutate(clone(parent))[0] for parent in parents]
        steps = {"select": lambda: toolbox.select(population, batch),
                 "clone": lambda: [clone(parent) for parent in parents],
                 "mutate": lambda: [mutate(clone(parent)) for parent in parents]}
    steps["evaluate (FEC, batch)"] = lambda: toolbox.evaluate_batch(children)
    costs = {name: timeit.timeit(step, number=n) / n for name, step in steps.items()}
    if not (select_batch and mutate_batch):
        costs["mutate"] -= costs["clone"]
    return costs


def solve(seeds, workers):
    rows = []
    for seed in seeds:
        if workers > 1:
            start = time.perf_counter()
            out = subprocess.run(
                [sys.executable, "-m", "scoop", "-n", str(workers), "azdeap/run.py",
                 "--seed", str(seed), "--quiet"], cwd=ROOT, capture_output=True, text=True,
                check=True).stdout
            wall = time.perf_counter() - start
            match = re.search(r"final fitness \(\d+ unseen tasks\): ([\d.]+) after (\d+) "
                              r"experiment\(s\), (\d+) individuals", out)
            final, experiments, individuals = (float(match[1]), int(match[2]),
                                               int(match[3]))
            cpu = float("nan")
        else:
            config = dataclasses.replace(load_config(None), seed=seed)
            start, cpu0 = time.perf_counter(), time.process_time()
            result = run_experiments(config, verbose=False, log=lambda *_: None)
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu0
            final, experiments, individuals = (result.final_fitness, result.experiments,
                                               result.individuals)
        rows.append((seed, wall, cpu, experiments, individuals, final))
        print("seed %3d: %7.1f s wall %7.1f CPU-s  %2d experiment(s)  %9d individuals  "
              "final fitness %.6f" % rows[-1], flush=True)
    walls = [row[1] for row in rows]
    print("median %.1f s wall (mean %.1f s) over %d seeds, %d worker(s)"
          % (statistics.median(walls), statistics.mean(walls), len(rows), workers))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("throughput")
    t.add_argument("--individuals", type=int, default=200_000)
    t.add_argument("--repeats", type=int, default=5)
    s = sub.add_parser("solve")
    s.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    s.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    if args.command == "throughput":
        throughput(args.individuals, args.repeats)
    else:
        solve(args.seeds, args.workers)


if __name__ == "__main__":
    main()
