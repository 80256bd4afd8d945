"""The toolbox recipe: regularized evolution as AutoML-Zero runs it, in one call.

::

    toolbox = azdeap.toolbox.regularized(space, azdeap.Evaluator(tasks, space.memory))
    toolbox.register("replace", azdeap.selection.replaceWorst)   # change any one piece
    population, logbook = eaRegularized(toolbox.population(1000), toolbox, batch=100,
                                        max_individuals=100_000,
                                        stats=azdeap.toolbox.population_stats())
"""
from functools import partial
from typing import Callable, Optional

import numpy as np
from deap import base, tools

from azdeap.algorithm import Individual, clone
from azdeap.generator import initRandom
from azdeap.mutation import DEFAULT_MUTATIONS, mutAny, mutAnyBatch
from azdeap.selection import replaceOldest, selAgingTournament, selAgingTournamentBatch


def regularized(space, evaluate: Callable, tournsize: int = 10,
                mutations: tuple = DEFAULT_MUTATIONS, mutate_prob: float = 0.9,
                constant_rule: str = "original", container: type = Individual,
                individual: Optional[Callable] = None) -> base.Toolbox:
    """A DEAP toolbox for regularized evolution on a search space.

    It registers ``individual`` (by default ``initRandom(container, space)``),
    ``population``, ``clone`` (:func:`azdeap.algorithm.clone`), ``evaluate`` and,
    when ``evaluate`` has them, ``evaluate_batch`` (an ``Evaluator``, ``FEC`` or
    ``Hurdles``) and ``update_hurdle`` (``Hurdles``),
    ``mutate`` (:func:`azdeap.mutation.mutAny` with ``mutations``, ``mutate_prob`` and
    ``constant_rule``), ``select`` (:func:`azdeap.selection.selAgingTournament` with
    ``tournsize``) and ``replace`` (:func:`azdeap.selection.replaceOldest`).
    """
    toolbox = base.Toolbox()
    toolbox.register("individual", individual or partial(initRandom, container, space))
    toolbox.register("population", tools.initRepeat, list, toolbox.individual)
    toolbox.register("clone", clone)
    toolbox.register("evaluate", evaluate)
    if hasattr(evaluate, "evaluate_batch"):
        toolbox.register("evaluate_batch", evaluate.evaluate_batch)
    if hasattr(evaluate, "update_hurdle"):
        toolbox.register("update_hurdle", evaluate.update_hurdle)
    mutate = dict(space=space, mutations=tuple(mutations), mutate_prob=mutate_prob,
                  constant_rule=constant_rule)
    toolbox.register("mutate", mutAny, **mutate)
    toolbox.register("mutate_batch", mutAnyBatch, **mutate)
    toolbox.register("select", selAgingTournament, tournsize=tournsize)
    toolbox.register("select_batch", selAgingTournamentBatch, tournsize=tournsize)
    toolbox.register("replace", replaceOldest)
    return toolbox


def population_stats() -> tools.Statistics:
    """DEAP Statistics of the first fitness value: mean, stdev and best (max)."""
    stats = tools.Statistics(lambda ind: ind.fitness.values[0])
    stats.register("mean", np.mean)
    stats.register("stdev", np.std)
    stats.register("best", np.max)
    return stats
