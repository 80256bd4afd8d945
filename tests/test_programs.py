"""Programs: algorithms stacked into four arrays, and unstacked into new algorithms."""
import pickle
import random

import numpy as np
import pytest

from azdeap import Algorithm, Individual
from azdeap.generator import initRandom
from azdeap.programs import Programs


@pytest.fixture
def algorithms_of(demo_space):
    """Random demo algorithms of the given component sizes, seeded."""
    def make(*sizes):
        random.seed(len(sizes))
        return [initRandom(Algorithm, demo_space._replace(sizes=s)) for s in sizes]
    return make


def test_stack_puts_the_algorithms_one_after_another(algorithms_of):
    algorithms = algorithms_of((1, 2, 0), (0, 0, 0), (0, 0, 3), (2, 1, 1))
    programs = Programs.stack(algorithms)
    assert len(programs) == 4
    assert programs.offsets.tolist() == [0, 3, 3, 6]
    assert programs.sizes.tolist() == [[1, 2, 0], [0, 0, 0], [0, 0, 3], [2, 1, 1]]
    assert programs.code.dtype == np.int32 and programs.code.shape == (10, 4)
    assert programs.data.dtype == np.float64 and programs.data.shape == (10, 3)
    assert np.array_equal(programs.code, np.concatenate([a.code for a in algorithms]))
    assert np.array_equal(programs.data, np.concatenate([a.data for a in algorithms]))


@pytest.mark.parametrize("sizes", [
    [],                                        # no algorithm
    [(2, 1, 3)],                               # one: stacked without a copy
    [(0, 0, 0)],                               # one empty algorithm
    [(0, 0, 0), (0, 0, 0)],
    [(1, 2, 0), (0, 0, 0), (0, 0, 3), (4, 1, 1)],
])
def test_unstack_gives_back_equal_independent_algorithms(algorithms_of, sizes):
    algorithms = algorithms_of(*sizes)
    programs = Programs.stack(algorithms)
    back = programs.unstack()
    assert len(programs) == len(back) == len(algorithms)
    assert back == algorithms and all(type(a) is Algorithm for a in back)
    for copy in back:
        copy.code[:, 3] = 2
        copy.data[:] = 7.0
    assert algorithms == algorithms_of(*sizes)             # the originals are untouched...
    assert programs.unstack() == algorithms                # ...and so are the programs


def test_views_are_each_programs_rows(algorithms_of):
    algorithms = algorithms_of((1, 2, 0), (0, 0, 0), (2, 1, 1))
    programs = Programs.stack(algorithms)
    views = list(programs.views())
    assert [sizes for _, _, sizes in views] == [(1, 2, 0), (0, 0, 0), (2, 1, 1)]
    for (code, data, _), algorithm in zip(views, algorithms):
        assert np.array_equal(code, algorithm.code) and np.array_equal(data, algorithm.data)
        assert code.base is programs.code and data.base is programs.data


def test_programs_pickle(algorithms_of):
    algorithms = algorithms_of((1, 2, 0), (0, 0, 3))
    back = pickle.loads(pickle.dumps(Programs.stack(algorithms)))
    assert back.offsets.tolist() == [0, 3] and back.sizes.tolist() == [[1, 2, 0], [0, 0, 3]]
    assert back.unstack() == algorithms


def test_unstack_makes_individuals_each_with_its_own_fitness(algorithms_of,
                                                             creator_individual):
    programs = Programs.stack(algorithms_of((1, 1, 1), (2, 2, 2), (0, 1, 0)))
    for cls in (Individual, creator_individual):
        individuals = programs.unstack(cls)
        assert [type(ind) for ind in individuals] == [cls] * 3
        assert not any(ind.fitness.valid for ind in individuals)
        individuals[0].fitness.values = (1.0,)
        assert not individuals[1].fitness.valid and not individuals[2].fitness.valid
        assert individuals == programs.unstack()
