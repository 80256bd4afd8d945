"""One whole demo experiment: individuals and train steps per second.

    python benchmarks/bench_experiment.py [--seeds 1 2 3] [--max-train-steps 2e8] [--no-prune]

Runs ``azdeap.experiment.run_experiment`` (evolution on T_search until the budget, then
the candidate's T_select evaluation) once per seed on configs/demo.yaml (that of the
azdeap imported, so each version reads its own) with ``experiments: {max: 1}``, after a short warm-up experiment (imports and numba's cache
loads are excluded).  It uses only API that older azdeap versions have too, and does not
put its own repository on ``sys.path``: run it from another directory to time whichever
azdeap ``import`` finds, e.g. an installed older version against this one on PYTHONPATH.
``--no-prune`` sets ``fitness: {prune: false}`` (versions that have the key) to measure
what running only live code saves.
"""
import argparse
import dataclasses
import os
import statistics
import time

import azdeap
from azdeap.config import load_config
from azdeap.experiment import run_experiment

DEMO = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(azdeap.__file__))),
                    "configs", "demo.yaml")


def demo_config(max_train_steps, prune=True):
    """configs/demo.yaml, one experiment, the given train-step budget; without prune,
    pruning off (only asked of versions that have ``fitness.prune``)."""
    config = load_config(DEMO)
    config = dataclasses.replace(
        config, experiments=dataclasses.replace(config.experiments, max=1),
        budget=dataclasses.replace(config.budget, max_train_steps=int(max_train_steps)))
    if not prune:
        config = dataclasses.replace(config, fitness=dataclasses.replace(config.fitness,
                                                                         prune=False))
    return config


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--max-train-steps", type=float, default=2e8)
    parser.add_argument("--no-prune", action="store_true",
                        help="run dead code too (fitness: {prune: false})")
    args = parser.parse_args(argv)
    config = demo_config(args.max_train_steps, prune=not args.no_prune)
    run_experiment(dataclasses.replace(config, budget=demo_config(2e6).budget), 0)  # warm-up
    print("azdeap from %s; demo experiment, %.3g train steps%s"
          % (os.path.dirname(azdeap.__file__), args.max_train_steps,
             ", pruning off" if args.no_prune else ""))
    rates = []
    for seed in args.seeds:
        start = time.perf_counter()
        result = run_experiment(config, seed)
        seconds = time.perf_counter() - start
        last = result.logbook[-1]
        rates.append((last["individuals"] / seconds, last["train_steps"] / seconds))
        print("seed %d: %6.2f s  %8d individuals  %6.0f individuals/s  %5.2f M train steps/s"
              "  (FEC hits %4.1f%%, search fitness %.4f)"
              % (seed, seconds, last["individuals"], rates[-1][0], rates[-1][1] / 1e6,
                 100 * last["cached"] / max(1, last["evals"]), result.search_fitness),
              flush=True)
    print("median: %.0f individuals/s, %.2f M train steps/s over %d seeds"
          % (statistics.median(r[0] for r in rates),
             statistics.median(r[1] for r in rates) / 1e6, len(rates)))


if __name__ == "__main__":
    main()
