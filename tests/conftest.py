"""Shared fixtures: the demo ops and search space, the linear tasks, the README
regressor, a DEAP ``creator`` individual type and the tiny experiment config.

Immutable values (op tuples, search spaces, tasks, factories) are session-scoped;
everything a test may change (algorithms, config dicts) is made fresh per call.
"""
import copy

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
