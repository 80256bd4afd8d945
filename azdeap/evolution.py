"""Evolution loops in DEAP style: ``eaRegularized``, regularized (aging) evolution."""
import copy
import time
from functools import partial
from itertools import compress
from typing import Callable, List, Optional, Tuple

import numpy as np
from deap import base, tools

from azdeap.algorithm import clone
from azdeap.programs import Programs
from azdeap.selection import replaceOldest

LOG_FIELDS = ["individuals", "train_steps", "elapsed", "evals", "cached"]


def evaluate_invalid(toolbox: base.Toolbox, individuals: list) -> Tuple[int, int, int]:
    """Evaluate the individuals whose fitness is invalid; returns (evaluations, cache
    hits, train steps).  One ``toolbox.evaluate_batch`` call (list -> list of fitness
    tuples) when the toolbox has it, else ``toolbox.map(toolbox.evaluate, ...)``."""
    invalid = [ind for ind in individuals if not ind.fitness.valid]
    if not invalid:
        return 0, 0, 0
    evaluate_batch = getattr(toolbox, "evaluate_batch", None)
    if evaluate_batch is not None:
        results = evaluate_batch(invalid)
    else:
        results = toolbox.map(toolbox.evaluate, invalid)
    steps = cached = 0
    for ind, fit in zip(invalid, results):
        ind.fitness.values = fit
        steps += getattr(fit, "train_steps", 0)
        cached += getattr(fit, "cached", False)
    return len(invalid), cached, steps


def _parts(function):
    """(function, args, keywords) of a registered operator (a partial) or a plain function."""
    if isinstance(function, partial):
        return function.func, function.args, function.keywords
    return function, (), {}


def batch_form(toolbox: base.Toolbox, name: str) -> Optional[Callable]:
    """``toolbox.<name>_batch`` if it is the batch form of the operator registered as
    ``toolbox.<name>`` (its function's ``batch_of``), with the same arguments; else None.
    ``mutate_batch`` also stands for ``clone``: it needs ``toolbox.clone`` to be
    :func:`azdeap.algorithm.clone` or ``copy.deepcopy`` (DEAP's default)."""
    batch = getattr(toolbox, name + "_batch", None)
    if batch is None:
        return None
    function, args, keywords = _parts(batch)
    batch_of = getattr(function, "batch_of", None)
    if batch_of is None or (batch_of, args, keywords) != _parts(getattr(toolbox, name, None)):
        return None
    if name == "mutate" and _parts(toolbox.clone)[0] not in (clone, copy.deepcopy):
        return None
    return batch


def _wvalues(individuals):
    """The individuals' fitness.wvalues as an (n, objectives) array."""
    return np.array([ind.fitness.wvalues for ind in individuals], np.float64)


def _children(parents, programs, mutated):
    """Copies of the parents holding the programs, fitness deleted where mutated."""
    children = [parent.with_program(*view) for parent, view in zip(parents, programs.views())]
    for child in compress(children, mutated.tolist()):
        del child.fitness.values
    return children


def eaRegularized(population: list, toolbox: base.Toolbox, batch: int = 1,
                  max_individuals: Optional[int] = None, max_train_steps: Optional[int] = None,
                  max_seconds: Optional[float] = None, stats: Optional[tools.Statistics] = None,
                  halloffame: Optional[tools.HallOfFame] = None, verbose: bool = __debug__,
                  progress_every: int = 1000) -> Tuple[list, tools.Logbook]:
    """Regularized (aging) evolution (Real et al. 2019), as AutoML-Zero runs it.

    :param population: a list of individuals in age order, oldest first.
    :param toolbox: a :class:`deap.base.Toolbox` with ``select``, ``clone``, ``mutate``
        and ``evaluate`` (and optionally ``evaluate_batch``, ``replace``, and the batch
        forms ``select_batch`` and ``mutate_batch``).
    :param batch: children bred per cycle; 1 is exactly the original's sequential loop,
        larger batches share the per-call costs of the kernel.
    :param max_individuals, max_train_steps, max_seconds: budgets; the loop stops after
        the first cycle that reaches any of them (at least one is required).
        ``max_individuals`` counts the initial population; ``max_train_steps`` counts
        the training examples the evaluations report.
    :param stats: a :class:`deap.tools.Statistics` of the population, or None.
    :param halloffame: a :class:`deap.tools.HallOfFame` of every individual seen.
    :param verbose: print the logbook as it grows.
    :param progress_every: individuals between logbook records.
    :returns: the final population and a :class:`deap.tools.Logbook`.

    The algorithm, in pseudo-code::

        evaluate(population)
        while no budget is exhausted:
            parents = select(population, batch)
            offspring = [mutate(clone(parent)) for parent in parents]
            evaluate(offspring)        # evaluate_batch when the toolbox has it
            replace(population, offspring)

    with the batch forms, where :func:`batch_form` finds them, instead::

            parents = [population[i] for i in select_batch(fitness, batch)]
            programs, mutated = mutate_batch(Programs.stack(parents))
            offspring = [parent.with_program(*program) for parent, program
                         in zip(parents, programs.views())]   # fitness deleted if mutated

    where ``fitness`` is the population's ``fitness.wvalues`` as an array, kept by the
    loop (shifted along with replaceOldest, read again after any other ``replace``).
    A batch form is used only while it is the batch form of the operator registered
    under its name with the same arguments: re-register ``select`` or ``mutate`` and the
    loop calls what was registered.  The batch forms draw other random numbers than the
    operators, so a seed gives another (equally distributed) run.

    ``replace`` defaults to :func:`azdeap.selection.replaceOldest`: the offspring take
    the places of the oldest individuals, which is what makes the evolution *aging*.
    Unmutated children keep their parent's fitness and are not evaluated again.  Every
    ``progress_every`` individuals the logbook records individuals, train_steps,
    elapsed, evals, cached and the ``stats`` of the population.
    """
    if max_individuals is None and max_train_steps is None and max_seconds is None:
        raise ValueError("eaRegularized needs a budget: max_individuals, max_train_steps "
                         "or max_seconds")
    replace = getattr(toolbox, "replace", replaceOldest)
    logbook = tools.Logbook()
    logbook.header = LOG_FIELDS + (stats.fields if stats else [])
    start = time.perf_counter()
    counts = {"individuals": 0, "train_steps": 0, "evals": 0, "cached": 0}

    def account(individuals: List, evaluated: Tuple[int, int, int]):
        n_evals, n_cached, steps = evaluated
        counts["individuals"] += len(individuals)
        counts["evals"] += n_evals
        counts["cached"] += n_cached
        counts["train_steps"] += steps
        if halloffame is not None:
            halloffame.update(individuals)

    def record():
        entry = dict(counts, elapsed=round(time.perf_counter() - start, 3))
        logbook.record(**entry, **(stats.compile(population) if stats else {}))
        if verbose:
            print(logbook.stream, flush=True)

    def exhausted():
        return ((max_individuals is not None and counts["individuals"] >= max_individuals)
                or (max_train_steps is not None and counts["train_steps"] >= max_train_steps)
                or (max_seconds is not None and time.perf_counter() - start >= max_seconds))

    account(population, evaluate_invalid(toolbox, population))
    record()
    next_record = counts["individuals"] + progress_every
    select, clone, mutate = toolbox.select, toolbox.clone, toolbox.mutate
    select_batch, mutate_batch = batch_form(toolbox, "select"), batch_form(toolbox, "mutate")
    values = _wvalues(population) if select_batch else None
    aging = _parts(replace) == (replaceOldest, (), {})
    while not exhausted():
        if select_batch:
            parents = [population[i] for i in select_batch(values, batch).tolist()]
        else:
            parents = select(population, batch)
        if mutate_batch:
            offspring = _children(parents, *mutate_batch(Programs.stack(parents)))
        else:
            offspring = [mutate(clone(parent))[0] for parent in parents]
        account(offspring, evaluate_invalid(toolbox, offspring))
        replace(population, offspring)
        if select_batch:  # the values follow the population
            values = (np.concatenate((values, _wvalues(offspring)))[-len(population):]
                      if aging else _wvalues(population))
        if counts["individuals"] >= next_record:
            record()
            next_record += progress_every
    if logbook[-1]["individuals"] != counts["individuals"]:
        record()
    return population, logbook
