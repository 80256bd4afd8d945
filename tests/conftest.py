"""Shared fixtures: the demo ops and search space, the linear tasks, the README
regressor, a DEAP ``creator`` individual type, the tiny experiment config and the
statistical tests of the operators' distributions.

Immutable values (op tuples, search spaces, tasks, factories) are session-scoped;
everything a test may change (algorithms, config dicts) is made fresh per call.
"""
import collections
import copy
import math
import types

import numpy as np
import pytest
from deap import base, creator

from azdeap import ops, reference
from azdeap.algorithm import Algorithm
from azdeap.space import Memory, SearchSpace
from azdeap.tasks import make_tasks

DEMO_OP_NAMES = ("SCALAR_CONST_SET", "VECTOR_INNER_PRODUCT", "SCALAR_DIFF", "SCALAR_PRODUCT",
                 "SCALAR_VECTOR_PRODUCT", "VECTOR_SUM")


@pytest.fixture(scope="session")
def demo_ops():
    """The codes of the demo's six ops (configs/demo.yaml), in that order."""
    return tuple(ops.op_code(name) for name in DEMO_OP_NAMES)


@pytest.fixture(scope="session")
def demo_memory():
    """The demo's memory: 4 scalars, 3 vectors, 1 matrix (too small for the README
    regressor, which uses s4)."""
    return Memory(4, 3, 1)


@pytest.fixture(scope="session")
def demo_space(demo_ops, demo_memory):
    """The demo ops in every component at the demo sizes (10, 2, 8), with loose bounds
    (1 to 19 instructions) so that INSERT and REMOVE can act."""
    return SearchSpace(demo_memory, (demo_ops,) * 3, (10, 2, 8), (1, 1, 1), (20, 20, 20))


@pytest.fixture(scope="session")
def linear_tasks():
    """The demo's search tasks: 10 linear regression tasks, 4 features, 100 training
    and 100 validation examples, default seeds.  Shared: do not write to them."""
    return make_tasks("linear", 10, 4, 100, 100)


@pytest.fixture(scope="session")
def readme_regressor():
    """Factory of the README's linear regressor: ``readme_regressor(learning_rate=0.001,
    cls=Algorithm)`` is a new algorithm (memory used: 5 scalars, 3 vectors)."""
    return reference.linear_regressor


@pytest.fixture(scope="session")
def creator_individual():
    """``creator.TestInd``: an Algorithm with ``creator.FitnessMax``, registered once."""
    if not hasattr(creator, "FitnessMax"):
        creator.create("FitnessMax", base.Fitness, weights=(1.0,))
    if not hasattr(creator, "TestInd"):
        creator.create("TestInd", Algorithm, fitness=creator.FitnessMax)
    return creator.TestInd


TINY = {
    "seed": 1,
    "tasks": {
        "search": [{"kind": "linear", "count": 3, "features": 4, "train": 100, "valid": 100}],
        "select": [{"kind": "linear", "count": 5, "features": 4, "train": 100, "valid": 100}],
        "final": [{"kind": "linear", "count": 5, "features": 4, "train": 100, "valid": 100,
                   "param_seeds": [2000000], "data_seeds": [1000000]}],
        "randomize_seeds": False,
    },
    "evolution": {"population": 50, "tournament": 5, "batch": 10},
    "budget": {"max_train_steps": None, "max_individuals": 2000},
    "experiments": {"max": 1},
    "progress_every": 500,
}


@pytest.fixture(scope="session")
def tiny_config():
    """Factory of a tiny experiment config dict (one experiment of 2000 individuals on 3
    linear tasks, seed 1): ``tiny_config(**changes)`` updates top-level sections
    shallowly, e.g. ``tiny_config(budget={"max_individuals": 300})``."""
    def tiny(**changes):
        d = copy.deepcopy(TINY)
        for key, value in changes.items():
            if isinstance(value, dict) and isinstance(d.get(key), dict):
                d[key].update(value)
            else:
                d[key] = value
        return d
    return tiny


@pytest.fixture(scope="session")
def blobs():
    """Factory of a labelled dataset file: ``blobs(path, n=300, d=10, classes=3, seed=0,
    **extra_arrays)`` writes Gaussian blobs (``classes`` classes of ``n // classes`` rows
    in ``d`` dimensions) as arrays x and y of an .npz file and returns path."""
    def write(path, n=300, d=10, classes=3, seed=0, **extra):
        rng = np.random.RandomState(seed)
        centers = rng.normal(0, 3, (classes, d))
        y = np.repeat(np.arange(classes), n // classes)
        x = centers[y] + rng.normal(0, 1, (len(y), d))
        np.savez(path, x=x, y=y, **extra)
        return path
    return write


def _chi_square_passes(chi2, df, z=3.719):
    """chi2 below the critical value of df degrees of freedom at p = 1e-4 (z = 3.719),
    by the Wilson-Hilferty approximation."""
    return bool(chi2 < df * (1 - 2 / (9 * df) + z * math.sqrt(2 / (9 * df))) ** 3)


def _chi_square_fits(observed, expected):
    """Whether counts fit their expected values (chi-square goodness of fit)."""
    observed, expected = np.asarray(observed, float), np.asarray(expected, float)
    return _chi_square_passes(((observed - expected) ** 2 / expected).sum(), len(observed) - 1)


def _same_counts(a, b):
    """(whether two samples of categories could share one distribution, the 2-row table):
    chi-square test of homogeneity on the categories seen 20 times or more, the others
    pooled."""
    counts = collections.Counter(a), collections.Counter(b)
    common = [key for key in set(counts[0]) | set(counts[1])
              if counts[0][key] + counts[1][key] >= 20]
    table = np.array([[c[key] for key in common]
                      + [sum(c.values()) - sum(c[key] for key in common)] for c in counts])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return True, table
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    return _chi_square_passes(((table - expected) ** 2 / expected).sum(),
                              table.shape[1] - 1), table


def _same_values(x, y):
    """Whether two samples of reals could share one distribution: two-sample
    Kolmogorov-Smirnov test at p = 1e-4 (asymptotic critical value)."""
    x, y = np.sort(x), np.sort(y)
    grid = np.concatenate([x, y])
    gap = np.abs(np.searchsorted(x, grid, "right") / len(x)
                 - np.searchsorted(y, grid, "right") / len(y)).max()
    return gap < math.sqrt(-math.log(1e-4 / 2) / 2) * math.sqrt((len(x) + len(y))
                                                                / (len(x) * len(y)))


@pytest.fixture(scope="session")
def stat():
    """Statistical tests at p = 1e-4, without scipy: ``stat.fits(observed, expected)``
    (chi-square goodness of fit), ``stat.same_counts(a, b)`` (two samples of categories:
    (verdict, table)) and ``stat.same_values(x, y)`` (two samples of reals, KS)."""
    return types.SimpleNamespace(fits=_chi_square_fits, same_counts=_same_counts,
                                 same_values=_same_values)
