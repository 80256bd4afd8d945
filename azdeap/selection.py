"""Parent selection and survivor policies for regularized evolution.

The population is a list in age order, oldest first.  ``select(population, k)``
picks parents; ``replace(population, offspring)`` decides who leaves, in place.
Regularized (aging) evolution is ``selAgingTournament`` + ``replaceOldest``
(``selAgingTournamentBatch`` draws many tournaments at once from a fitness array); swap
either with one ``toolbox.register`` line to compare schemes, e.g.::

    toolbox.register("select", tools.selTournament, tournsize=10)  # DEAP's own
    toolbox.register("select", tools.selBest)                      # truncation
    toolbox.register("replace", azdeap.selection.replaceWorst)     # kill the worst
    toolbox.register("select", tools.selRandom)                    # no selection
"""
import random
from typing import Sequence

import numpy as np
from numba import njit


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


@njit(cache=True)
def _tournaments(values, k, tournsize, seed):
    np.random.seed(seed)
    n, m = values.shape
    chosen = np.empty(k, np.int64)
    for j in range(k):
        best = int(np.random.random() * n)
        for _ in range(tournsize - 1):
            candidate = int(np.random.random() * n)
            for o in range(m):  # values compared as tuples are
                if values[candidate, o] != values[best, o]:
                    if values[candidate, o] > values[best, o]:
                        best = candidate
                    break
        chosen[j] = best
    return chosen


def selAgingTournamentBatch(values: np.ndarray, k: int, tournsize: int) -> np.ndarray:
    """:func:`selAgingTournament` on an array: the indices of k tournament winners among
    the rows of values, the individuals' ``fitness.wvalues`` as an (n, objectives) array.
    The same rules and distribution, from numba's generator seeded by one draw of
    Python's ``random``: ``random.seed(s)`` fixes the winners, which differ from those
    selAgingTournament would pick."""
    values = np.asarray(values, np.float64)
    if values.ndim == 1:
        values = values[:, None]
    if k > 0 and not len(values):
        raise ValueError("cannot select from an empty population")
    return _tournaments(values, int(k), int(tournsize), random.getrandbits(32))


selAgingTournamentBatch.batch_of = selAgingTournament  # see azdeap.evolution.batch_form


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
