"""Parent selection and survivor policies for regularized evolution.

The population is a list in age order, oldest first.  ``select(population, k)``
picks parents; ``replace(population, offspring)`` decides who leaves, in place.
Regularized (aging) evolution is ``selAgingTournament`` + ``replaceOldest``; swap
either with one ``toolbox.register`` line to compare schemes, e.g.::

    toolbox.register("select", tools.selTournament, tournsize=10)  # DEAP's own
    toolbox.register("select", tools.selBest)                      # truncation
    toolbox.register("replace", azdeap.selection.replaceWorst)     # kill the worst
    toolbox.register("select", tools.selRandom)                    # no selection
"""
import random
from typing import Sequence


def selAgingTournament(individuals: Sequence, k: int, tournsize: int) -> list:
    """k tournament winners, each the best of ``tournsize`` individuals drawn
    uniformly with replacement (ties keep the first drawn), as the original."""
    rand = random.random
    n = len(individuals)
    chosen = []
    for _ in range(k):
        best = individuals[int(rand() * n)]
        best_values = best.fitness.wvalues
        for _ in range(tournsize - 1):
            candidate = individuals[int(rand() * n)]
            values = candidate.fitness.wvalues
            if values > best_values:
                best, best_values = candidate, values
        chosen.append(best)
    return chosen


def replaceOldest(population: list, offspring: Sequence) -> None:
    """Aging: the offspring replace the oldest individuals (the front of the list);
    the population keeps its size."""
    size = len(population)
    population.extend(offspring)
    del population[:len(population) - size]


def replaceWorst(population: list, offspring: Sequence) -> None:
    """Kill the worst: the offspring replace the worst individuals (the oldest of
    them on ties); the population stays in age order."""
    population.extend(offspring)
    ranked = sorted(range(len(population)), key=lambda i: population[i].fitness.wvalues)
    for i in sorted(ranked[:len(offspring)], reverse=True):
        del population[i]
