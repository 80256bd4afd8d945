"""Whole-run throughput of configs/nonlinear.yaml: one task at a time (T=1), FEC off.

Runs the config's one experiment (its own seed and budget: 1e8 training steps, about
100,000 individuals) and prints individuals per second of evolution, from the first
logbook record (the initial population evaluated: imports, compilation or the cache
load, and the first 1,000 evaluations are excluded) to the last.  Uses only
``load_config``, ``run_experiment`` and the logbook, so the same script times older
versions of azdeap side by side.

    python benchmarks/bench_nonlinear.py [--config configs/nonlinear.yaml] [--seed N]
"""
import argparse
import os

from azdeap.config import load_config
from azdeap.experiment import run_experiment

CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "configs",
                      "nonlinear.yaml")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default=CONFIG)
    parser.add_argument("--seed", type=int, default=None,
                        help="the experiment's seed (default: the config's)")
    args = parser.parse_args(argv)
    config = load_config(args.config)
    seed = config.seed if args.seed is None else args.seed
    logbook = run_experiment(config, seed).logbook
    first, last = logbook[0], logbook[-1]
    individuals = last["individuals"] - first["individuals"]
    seconds = last["elapsed"] - first["elapsed"]
    print("nonlinear.yaml seed %d: %d individuals in %.2f s after the initial population: "
          "%.0f individuals/s; best fitness %.6f"
          % (seed, individuals, seconds, individuals / seconds, last["best"]))


if __name__ == "__main__":
    main()
