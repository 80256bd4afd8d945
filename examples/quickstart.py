"""Quickstart: evolve a linear-regression learning algorithm with azdeap's toolbox recipe.

These are the pieces ``python -m azdeap run --config configs/linear.yaml`` assembles from
its config (here with a smaller population, no FEC and no T_select/restarts):

* tasks     -- azdeap.tasks.make_tasks: 10 linear regression tasks (y = w . x)
* fitness   -- azdeap.Evaluator: Setup, then Predict/Learn on the training examples and
               Predict on the validation examples, for all tasks at once
* toolbox   -- azdeap.toolbox.regularized: initRandom individuals, mutAny mutations,
               selAgingTournament + replaceOldest (regularized evolution)
* loop      -- azdeap.evolution.eaRegularized

Run:  python examples/quickstart.py [BUDGET] [--seed N]
BUDGET is the number of individuals (default 50000, a few seconds).  A small budget does
not always find the exact regressor (the original's linear test spends ~100k+
individuals); try a few seeds or a larger budget.
"""
import argparse
import random

from deap import tools

import azdeap
from azdeap import tasks
from azdeap.evolution import eaRegularized

# Memory: 4 scalars (s0 label, s1 prediction, s2, s3), 3 vectors (v0 features, v1, v2),
# 1 matrix.  The ops per component are those of the original's linear integration test:
# Setup may only set constants, Predict may only take dot products, Learn may subtract,
# multiply, scale vectors and add vectors.
SPACE = azdeap.SearchSpace(
    memory=azdeap.Memory(scalars=4, vectors=3, matrices=1),
    ops=(("SCALAR_CONST_SET",),                                           # Setup
         ("VECTOR_INNER_PRODUCT",),                                       # Predict
         ("SCALAR_DIFF", "SCALAR_PRODUCT", "SCALAR_VECTOR_PRODUCT", "VECTOR_SUM")),  # Learn
    sizes=(5, 1, 4),       # initial component lengths
    min_sizes=(5, 1, 4),   # min/max only matter for the insert/remove mutations,
    max_sizes=(6, 2, 5))   # which are not used here: lengths stay fixed


def main(budget=50000, seed=1, population_size=100, verbose=True):
    random.seed(seed)  # generation, mutation and selection all draw from `random`
    # T_search: 10 tasks, 4 features, 100 training + 100 validation examples each.
    search_tasks = tasks.make_tasks("linear", count=10, n_features=4, n_train=100, n_valid=100)
    evaluator = azdeap.Evaluator(search_tasks, SPACE.memory)
    # (A functional equivalence cache would wrap it: azdeap.fec.FEC(evaluator).)
    toolbox = azdeap.toolbox.regularized(SPACE, evaluator, tournsize=10, mutate_prob=0.9)

    hof = tools.HallOfFame(1)
    population, logbook = eaRegularized(
        toolbox.population(population_size), toolbox, batch=10, max_individuals=budget,
        stats=azdeap.toolbox.population_stats(), halloffame=hof, verbose=verbose,
        progress_every=max(budget // 5, 1))

    best = hof[0]
    # Unseen tasks: the original demo's final tasks (other seeds, 1000 training examples).
    final_tasks = tasks.make_tasks("linear", count=100, n_features=4, n_train=1000,
                                   n_valid=100, param_seeds=[2000000], data_seeds=[1000000])
    final_fitness = azdeap.evaluate(best, final_tasks)

    print("best algorithm (search fitness %.6f):" % best.fitness.values[0])
    print(best)  # the paper's notation; azdeap.Algorithm.from_text parses it back
    print("final fitness on %d unseen tasks: %.6f" % (len(final_tasks), final_fitness))
    return {"best": best, "search_fitness": best.fitness.values[0],
            "final_fitness": final_fitness, "logbook": logbook}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("budget", nargs="?", type=int, default=50000,
                        help="individuals to evaluate (default 50000)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    main(args.budget, args.seed)
