"""Fitness: evaluate algorithms on tasks with the numba interpreter.

``Evaluator(tasks, memory)`` is the toolbox's ``evaluate`` (one algorithm ->
``(fitness,)``) and ``evaluate_batch`` (many algorithms in one kernel call).
``evaluate()`` is the one-off convenience; ``Learner`` runs an algorithm on a
user's own data like a scikit-learn estimator.
"""
import warnings

import numpy as np

from azdeap import interpreter
from azdeap.algorithm import Memory
from azdeap.parallel import ProcessLocal
from azdeap.tasks import group_tasks

COMBINATIONS = ("mean", "median")
DEFAULT_MEMORY = Memory()  # 4 scalars, 3 vectors, 1 matrix: the demo's
_STATUS_TEXT = {interpreter.BAD_OP: "unknown op code",
                interpreter.BAD_ADDRESS: "address out of range for the memory",
                interpreter.BAD_INDEX: "index fraction outside [0, 1)"}
_NO_PREDICTIONS = np.zeros((0, 0))


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


def _stack(algorithms):
    """The kernel's view of a list of algorithms: stacked code, data, offsets, sizes."""
    if len(algorithms) == 1:
        alg = algorithms[0]
        return (alg.code, alg.data, np.zeros(1, np.int64),
                np.array([alg.sizes], np.int64))
    sizes = np.array([alg.sizes for alg in algorithms], np.int64)
    lengths = sizes.sum(axis=1)
    offsets = np.zeros(len(algorithms), np.int64)
    np.cumsum(lengths[:-1], out=offsets[1:])
    return (np.concatenate([alg.code for alg in algorithms]),
            np.concatenate([alg.data for alg in algorithms]), offsets, sizes)


def _raise_on_bad_status(status, algorithms, memory):
    if status.any():
        bad = np.flatnonzero(status)
        which = "" if len(algorithms) == 1 else "algorithm %d: " % bad[0]
        raise ValueError("%s%s (memory %d scalars, %d vectors, %d matrices)"
                         % (which, _STATUS_TEXT[int(status[bad[0]])], *memory))


class Evaluator(ProcessLocal):
    """Evaluates algorithms on a fixed list of tasks.

    tasks: a list of ``azdeap.tasks.Task``; memory: a ``Memory``;
    combination: "mean" or "median" (upper median) of the per-task fitnesses;
    max_abs_error: a larger |error| (or NaN) stops that task with fitness 0;
    seed: seeds the generator of the random ops (59-64).
    """

    def __init__(self, tasks, memory=DEFAULT_MEMORY, combination="mean", max_abs_error=100.0,
                 seed=0):
        if combination not in COMBINATIONS:
            raise ValueError("combination must be one of %s, got %r" % (COMBINATIONS, combination))
        self.tasks = list(tasks)
        if not self.tasks:
            raise ValueError("an Evaluator needs at least one task")
        self.memory = Memory(*memory).checked()
        self._memory_sizes = np.array(self.memory, np.int64)
        self.combination = combination
        self.max_abs_error = float(max_abs_error)
        self.rng_state = np.array([seed], np.uint64)
        self.groups = group_tasks(self.tasks)
        self._new_key()

    def __getstate__(self):
        state = self.__dict__.copy()
        del state["groups"]  # the stacked task arrays: rebuilt from the tasks
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.groups = group_tasks(self.tasks)

    def task_fitnesses(self, algorithms, n_train=None, n_valid=None, fingerprint=False,
                       rng_reseed=-1):
        """Run algorithms on every task.

        Returns (fitness (B, n_tasks), train_steps (B,), hashes (B, n_tasks) or None).
        n_train / n_valid limit the run to a prefix of the examples of every task;
        fingerprint hashes the per-example errors (for a functional cache);
        with rng_reseed >= 0 the random ops restart from that seed for each algorithm
        (a fingerprint must not depend on what ran before).
        """
        rng_state = self.rng_state if rng_reseed < 0 else np.zeros(1, np.uint64)
        stacked = _stack(algorithms)
        runs = [self._run_group(stacked, batch, n_train, n_valid, fingerprint, rng_state,
                                rng_reseed, algorithms) for _, batch in self.groups]
        if len(runs) == 1:
            fitness, steps, hashes = runs[0]
        else:  # put each group's tasks back in their places in the task list
            fitness = np.empty((len(algorithms), len(self.tasks)))
            hashes = np.empty((len(algorithms), len(self.tasks)), np.uint64)
            for (indices, _), (group_fitness, _, group_hashes) in zip(self.groups, runs):
                fitness[:, indices] = group_fitness
                hashes[:, indices] = group_hashes
            steps = sum(group_steps for _, group_steps, _ in runs)
        return fitness, steps, (hashes if fingerprint else None)

    def _run_group(self, stacked, batch, n_train, n_valid, fingerprint, rng_state,
                   rng_reseed, algorithms):
        """(fitness, train steps, hashes) of the stacked algorithms on one TaskBatch."""
        code, data, offsets, sizes = stacked
        n_algorithms = len(offsets)
        fitness = np.empty((n_algorithms, batch.n_tasks))
        steps = np.empty(n_algorithms, np.int64)
        hashes = np.empty((n_algorithms, batch.n_tasks), np.uint64)
        status = np.empty(n_algorithms, np.int64)
        interpreter.run_batch(
            code, data, offsets, sizes, batch.train_x, batch.train_y, batch.valid_x,
            batch.valid_y, batch.classification,
            batch.n_train if n_train is None else min(n_train, batch.n_train),
            batch.n_valid if n_valid is None else min(n_valid, batch.n_valid),
            self.max_abs_error,
            np.empty(interpreter.memory_size(self.memory, batch.n_features, batch.n_tasks)),
            self._memory_sizes, True, rng_state, rng_reseed, fingerprint, fitness, steps,
            hashes, status, _NO_PREDICTIONS)
        _raise_on_bad_status(status, algorithms, self.memory)
        return fitness, steps, hashes

    def combine(self, task_fitness):
        """Combine per-task fitnesses (B, n_tasks) into one fitness per algorithm (a list)."""
        n_tasks = task_fitness.shape[1]
        if len(task_fitness) == 1:  # one algorithm: plain Python is faster than numpy
            values = task_fitness[0].tolist()
            return [sum(values) / n_tasks if self.combination == "mean"
                    else sorted(values)[n_tasks // 2]]
        if self.combination == "mean":
            return (task_fitness.sum(axis=1) / n_tasks).tolist()
        return np.sort(task_fitness, axis=1)[:, n_tasks // 2].tolist()

    def evaluate_batch(self, algorithms):
        """A list of ``Evaluation`` tuples, one per algorithm, from one kernel call."""
        if not algorithms:
            return []
        task_fitness, steps, _ = self.task_fitnesses(algorithms)
        return [Evaluation(f, s)
                for f, s in zip(self.combine(task_fitness), steps.tolist())]

    def __call__(self, algorithm):
        return self.evaluate_batch([algorithm])[0]


def evaluate(algorithm, tasks, memory=None, combination="mean", max_abs_error=100.0, seed=0):
    """The combined fitness of one algorithm on tasks (memory: what it uses, by default)."""
    memory = algorithm.memory_used() if memory is None else memory
    return Evaluator(tasks, memory, combination, max_abs_error, seed)(algorithm)[0]


class Learner:
    """An evolved algorithm as a scikit-learn-style estimator.

    ``fit(X, y)`` runs Setup, then Predict and Learn over the rows in order;
    ``predict(X)`` runs Predict only and returns s1 (for classification the
    probability sigmoid(s1)).  Memory persists between calls, as in the original.
    """

    def __init__(self, algorithm, kind="regression", memory=None, seed=0):
        if kind not in ("regression", "classification"):
            raise ValueError("kind must be 'regression' or 'classification', got %r" % (kind,))
        self.algorithm = algorithm
        self.kind = kind
        self.memory = (algorithm.memory_used() if memory is None else Memory(*memory)).checked()
        self.rng_state = np.array([seed], np.uint64)
        self.n_features_ = None

    def _check(self, X, y=None):
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
            raise ValueError("X must be a non-empty 2-D array (examples, features), "
                             "got shape %r" % (X.shape,))
        if self.n_features_ is not None and X.shape[1] != self.n_features_:
            raise ValueError("X has %d features but the learner was fit on %d"
                             % (X.shape[1], self.n_features_))
        if not np.isfinite(X).all():
            raise ValueError("X contains NaN or infinite values")
        if y is None:
            return X, np.zeros(len(X))
        y = np.asarray(y, dtype=np.float64)
        if y.shape != (len(X),):
            raise ValueError("y must have shape (%d,) to match X, got %r" % (len(X), y.shape))
        if not np.isfinite(y).all():
            raise ValueError("y contains NaN or infinite values")
        if self.kind == "classification" and not np.isin(y, (0.0, 1.0)).all():
            raise ValueError("classification labels must be 0 or 1")
        return X, y

    def _run(self, X, y, training):
        n, n_features = X.shape
        x = np.ascontiguousarray(X[:, :, None])
        labels = np.ascontiguousarray(y[:, None])
        empty_x, empty_y = x[:0], labels[:0]
        predictions = np.empty((0 if training else n, 1))
        status = np.empty(1, np.int64)
        steps = np.empty(1, np.int64)
        interpreter.run_batch(
            self.algorithm.code, self.algorithm.data, np.zeros(1, np.int64),
            np.array([self.algorithm.sizes], np.int64),
            x if training else empty_x, labels if training else empty_y,
            empty_x if training else x, empty_y if training else labels,
            np.array([self.kind == "classification"]), n if training else 0,
            0 if training else n, np.inf, self._mem, np.array(self.memory, np.int64), training,
            self.rng_state, -1, False, np.empty((1, 1)), steps,
            np.empty((1, 1), np.uint64), status, predictions)
        _raise_on_bad_status(status, [self.algorithm], self.memory)
        if training and steps[0] < n:
            warnings.warn("Learner.fit stopped at row %d of %d: the prediction was NaN or "
                          "infinite" % (steps[0], n), RuntimeWarning, stacklevel=3)
        return predictions[:, 0]

    def fit(self, X, y):
        """Setup, then Predict and Learn on each row of X (labels y) in order."""
        self.n_features_ = None
        X, y = self._check(X, y)
        self.n_features_ = X.shape[1]
        self._mem = np.zeros(interpreter.memory_size(self.memory, self.n_features_, 1))
        self._run(X, y, training=True)
        return self

    def predict(self, X):
        """Predict each row of X (probabilities of class 1 for classification)."""
        if self.n_features_ is None:
            raise ValueError("call fit before predict")
        X, y = self._check(X)
        predictions = self._run(X, y, training=False)
        if self.kind == "classification":
            return 1.0 / (1.0 + np.exp(-predictions))
        return predictions
