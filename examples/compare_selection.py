"""Compare search schemes on the same budget and seeds: regularized evolution,
non-aging tournament evolution and random search (the paper's baseline).

Every scheme starts from the same toolbox (``azdeap.toolbox.regularized``) and changes
one ``toolbox.register`` line:

    regularized:  (nothing: selAgingTournament + replaceOldest)
    non-aging:    toolbox.register("replace", selection.replaceWorst)
    random:       toolbox.register("mutate", mutation.mutRandomizeAlgorithm, space=space)

The non-aging scheme also swaps the parent selection for DEAP's own
``tools.selTournament``, only to show that DEAP's operators plug in: it draws the same kind
of tournament (with replacement) as ``selAgingTournament``, so the line that matters there
is ``replace``.  In random search every child is a fresh random algorithm, so selection
and replacement do nothing useful; the best algorithm ever seen (the HallOfFame) is what
counts, and it is what is reported for every scheme.

Run:  python examples/compare_selection.py [BUDGET] [--seeds 1 2 3]

The command ``python -m azdeap compare --config configs/linear.yaml`` runs such a
comparison from a config, with success rates and times to the sufficient fitness.
"""
import argparse
import pathlib
import random
import statistics

from deap import tools

import azdeap
from azdeap import mutation, selection, tasks
from azdeap.evolution import eaRegularized
from azdeap.config import load_config

LINEAR_CONFIG = pathlib.Path(__file__).resolve().parents[1] / "configs" / "linear.yaml"

SCHEMES = ("regularized", "non-aging", "random")


def make_toolbox(scheme, space, evaluator):
    toolbox = azdeap.toolbox.regularized(space, evaluator)                   # regularized
    if scheme == "non-aging":
        toolbox.register("replace", selection.replaceWorst)                   # the one line
        # the same tournament, DEAP's own:
        toolbox.register("select", tools.selTournament, tournsize=10)
    elif scheme == "random":
        toolbox.register("mutate", mutation.mutRandomizeAlgorithm, space=space)  # the one line
    elif scheme != "regularized":
        raise ValueError("unknown scheme %r (choose from %s)" % (scheme, ", ".join(SCHEMES)))
    return toolbox


def run(scheme, seed, budget, space, search_tasks, population_size):
    """Best search fitness seen by one scheme with one seed."""
    random.seed(seed)  # same seed => same initial population for every scheme
    evaluator = azdeap.Evaluator(search_tasks, space.memory, seed=seed)
    toolbox = make_toolbox(scheme, space, evaluator)
    hof = tools.HallOfFame(1)
    eaRegularized(toolbox.population(population_size), toolbox, batch=10,
                  max_individuals=budget, halloffame=hof, verbose=False)
    return hof[0].fitness.values[0]


def main(budget=20000, seeds=(1, 2, 3), population_size=100):
    space = load_config(LINEAR_CONFIG).search_space()   # the linear integration test's
    search_tasks = tasks.make_tasks("linear", 10, 4, 100, 100)

    table = {scheme: [run(scheme, seed, budget, space, search_tasks, population_size)
                      for seed in seeds] for scheme in SCHEMES}

    print("best search fitness after %d individuals, seeds %s" % (budget, list(seeds)))
    print("%-12s %10s   %s" % ("scheme", "median", "per seed"))
    for scheme, values in table.items():
        print("%-12s %10.6f   %s" % (scheme, statistics.median(values),
                                     " ".join("%.6f" % v for v in values)))
    return {scheme: statistics.median(values) for scheme, values in table.items()}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("budget", nargs="?", type=int, default=20000,
                        help="individuals per run (default 20000)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args()
    main(args.budget, tuple(args.seeds))
