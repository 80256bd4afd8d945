"""Does the batch size of eaRegularized change the demo's search?

Runs the same experiment seeds with each batch size (experiments in parallel on a
process pool) and prints the share of experiments that find a sufficient
algorithm, the CPU seconds per experiment, and their ratio: the expected seconds
to a solution.

    python benchmarks/bench_batch.py [--batches 100 10] [--experiments 40] [--workers 2]
"""
import argparse
import dataclasses
import multiprocessing
import os
import sys
import time
from functools import partial

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from azdeap.config import load_config  # noqa: E402
from azdeap.experiment import run_experiment  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[100, 10])
    parser.add_argument("--experiments", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    demo = load_config(None)
    seeds = range(1000, 1000 + args.experiments)
    with multiprocessing.get_context("fork").Pool(args.workers) as pool:
        for batch in args.batches:
            config = dataclasses.replace(
                demo, evolution=dataclasses.replace(demo.evolution, batch=batch))
            start = time.perf_counter()
            results = pool.map(partial(run_experiment, config), seeds)
            seconds = args.workers * (time.perf_counter() - start) / len(results)
            solved = sum(r.select_fitness > demo.experiments.sufficient_fitness
                         for r in results)
            print("batch %4d: %d/%d experiments solved (%.0f%%), %.1f CPU-s per experiment, "
                  "expected %.0f s to a solution" % (
                      batch, solved, len(results), 100 * solved / len(results), seconds,
                      seconds * len(results) / max(solved, 1)), flush=True)


if __name__ == "__main__":
    main()
