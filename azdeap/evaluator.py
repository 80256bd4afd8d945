"""The evaluator: the fitness of algorithms on tasks, from the numba interpreter.

``Evaluator(tasks, memory)`` is the toolbox's ``evaluate`` (one algorithm ->
``(fitness,)``) and ``evaluate_batch`` (many algorithms in one kernel call);
``evaluate()`` is the one-off convenience.  docs/design.md, "Fitness", defines the
numbers.
"""
import math
import os
from collections import Counter
from typing import NamedTuple

import numpy as np

from azdeap import interpreter
from azdeap.budget import TrainBudget
from azdeap.interpreter import memory_size
from azdeap.liveness import _prune, draws_random
from azdeap.parallel import ProcessLocal
from azdeap.programs import Programs
from azdeap.space import Memory, check_bool, check_integer, check_memory
from azdeap.tasks import Task, check_seed, group_tasks

COMBINATIONS = ("mean", "median")
OVER_BUDGET_HASH = np.uint64(0x6F7665725F627564)   # the fingerprint of a task over budget
_STATUS_TEXT = {interpreter.BAD_OP: "unknown op code",
                interpreter.BAD_ADDRESS: "address out of range for the memory",
                interpreter.BAD_INDEX: "index fraction outside [0, 1)"}


class Evaluation(tuple):
    """``(fitness,)`` as DEAP expects, carrying ``train_steps`` (the training
    examples processed over all tasks: the original's budget unit) and ``cached``
    (True when a functional cache answered)."""

    def __new__(cls, fitness, train_steps=0, cached=False):
        result = tuple.__new__(cls, (fitness,))
        result.train_steps = train_steps
        result.cached = cached
        return result

    def __reduce__(self):
        return Evaluation, (self[0], self.train_steps, self.cached)


class Scores(NamedTuple):
    """The evaluations of a batch as arrays, one entry per algorithm: ``fitness``
    (float64), ``train_steps`` (int64) and ``cached`` (bool), as ``Evaluation`` has them."""
    fitness: np.ndarray
    train_steps: np.ndarray
    cached: np.ndarray

    def evaluations(self) -> list:
        """One ``Evaluation`` per algorithm."""
        return [Evaluation(*row) for row in zip(self.fitness.tolist(),
                                                self.train_steps.tolist(),
                                                self.cached.tolist())]


class BatchFitness(ProcessLocal):
    """Base class of the fitness functions (``Evaluator``, ``FEC``, ``Hurdles``): a
    subclass defines ``evaluate_programs(programs, pruned=False) -> Scores`` on stacked
    programs, and has ``evaluate_batch`` (a list of algorithms -> a list of
    ``Evaluation``) and ``__call__`` (one algorithm -> its ``Evaluation``) from it.
    pruned: the programs hold only their live code already (``liveness.prune_programs``,
    reseeded=False), so a pruning evaluator need not prune them again."""

    def evaluate_batch(self, algorithms) -> list:
        """A list of ``Evaluation`` tuples, one per algorithm (or per program of a
        ``Programs``)."""
        if not len(algorithms):
            return []
        return self.evaluate_programs(Programs.stack(algorithms)).evaluations()

    def __call__(self, algorithm):
        return self.evaluate_batch([algorithm])[0]


def raise_on_bad_status(status, algorithms, memory):
    """ValueError naming the first algorithm whose kernel status is not OK."""
    if np.count_nonzero(status):  # faster than status.any() on small arrays
        bad = np.flatnonzero(status)
        which = "" if len(algorithms) == 1 else "algorithm %d: " % bad[0]
        raise ValueError("%s%s (memory %d scalars, %d vectors, %d matrices)"
                         % (which, _STATUS_TEXT[int(status[bad[0]])], *memory))


def memory_limit():
    """The bytes one evaluation or experiment may need: half of this machine's RAM
    (16 GiB where its size is unknown)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
    except (AttributeError, ValueError, OSError):
        return 16 * 2**30


def evaluation_bytes(memory, task_sizes):
    """The bytes of the largest arrays of evaluating tasks in memory; ``task_sizes`` maps
    (n_features, n_train, n_valid) to a number of tasks.  Counts the examples (each
    task's arrays and the stacked copy) and the kernel's memory and scratch for the
    largest group of equally sized tasks."""
    examples = cells = 0
    for (features, train, valid), count in task_sizes.items():
        examples += 2 * count * (train + valid) * (features + 1)
        scratch = features * (features + 2) * count
        cells = max(cells, memory_size(memory, features, count) + scratch)
    return 8 * (examples + cells)


def check_bytes(need, who, what, error=ValueError):
    """error, one line, if need bytes (of what) exceed ``memory_limit()``."""
    limit = memory_limit()
    if need > limit:
        raise error("%s needs about %.1f GiB (%s), more than the limit of %.1f GiB (half of "
                    "this machine's RAM)" % (who, need / 2**30, what, limit / 2**30))


def _checked_tasks(tasks):
    """tasks as a non-empty list of Tasks, or TypeError or ValueError saying why not."""
    try:
        tasks = list(tasks)
    except TypeError:
        raise TypeError("tasks must be a list of azdeap.tasks.Task, got %s"
                        % type(tasks).__name__) from None
    for i, task in enumerate(tasks):
        if not isinstance(task, Task):
            raise TypeError("tasks[%d] must be an azdeap.tasks.Task, got %s"
                            % (i, type(task).__name__))
    if not tasks:
        raise ValueError("an Evaluator needs at least one task")
    return tasks


def _checked_max_abs_error(value):
    """value as a float if it is a number > 0 (inf allowed)."""
    problem = "max_abs_error must be a number > 0 (inf allowed), got %r" % (value,)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer,
                                                                     np.floating)):
        raise TypeError(problem)
    if not value > 0:
        raise ValueError(problem)
    return float(value)


class Evaluator(BatchFitness):
    """Evaluates algorithms on a fixed list of tasks.

    tasks: a list of ``azdeap.tasks.Task``; memory: a ``Memory``;
    combination: "mean" or "median" (upper median) of the per-task fitnesses;
    max_abs_error: a larger |error| (or NaN) stops that task with fitness 0 (a number
    > 0, inf allowed); seed: seeds the generator of the random ops (59-64), an integer
    in 0..2**63-1; prune: run only the live instructions of each algorithm (the same
    results bit for bit, docs/design.md, "Live code"); train_budget: an
    ``azdeap.budget.TrainBudget`` or None (an algorithm over it on a task is not run
    there: fitness 0, no train steps).  A bad argument is a TypeError or ValueError
    naming it.
    """

    def __init__(self, tasks, memory=Memory(), combination="mean", max_abs_error=100.0,
                 seed=0, prune=True, train_budget=None):
        if train_budget is not None and not isinstance(train_budget, TrainBudget):
            raise TypeError("train_budget must be an azdeap.budget.TrainBudget or None, got %s"
                            % type(train_budget).__name__)
        self.train_budget = train_budget
        self.tasks = _checked_tasks(tasks)
        self.memory = check_memory(memory)
        if not isinstance(combination, str) or combination not in COMBINATIONS:
            raise ValueError("combination must be one of %s, got %r" % (COMBINATIONS, combination))
        self.combination = combination
        self.max_abs_error = _checked_max_abs_error(max_abs_error)
        self.rng_state = np.array([check_seed(seed, "seed")], np.uint64)
        self.prune = check_bool(prune, "prune")
        sizes = Counter((task.n_features, task.n_train, task.n_valid) for task in self.tasks)
        check_bytes(evaluation_bytes(self.memory, sizes), "Evaluator", "memory %r for %d "
                    "tasks, and the task arrays" % (tuple(self.memory), len(self.tasks)))
        self.multiclass = any(task.n_classes for task in self.tasks)
        if self.multiclass:
            interpreter.check_multiclass_memory(self.memory)
        self.groups = group_tasks(self.tasks)
        self._new_key()

    def _live(self, programs, reseeded):
        """(programs pruned for these tasks, status): ``liveness.prune_programs``."""
        return _prune(programs, self.memory, reseeded, multiclass=self.multiclass)

    def __getstate__(self):
        state = self.__dict__.copy()
        del state["groups"]  # the stacked task arrays: rebuilt from the tasks
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.groups = group_tasks(self.tasks)

    def first_tasks(self, n: int) -> "Evaluator":
        """An Evaluator on the first n tasks, with these settings, whose random ops draw
        from this one's generator; TypeError or ValueError unless n is an integer from 1
        to the number of tasks."""
        n = check_integer(n, "n", 1)
        if n > len(self.tasks):
            raise ValueError("n must be at most the %d tasks, got %d" % (len(self.tasks), n))
        part = object.__new__(Evaluator)
        part.__dict__.update(self.__dict__)   # rng_state: the same array, advanced by both
        part.tasks = self.tasks[:n]
        part.groups = group_tasks(part.tasks)
        part._new_key()
        return part

    def task_fitnesses(self, algorithms, n_train=None, n_valid=None, fingerprint=False,
                       rng_reseed=-1, epochs=None, pruned=False):
        """Run algorithms on every task.

        Returns (fitness (B, n_tasks), train_steps (B,), hashes (B, n_tasks) or None).
        n_train / n_valid limit the run to a prefix of the examples of every task;
        fingerprint hashes the per-example errors (for a functional cache);
        with rng_reseed >= 0 the random ops restart from that seed for each algorithm
        (a fingerprint must not depend on what ran before); epochs=1 runs only the first
        epoch of tasks that have more (``interpreter.run``).  n_train and n_valid are
        integers >= 0 (TypeError or ValueError otherwise); with n_valid=0 nothing is
        validated and every fitness is 0.  pruned: the algorithms hold only their live
        code already, as this run would prune it (``liveness.prune_programs`` with
        reseeded as rng_reseed >= 0): not pruned again.
        """
        if n_train is not None:
            n_train = check_integer(n_train, "n_train", 0)
        if n_valid is not None:
            n_valid = check_integer(n_valid, "n_valid", 0)
        programs = costed = Programs.stack(algorithms)   # costed: what the budget counts
        live = None   # the live code as a fingerprint prunes it
        if self.train_budget is not None:   # checked here: over-budget programs do not run
            live, status = self._live(programs, True)
            raise_on_bad_status(status, algorithms, self.memory)
            if self.prune:
                costed = live
        if self.prune and not pruned and len(programs) > 1:   # for one, the call costs more
            same = live is not None and (rng_reseed >= 0 or not draws_random(programs))
            programs = live if same else self._live(programs, rng_reseed >= 0)[0]
        runs = [self._run_group(programs, costed, batch, algorithms, n_train, n_valid,
                                fingerprint, rng_reseed, epochs) for _, batch in self.groups]
        if len(runs) == 1:
            return runs[0].fitness, runs[0].train_steps, runs[0].hashes
        # put each group's tasks back in their places in the task list
        fitness = np.empty((len(algorithms), len(self.tasks)))
        hashes = np.empty((len(algorithms), len(self.tasks)), np.uint64)
        for (indices, _), group in zip(self.groups, runs):
            fitness[:, indices] = group.fitness
            if fingerprint:
                hashes[:, indices] = group.hashes
        steps = sum(group.train_steps for group in runs)
        return fitness, steps, (hashes if fingerprint else None)

    def _run_group(self, programs, costed, batch, algorithms, n_train, n_valid, fingerprint,
                   rng_reseed, epochs):
        """The ``interpreter.RunResult`` of the programs on one TaskBatch; the train
        budget counts the costed programs (the same algorithms)."""
        run = dict(memory=self.memory, rng_state=self.rng_state, n_train=n_train,
                   n_valid=n_valid, max_abs_error=self.max_abs_error, rng_reseed=rng_reseed,
                   fingerprint=fingerprint,
                   epochs=None if epochs is None else min(epochs, batch.epochs))
        over = (None if self.train_budget is None
                else self.train_budget.over(costed, batch.n_train))
        if over is not None and over.any():
            result = self._within_budget(over, programs, batch, run)
        else:
            result = interpreter.run(programs, batch, **run)
        raise_on_bad_status(result.status, algorithms, self.memory)
        return result

    def _within_budget(self, over, programs, batch, run):
        """The RunResult of running (``interpreter.run`` arguments ``run``) only the
        programs not over the train budget: the others get fitness 0, no train steps and
        the hash OVER_BUDGET_HASH per task."""
        n = len(over)
        result = interpreter.RunResult(
            np.zeros((n, batch.n_tasks)), np.zeros(n, np.int64),
            np.full((n, batch.n_tasks), OVER_BUDGET_HASH, np.uint64) if run["fingerprint"]
            else None, np.zeros(n, np.int64), None)
        within = np.flatnonzero(~over)
        if len(within):
            ran = interpreter.run(programs.take(within), batch, **run)
            result.fitness[within] = ran.fitness
            result.train_steps[within] = ran.train_steps
            result.status[within] = ran.status
            if run["fingerprint"]:
                result.hashes[within] = ran.hashes
        return result

    def combine(self, task_fitness):
        """Combine per-task fitnesses (B, n_tasks) into one fitness per algorithm (a list).
        The mean divides the exactly rounded sum (``math.fsum``): an algorithm's fitness
        does not depend on the batch it was evaluated in, nor on the Python version."""
        n_tasks = task_fitness.shape[1]
        rows = task_fitness.tolist()
        if self.combination == "mean":
            if len(rows) == 1:   # the same sum, without the cost of a comprehension
                return [math.fsum(rows[0]) / n_tasks]
            return [math.fsum(row) / n_tasks for row in rows]
        return [sorted(row)[n_tasks // 2] for row in rows]

    def evaluate_programs(self, programs, pruned=False) -> Scores:
        """The ``Scores`` of the programs (a ``Programs`` or a sequence of algorithms),
        from one kernel call per group of equally sized tasks."""
        task_fitness, steps, _ = self.task_fitnesses(programs, pruned=pruned)
        return Scores(np.array(self.combine(task_fitness)), steps, np.zeros(len(steps), bool))

    def evaluate_batch(self, algorithms) -> list:
        """``BatchFitness.evaluate_batch`` without the arrays of ``Scores`` in between (one
        algorithm per call is a common use)."""
        if not len(algorithms):
            return []
        task_fitness, steps, _ = self.task_fitnesses(algorithms)
        return [Evaluation(f, s) for f, s in zip(self.combine(task_fitness), steps.tolist())]


def evaluate(algorithm, tasks, memory=None, combination="mean", max_abs_error=100.0, seed=0):
    """The combined fitness of one algorithm on tasks (memory: what it uses, by default)."""
    memory = algorithm.memory_used() if memory is None else memory
    return Evaluator(tasks, memory, combination, max_abs_error, seed)(algorithm)[0]
