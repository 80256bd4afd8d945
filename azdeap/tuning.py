"""Constant tuning by random search, the paper's rule for baselines and evolved
algorithms alike (docs/design.md, "Experiments")."""
from typing import Callable, List, Sequence, Tuple

import numpy as np

from azdeap import ops
from azdeap.algorithm import Algorithm
from azdeap.space import is_integer
from azdeap.tasks import check_seed

LOG10_RANGE = 3.0   # factors are log-uniform in [10**-3, 10**3]


def constant_fields(algorithm: Algorithm) -> Tuple[np.ndarray, np.ndarray]:
    """(rows, columns) of the algorithm's data fields that hold real constants: the value
    of a constant set, the bounds of a uniform draw, the mean and std of a Gaussian one."""
    rows, columns = [], []
    for row, op in enumerate(algorithm.code[:, 0].tolist()):
        for column in ops.VALUE_FIELDS[ops.OPS[op].data]:
            rows.append(row)
            columns.append(column)
    return np.array(rows, np.int64), np.array(columns, np.int64)


def scale_constants(algorithm: Algorithm, factors: Sequence[float]) -> Algorithm:
    """A copy of algorithm with its constants (``constant_fields`` order) multiplied by
    factors; ValueError unless there is one factor per constant."""
    fields = constant_fields(algorithm)
    factors = np.asarray(factors, np.float64)
    if factors.shape != fields[0].shape:
        raise ValueError("scale_constants: expected %d factors (one per constant), got shape %s"
                         % (len(fields[0]), factors.shape))
    return _scaled(algorithm, fields, factors)


def _scaled(algorithm, fields, factors):
    """A copy of algorithm with the data at fields (rows, columns) times factors."""
    data = algorithm.data.copy()
    data[fields] *= factors
    return algorithm.with_program(algorithm.code.copy(), data, algorithm.sizes)


def tune_constants(algorithm: Algorithm, evaluate_batch: Callable[[List[Algorithm]], list],
                   trials: int = 20, seed: int = 0) -> Tuple[Algorithm, float]:
    """(best algorithm, its fitness) of a random search over algorithm's constants.

    Each of ``trials`` candidates multiplies every constant by its own factor, log-uniform
    in [0.001, 1000] (the paper's tuning rule); the algorithm as given is a candidate too,
    and wins ties. ``evaluate_batch`` maps a list of algorithms to their (fitness, ...)
    tuples, e.g. ``Evaluator.evaluate_batch``; ``seed`` seeds the factors.
    """
    if not is_integer(trials) or trials < 0:
        raise ValueError("trials must be an integer >= 0, got %r" % (trials,))
    rng = np.random.RandomState(check_seed(seed, "seed") % 2**32)
    fields = constant_fields(algorithm)
    n_constants = len(fields[0])
    candidates = [algorithm] + [
        _scaled(algorithm, fields, 10.0 ** rng.uniform(-LOG10_RANGE, LOG10_RANGE, n_constants))
        for _ in range(trials if n_constants else 0)]
    fitnesses = [evaluation[0] for evaluation in evaluate_batch(candidates)]
    best = int(np.argmax(fitnesses))   # the first of the best: the given algorithm on a tie
    return candidates[best], float(fitnesses[best])
