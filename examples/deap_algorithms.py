"""Evolve AutoML-Zero algorithms with DEAP's own loops: eaSimple and eaMuPlusLambda.

azdeap individuals are ordinary DEAP individuals, so DEAP's generational algorithms work
on them unchanged.  Two things to know:

* DEAP's loops call ``toolbox.mate``.  AutoML-Zero has no crossover, so register a mate
  that hands the two individuals back unchanged and pass ``cxpb=0``.
* Mutation is ``azdeap.mutation.mutAny``; it invalidates the fitness itself, and DEAP's
  loops delete it again after mutating (harmless).

Individual types: this script builds them with ``creator.create`` on top of
``azdeap.Algorithm``.  ``azdeap.Individual`` (an Algorithm with a ready-made maximized
``azdeap.FitnessMax``) is the alternative that needs no creator and pickles anywhere.

Run:  python examples/deap_algorithms.py [GENERATIONS] [--seed N]
"""
import argparse
import pathlib
import random

from deap import algorithms, base, creator, tools

import azdeap
from azdeap import tasks
from azdeap.config import load_config

LINEAR_CONFIG = pathlib.Path(__file__).resolve().parents[1] / "configs" / "linear.yaml"

# creator.create registers classes globally in deap.creator; guard so that importing this
# module twice (or next to other code using the same names) does not warn/overwrite.
if not hasattr(creator, "AZFitnessMax"):
    creator.create("AZFitnessMax", base.Fitness, weights=(1.0,))
if not hasattr(creator, "AZIndividual"):
    creator.create("AZIndividual", azdeap.Algorithm, fitness=creator.AZFitnessMax)


def no_crossover(ind1, ind2):
    """AutoML-Zero has no crossover: return both parents unchanged."""
    return ind1, ind2


def make_toolbox(space, search_tasks):
    """The recipe with creator individuals, always mutating, DEAP's tournament and no mate."""
    toolbox = azdeap.toolbox.regularized(space, azdeap.Evaluator(search_tasks, space.memory),
                                         mutate_prob=1.0, container=creator.AZIndividual)
    toolbox.register("mate", no_crossover)
    toolbox.register("select", tools.selTournament, tournsize=10)
    # DEAP's loops map toolbox.evaluate over the invalid individuals (no evaluate_batch).
    return toolbox


def main(generations=30, seed=1, mu=100, lambda_=200, verbose=True):
    random.seed(seed)
    # The search space of the original's linear integration test, from its config
    # (examples/quickstart.py spells the same space out by hand).
    space = load_config(LINEAR_CONFIG).search_space()
    search_tasks = tasks.make_tasks("linear", 10, 4, 100, 100)
    toolbox = make_toolbox(space, search_tasks)
    stats = azdeap.toolbox.population_stats()
    results = {}

    # 1. eaSimple: each generation selects len(population) parents by tournament, clones
    #    them, (never) mates them, mutates each with probability mutpb, re-evaluates.
    hof = tools.HallOfFame(1)
    population = toolbox.population(mu)
    algorithms.eaSimple(population, toolbox, cxpb=0.0, mutpb=1.0, ngen=generations,
                        stats=stats, halloffame=hof, verbose=verbose)
    results["eaSimple"] = hof[0]

    # 2. eaMuPlusLambda: lambda_ children by mutation (cxpb + mutpb <= 1; cxpb = 0), then
    #    the next mu survivors are selected from parents + children.
    hof = tools.HallOfFame(1)
    population = toolbox.population(mu)
    algorithms.eaMuPlusLambda(population, toolbox, mu=mu, lambda_=lambda_, cxpb=0.0,
                              mutpb=1.0, ngen=generations, stats=stats, halloffame=hof,
                              verbose=verbose)
    results["eaMuPlusLambda"] = hof[0]

    for name, best in results.items():
        print("%s best (fitness %.6f, type %s):" % (name, best.fitness.values[0],
                                                    type(best).__name__))
        print(best)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("generations", nargs="?", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    main(args.generations, args.seed)
