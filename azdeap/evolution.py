"""Evolution loops in DEAP style: ``eaRegularized``, regularized (aging) evolution."""
import copy
import gc
import time
from contextlib import contextmanager
from functools import partial
from itertools import compress
from typing import Callable, List, Optional, Tuple

import numpy as np
from deap import base, tools

from azdeap.algorithm import clone
from azdeap.programs import Programs, ProgramSlots
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
        results = list(toolbox.map(toolbox.evaluate, invalid))
    for ind, fit in zip(invalid, results):
        ind.fitness.values = fit
    return _tally(results)


def _tally(results):
    """(evaluations, cache hits, train steps) of evaluation results."""
    cached = steps = 0
    for fit in results:
        cached += getattr(fit, "cached", False)
        steps += getattr(fit, "train_steps", 0)
    return len(results), cached, steps


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


def _first_values(individuals):
    """The individuals' first fitness values as an array."""
    return np.array([ind.fitness.values[0] for ind in individuals], np.float64)


def _children(parents, programs, mutated):
    """Copies of the parents holding the programs, fitness deleted where mutated."""
    children = [parent.with_program(*view) for parent, view in zip(parents, programs.views())]
    for child in compress(children, mutated.tolist()):
        del child.fitness.values
    return children


class _ListBreeding:
    """Cycles on the population list: select or select_batch (on the population's
    fitness array), clone and mutate or mutate_batch, evaluate, replace."""

    def __init__(self, population, toolbox, replace, select_batch, mutate_batch):
        self.population, self.toolbox, self.replace = population, toolbox, replace
        self.select_batch, self.mutate_batch = select_batch, mutate_batch
        self.aging = replace is replaceOldest
        self.wvalues = _wvalues(population) if select_batch else None

    def cycle(self, k):
        """(children, their evaluation counts) of one cycle."""
        population, toolbox = self.population, self.toolbox
        if self.select_batch:
            parents = [population[i] for i in self.select_batch(self.wvalues, k).tolist()]
        else:
            parents = toolbox.select(population, k)
        if self.mutate_batch:
            offspring = _children(parents, *self.mutate_batch(Programs.stack(parents)))
        else:
            clone, mutate = toolbox.clone, toolbox.mutate
            offspring = [mutate(clone(parent))[0] for parent in parents]
        evaluated = evaluate_invalid(toolbox, offspring)
        self.replace(population, offspring)
        if self.select_batch:  # the fitness array follows the population
            self.wvalues = (np.concatenate((self.wvalues, _wvalues(offspring)))
                            [-len(population):] if self.aging else _wvalues(population))
        return offspring, evaluated

    def fitness_values(self):
        """The population's first fitness values, an array."""
        return _first_values(self.population)

    def sync(self):
        """Nothing: the list is always up to date."""


def _programs_form(toolbox):
    """The ``evaluate_programs`` of the object whose ``evaluate_batch`` is registered
    (without arguments) as ``toolbox.evaluate_batch``, if it has one (a ``BatchFitness``:
    it evaluates stacked programs into arrays); else None."""
    evaluate_batch, args, keywords = _parts(getattr(toolbox, "evaluate_batch", None))
    owner = getattr(evaluate_batch, "__self__", None)
    evaluate_programs = getattr(owner, "evaluate_programs", None)
    if (args or keywords or evaluate_programs is None
            or evaluate_batch != getattr(owner, "evaluate_batch", None)):
        return None
    return evaluate_programs


class _ArrayBreeding:
    """Cycles of select_batch and mutate_batch with aging on the population kept as
    arrays: programs in ``ProgramSlots`` used as a ring (``oldest`` is the oldest
    individual's slot), fitness values per slot, wvalues in age order; and per slot the
    individual if made (``made``) and the individual it copies its type and other
    attributes from (``like``: itself once made, else its parent's).  Individuals are
    made for the list only by ``sync``, and each cycle when ``make_children`` (for a hall
    of fame, several fitness values, or an evaluate_batch without ``evaluate_programs``,
    see ``_programs_form``).  The first individual's fitness weights stand for all."""

    def __init__(self, population, toolbox, select_batch, mutate_batch, make_children):
        self.population, self.toolbox = population, toolbox
        self.select_batch, self.mutate_batch = select_batch, mutate_batch
        self.programs = ProgramSlots(Programs.stack(population))
        self.values = np.array([ind.fitness.values for ind in population], np.float64)
        self.weights = np.array(population[0].fitness.weights)
        self.evaluate_programs = (None if make_children or len(self.weights) != 1
                                  else _programs_form(toolbox))
        self.make_children = self.evaluate_programs is None
        self.wvalues = _wvalues(population)
        self.made = list(population)
        self.like = list(population)
        self.oldest = 0

    def cycle(self, k):
        """(children made, or None, and their evaluation counts) of one cycle."""
        n = len(self.made)
        slots = (self.select_batch(self.wvalues, k) + self.oldest) % n
        children, mutated = self.mutate_batch(self.programs.take(slots))
        like = list(map(self.like.__getitem__, slots.tolist()))
        values = self.values[slots]  # the parents', until evaluated
        if self.make_children:
            made = [self._individual(*args) for args in zip(
                like, children.views(), [None if m else tuple(v) for m, v
                                         in zip(mutated.tolist(), values.tolist())])]
            evaluated = evaluate_invalid(self.toolbox, made)
            like = made
            values = np.array([ind.fitness.values for ind in made], np.float64)
        else:
            made = None
            changed = np.flatnonzero(mutated)
            scores = self.evaluate_programs(children.take(changed))
            values[changed, 0] = scores.fitness
            evaluated = (len(changed), int(np.count_nonzero(scores.cached)),
                         int(scores.train_steps.sum()))
        self._replace_oldest(children, values, like, made or [None] * k)
        return made, evaluated

    def _replace_oldest(self, children, values, like, made):
        """replaceOldest: the children take the places (slots) of the oldest."""
        n, k = len(self.made), len(children)
        self.wvalues = np.concatenate((self.wvalues, values * self.weights))[-n:]
        if k > n:  # only the newest n stay
            children, values, like, made = (children.take(np.arange(k - n, k)), values[-n:],
                                            like[-n:], made[-n:])
            k = n
        slots = (self.oldest + np.arange(k)) % n
        self.programs.put(slots, children)
        self.values[slots] = values
        first = min(k, n - self.oldest)  # the slots oldest.., then 0.. after a wrap
        for mine, new in ((self.like, like), (self.made, made)):
            mine[self.oldest:self.oldest + first] = new[:first]
            mine[:k - first] = new[first:]
        self.oldest = (self.oldest + k) % n

    @staticmethod
    def _individual(like, view, fit):
        """A copy of like holding the program view, fitness fit (None: invalid)."""
        individual = like.with_program(*view)
        if fit is None:
            del individual.fitness.values
        else:
            individual.fitness.values = fit
        return individual

    def fitness_values(self):
        """The population's first fitness values, an array (in slot order)."""
        return self.values[:, 0]

    def sync(self):
        """Make the individuals not made yet and put all in the list, oldest first."""
        n = len(self.made)
        order = [(self.oldest + i) % n for i in range(n)]
        unmade = [s for s in order if self.made[s] is None]
        for s, view, values in zip(unmade, self.programs.take(unmade).views(),
                                   self.values[unmade].tolist()):
            self.made[s] = self.like[s] = self._individual(self.like[s], view, tuple(values))
        self.population[:] = [self.made[s] for s in order]


@contextmanager
def _collector_skips_older_objects():
    """Inside the block the cyclic garbage collector skips the objects alive at its start
    (``gc.freeze``): the loop's short-lived objects trigger full collections, which then
    scan only what the loop made, not every module, function and cache entry.  They are
    collected again after the block, unless objects were frozen before it (then the
    caller froze them on purpose, and they stay frozen)."""
    frozen_before = gc.get_freeze_count()
    gc.freeze()
    try:
        yield
    finally:
        if not frozen_before:
            gc.unfreeze()


def eaRegularized(population: list, toolbox: base.Toolbox, batch: int = 1,
                  max_individuals: Optional[int] = None, max_train_steps: Optional[int] = None,
                  max_seconds: Optional[float] = None, stats: Optional[tools.Statistics] = None,
                  halloffame: Optional[tools.HallOfFame] = None, verbose: bool = __debug__,
                  progress_every: int = 1000) -> Tuple[list, tools.Logbook]:
    """Regularized (aging) evolution (Real et al. 2019), as AutoML-Zero runs it.

    :param population: a list of individuals in age order, oldest first.
    :param toolbox: a :class:`deap.base.Toolbox` with ``select``, ``clone``, ``mutate``
        and ``evaluate`` (and optionally ``evaluate_batch``, ``replace``,
        ``update_hurdle`` and the batch forms ``select_batch`` and ``mutate_batch``).
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
        update_hurdle(fitness values of population)   # when the toolbox has it
        while no budget is exhausted:
            parents = select(population, batch)
            offspring = [mutate(clone(parent)) for parent in parents]
            evaluate(offspring)        # evaluate_batch when the toolbox has it
            replace(population, offspring)
            update_hurdle(fitness values of population)

    With the batch forms ``select_batch`` and ``mutate_batch`` (each used only while
    :func:`batch_form` finds it the batch form of the registered ``select``/``mutate``
    with the same arguments; re-register those and the loop calls what was registered)
    and ``replace`` being ``replaceOldest``, a cycle works on arrays kept beside the
    list: ``fitness`` (the population's ``fitness.wvalues``, oldest first) and the
    population's ``programs`` (:class:`azdeap.programs.ProgramSlots`)::

            parents = select_batch(fitness, batch)                  # indices
            children, mutated = mutate_batch(programs.take(parents))
            evaluate_programs(children.take(mutated))    # stacked programs -> arrays
            the children take the places of the oldest in the arrays

    The individuals of the list are made only where needed: each cycle's children when
    there is a ``halloffame``, several fitness values, or an ``evaluate_batch`` that is
    not a ``BatchFitness``'s (``Evaluator``, ``FEC``, ``Hurdles``: those evaluate the
    stacked programs with ``evaluate_programs``), the whole population
    at each logbook record when there are ``stats``, and at the end; each child at most
    once, as a copy of its parent.  With another ``replace`` the loop breeds on the
    list, using either batch form alone (``select_batch`` on the fitness array,
    ``mutate_batch`` on the parents' stacked programs); with both batch forms it makes
    the same run as on the arrays.  The batch forms draw other random numbers than the
    per-individual operators, so a seed gives another (equally distributed) run.

    ``update_hurdle`` (e.g. :meth:`azdeap.hurdles.Hurdles.update_hurdle`) gets an array
    of the population's first fitness values (in no particular order) after the
    initial evaluation and after every cycle.

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
    if _parts(replace) == (replaceOldest, (), {}):
        replace = replaceOldest
    logbook = tools.Logbook()
    logbook.header = LOG_FIELDS + (stats.fields if stats else [])
    start = time.perf_counter()
    counts = {"individuals": 0, "train_steps": 0, "evals": 0, "cached": 0}

    def account(n: int, evaluated: Tuple[int, int, int], individuals: Optional[List]):
        n_evals, n_cached, steps = evaluated
        counts["individuals"] += n
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

    account(len(population), evaluate_invalid(toolbox, population), population)
    update_hurdle = getattr(toolbox, "update_hurdle", None)
    if update_hurdle is not None:
        update_hurdle(_first_values(population))
    record()
    next_record = counts["individuals"] + progress_every
    select_batch, mutate_batch = batch_form(toolbox, "select"), batch_form(toolbox, "mutate")
    if select_batch and mutate_batch and population and replace is replaceOldest:
        breeding = _ArrayBreeding(population, toolbox, select_batch, mutate_batch,
                                  make_children=halloffame is not None)
    else:
        breeding = _ListBreeding(population, toolbox, replace, select_batch, mutate_batch)
    try:
        with _collector_skips_older_objects():
            while not exhausted():
                offspring, evaluated = breeding.cycle(batch)
                account(batch if offspring is None else len(offspring), evaluated, offspring)
                if update_hurdle is not None:
                    update_hurdle(breeding.fitness_values())
                if counts["individuals"] >= next_record:
                    if stats is not None:
                        breeding.sync()
                    record()
                    next_record += progress_every
    finally:
        breeding.sync()
    if logbook[-1]["individuals"] != counts["individuals"]:
        record()
    return population, logbook
