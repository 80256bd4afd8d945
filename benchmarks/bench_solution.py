"""Expected CPU seconds to a solved demo: experiments x seconds / solutions.

    python benchmarks/bench_solution.py [--seeds 1000 1040] [--config FILE]

The config defaults to configs/demo.yaml of the azdeap imported.  Runs one experiment (``azdeap.experiment.run_experiment``: evolution on T_search, then
the candidate's T_select evaluation) per seed in ``range(first, last)``, one after the
other in this process, after a short warm-up experiment, and prints for each its CPU
seconds and whether its candidate's T_select fitness exceeds the sufficient fitness;
then the share solved and the expected CPU seconds to a solution.  Like
``bench_experiment.py`` it uses only API that older versions have and does not put its
own repository on ``sys.path``: run it from another directory to time whichever azdeap
``import`` finds.
"""
import argparse
import dataclasses
import os
import time

import azdeap
from azdeap.config import load_config
from azdeap.experiment import run_experiment

DEMO = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(azdeap.__file__))),
                    "configs", "demo.yaml")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs=2, default=[1000, 1040],
                        metavar=("FIRST", "STOP"))
    parser.add_argument("--config", default=DEMO)
    args = parser.parse_args(argv)
    config = load_config(args.config)
    warm_up = dataclasses.replace(config, budget=dataclasses.replace(
        config.budget, max_train_steps=int(2e6), max_individuals=None, max_seconds=None))
    run_experiment(warm_up, 0)
    print("azdeap from %s; %s, seeds %d..%d"
          % (os.path.dirname(azdeap.__file__), args.config, args.seeds[0], args.seeds[1] - 1))
    sufficient = config.experiments.sufficient_fitness
    seconds = []
    solved = 0
    for seed in range(*args.seeds):
        start = time.process_time()
        result = run_experiment(config, seed)
        seconds.append(time.process_time() - start)
        solved += result.select_fitness > sufficient
        print("seed %d: %6.2f CPU-s  %8d individuals  select fitness %.6f%s"
              % (seed, seconds[-1], result.logbook[-1]["individuals"], result.select_fitness,
                 "  solved" if result.select_fitness > sufficient else ""), flush=True)
    total = sum(seconds)
    print("%d of %d solved (%.0f%%), %.2f CPU-s per experiment, expected %.1f CPU-s to a "
          "solution" % (solved, len(seconds), 100 * solved / len(seconds), total / len(seconds),
                        total / solved if solved else float("inf")))


if __name__ == "__main__":
    main()
