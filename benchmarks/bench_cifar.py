"""CPU-hours of the paper's CIFAR-10 experiment in the shape of configs/digits.yaml,
from measured throughput.

    python benchmarks/bench_cifar.py [--config configs/digits.yaml] [--individuals 20000]
                                     [--population P] [--seed 1]

Every projected task spec of the config gets a synthetic stand-in of CIFAR-10 (10
overlapping Gaussian classes, 5,000 training and 1,000 test rows each, written to a
temporary .npz) and the paper's sizes: 8,000 training and 2,000 validation examples per
task (the final tasks validate on the 2,000 test rows of their pair). The rows have 64
dimensions instead of 3,072: a task is projected once, when it is built, so the raw
dimension does not change the search's speed. One experiment (``run_experiment``) runs
to ``--individuals`` on one core; printed: individuals/s, train steps/s, the FEC's hit
rate, and the CPU-hours of one experiment and of ``experiments.max`` experiments at the
config's own budget, at that rate. The FEC's hit rate, hence the rate, depends on the data
and on how far the search got, so run it long enough to reach a steady state (the
default 20,000 individuals) and read the figure as an estimate.
"""
import argparse
import dataclasses
import os
import sys
import tempfile
import time

import numpy as np

from azdeap.config import load_config
from azdeap.experiment import check_before_search, run_experiment

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAIN, VALID = 8000, 2000


def cifar_like(path, dimensions=64, seed=0):
    """CIFAR-10's class counts (5,000 + 1,000 per class) as Gaussian clusters in path."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 1.0, (10, dimensions))

    def rows(per_class):
        y = np.repeat(np.arange(10), per_class)
        return centres[y] + rng.normal(0.0, 3.0, (len(y), dimensions)), y
    x, y = rows(5000)
    x_test, y_test = rows(1000)
    np.savez(path, x=x, y=y, x_test=x_test, y_test=y_test)


def at_cifar_scale(config, dataset, individuals, population):
    """config with CIFAR-sized projected tasks, one experiment of `individuals`."""
    def scaled(specs):
        return tuple(dataclasses.replace(spec, dataset=dataset, train=TRAIN, valid=VALID)
                     if spec.kind == "projected" else spec for spec in specs)
    tasks = config.tasks
    evolution = config.evolution
    if population is not None:
        evolution = dataclasses.replace(evolution, population=population)
    return dataclasses.replace(
        config, tasks=dataclasses.replace(tasks, search=scaled(tasks.search),
                                          select=scaled(tasks.select),
                                          final=scaled(tasks.final)),
        evolution=evolution,
        budget=dataclasses.replace(config.budget, max_individuals=individuals,
                                   max_train_steps=None, max_seconds=None))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default=os.path.join(ROOT, "configs", "digits.yaml"))
    parser.add_argument("--individuals", type=int, default=20000)
    parser.add_argument("--population", type=int, help="override the config's population")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    config = load_config(args.config)
    with tempfile.TemporaryDirectory() as directory:
        dataset = os.path.join(directory, "cifar_like.npz")
        cifar_like(dataset)
        scaled = at_cifar_scale(config, dataset, args.individuals, args.population)
        check_before_search(scaled)
        start = time.process_time()
        result = run_experiment(scaled, args.seed)
        cpu = time.process_time() - start
    last = result.logbook[-1]
    rate = last["individuals"] / cpu
    print("CIFAR-10 shape (%d train / %d valid per task), %s: %d individuals in %.1f CPU s: "
          "%.1f individuals/s, %.3g train steps/s, FEC hits %.0f%%"
          % (TRAIN, VALID, os.path.basename(args.config), last["individuals"], cpu, rate,
             last["train_steps"] / cpu, 100.0 * last["cached"] / max(1, last["individuals"])))
    budget = config.budget.max_individuals
    if budget is None:
        print("the config's budget is not in individuals: no CPU-hour estimate")
        return 0
    hours = budget / rate / 3600.0
    experiments = config.experiments.max or 1
    print("at this rate: %.2f CPU-hours per experiment of %d individuals, %.2f for %d "
          "experiment(s)" % (hours, budget, hours * experiments, experiments))
    return 0


if __name__ == "__main__":
    sys.exit(main())
