"""Hurdles (So et al. 2019; docs/design.md, "Hurdles"), as a fitness wrapper.

An evaluation first runs on a cheap part of the work: the first ``tasks`` tasks and/or
the first ``train`` training examples of each (with all their validation examples).
When that fitness is below the hurdle the evaluation stops there and the cheap fitness
is the result; otherwise the algorithm is evaluated in full, and its train steps are
the cheap run's plus the full run's.  The hurdle is the ``percentile`` of the
population's unique fitnesses; the search loop sets it through ``update_hurdle``::

    hurdles = Hurdles(Evaluator(tasks, memory), tasks=1)
    fec = FEC(hurdles)                      # or hurdles alone
    toolbox.register("evaluate", fec)
    toolbox.register("evaluate_batch", fec.evaluate_batch)
    toolbox.register("update_hurdle", hurdles.update_hurdle)

Before the first update there is no hurdle and every algorithm is evaluated in full.
A copy pickled to a worker process carries the current hurdle to the instance the
worker keeps (``ProcessLocal.received``).
"""
from typing import Optional

import numpy as np

from azdeap.evaluator import BatchFitness, Evaluator, Scores
from azdeap.programs import Programs
from azdeap.space import check_integer


def check_percentile(value, name="percentile"):
    """value as a float if it is a number in [0, 100]; TypeError or ValueError otherwise."""
    problem = "%s must be a number from 0 to 100, got %r" % (name, value)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer,
                                                                     np.floating)):
        raise TypeError(problem)
    if not 0 <= value <= 100:
        raise ValueError(problem)
    return float(value)


class Hurdles(BatchFitness):
    """Stops an evaluation after a cheap part when its fitness is below the hurdle.

    evaluator: the ``Evaluator`` of the full evaluation; tasks: the number of tasks of
    the cheap part (its first tasks; None: all); train: its training examples per task
    (the first ones; None: all); percentile: the hurdle's percentile of the population's
    unique fitnesses.  TypeError or ValueError, one line starting ``Hurdles: ``, unless
    tasks is None or an integer from 1 to the evaluator's tasks, train is None or an
    integer >= 1, percentile is a number from 0 to 100, and the cheap part is smaller
    than the full evaluation.
    """

    def __init__(self, evaluator: Evaluator, tasks: Optional[int] = None,
                 train: Optional[int] = None, percentile: float = 75.0):
        if not isinstance(evaluator, Evaluator):
            raise TypeError("Hurdles: evaluator must be an azdeap.evaluator.Evaluator, got %s"
                            % type(evaluator).__name__)
        n_tasks = len(evaluator.tasks)
        if tasks is not None:
            tasks = check_integer(tasks, "Hurdles: tasks", 1)
            if tasks > n_tasks:
                raise ValueError("Hurdles: tasks must be at most the evaluator's %d tasks, "
                                 "got %d" % (n_tasks, tasks))
        self.train = None if train is None else check_integer(train, "Hurdles: train", 1)
        self.percentile = check_percentile(percentile, "Hurdles: percentile")
        self.tasks = tasks
        most_train = max(task.n_train for task in evaluator.tasks[:tasks or n_tasks])
        if (tasks or n_tasks) == n_tasks and (train is None or train >= most_train):
            raise ValueError("Hurdles: the cheap part (tasks=%s, train=%s) must be smaller "
                             "than the evaluation (%d tasks, up to %d training examples)"
                             % (tasks, train, n_tasks, most_train))
        self.evaluator = evaluator
        self.hurdle: Optional[float] = None
        self.passed = self.stopped = 0
        self._cheap_part()
        self._new_key()

    def _cheap_part(self):
        self.cheap = (self.evaluator if self.tasks is None
                      else self.evaluator.first_tasks(self.tasks))

    def __getstate__(self):
        state = self.__dict__.copy()
        del state["cheap"]   # rebuilt from the evaluator
        state.update(passed=0, stopped=0)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._cheap_part()

    def received(self, state):
        """A later copy brings the sender's hurdle."""
        self.hurdle = state["hurdle"]

    def update_hurdle(self, values) -> None:
        """Set the hurdle to the percentile of the unique values (the population's
        fitness values), interpolated linearly between ranks as ``numpy.percentile``
        does; no values: no hurdle."""
        unique = np.unique(np.asarray(values, np.float64))
        self.hurdle = float(np.percentile(unique, self.percentile)) if len(unique) else None

    def evaluate_programs(self, programs, pruned=False) -> Scores:
        """The ``Scores`` of the programs: the cheap fitness below the hurdle, the full
        fitness (train steps: cheap + full) at or above it.  With a pruning evaluator the
        programs are pruned once, for both runs."""
        programs = Programs.stack(programs)
        if self.hurdle is None:
            self.passed += len(programs)
            return self.evaluator.evaluate_programs(programs, pruned)
        if self.evaluator.prune and not pruned and len(programs) > 1:
            programs, pruned = self.evaluator._live(programs, False)[0], True
        task_fitness, steps, _ = self.cheap.task_fitnesses(programs, self.train, pruned=pruned)
        fitness = np.array(self.cheap.combine(task_fitness))
        passed = np.flatnonzero(fitness >= self.hurdle)
        self.passed += len(passed)
        self.stopped += len(fitness) - len(passed)
        if len(passed):
            full = self.evaluator.evaluate_programs(programs.take(passed), pruned)
            fitness[passed] = full.fitness
            steps[passed] += full.train_steps
        return Scores(fitness, steps, np.zeros(len(fitness), bool))

    def stats(self):
        """Evaluations passed and stopped at the hurdle in this process, the share
        stopped and the current hurdle."""
        total = self.passed + self.stopped
        return {"passed": self.passed, "stopped": self.stopped,
                "stop_rate": self.stopped / total if total else 0.0, "hurdle": self.hurdle}
