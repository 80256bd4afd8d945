"""Programs: algorithms stacked into four arrays, and unstacked into new algorithms."""
import pickle
import random

import numpy as np
import pytest

from azdeap import Algorithm, Evaluator, Individual
from azdeap.fec import FEC
from azdeap.generator import initRandom
from azdeap.programs import Programs, ProgramSlots


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


def test_a_programs_is_a_sequence_of_algorithms(algorithms_of):
    algorithms = algorithms_of((1, 2, 0), (0, 0, 0), (2, 1, 1), (0, 3, 0))
    programs = Programs.stack(algorithms)
    assert Programs.stack(programs) is programs
    assert list(programs) == algorithms and programs[-1] == algorithms[-1]
    assert programs[2].code.base is programs.code                          # views
    taken = programs.take([3, 0, 0])
    assert taken.unstack() == [algorithms[3], algorithms[0], algorithms[0]]
    assert taken.offsets.tolist() == [0, 3, 6] and len(programs.take([])) == 0


def test_evaluators_take_a_programs_as_a_list(algorithms_of, linear_tasks, demo_space):
    algorithms = algorithms_of((10, 2, 8), (10, 2, 8), (3, 1, 2))
    programs = Programs.stack(algorithms + algorithms[:1])
    for make in (lambda: Evaluator(linear_tasks[:3], demo_space.memory),
                 lambda: FEC(Evaluator(linear_tasks[:3], demo_space.memory))):
        by_list = make().evaluate_batch(algorithms + algorithms[:1])
        by_programs = make().evaluate_batch(programs)
        assert [(e[0], e.train_steps, e.cached) for e in by_list] == \
            [(e[0], e.train_steps, e.cached) for e in by_programs]


def test_program_slots_take_and_put_by_slot(algorithms_of):
    algorithms = algorithms_of((1, 2, 0), (0, 0, 0), (2, 1, 1), (0, 3, 0))
    slots = ProgramSlots(Programs.stack(algorithms))
    assert len(slots) == 4 and slots.room == 4
    assert slots.take([3, 1, 3]).unstack() == [algorithms[3], algorithms[1], algorithms[3]]
    longer = algorithms_of((5, 5, 5), (0, 1, 0))
    slots.put([1, 2], Programs.stack(longer))                  # room grows to 15
    assert slots.room == 15
    assert slots.take(range(4)).unstack() == [algorithms[0]] + longer + [algorithms[3]]
    assert ProgramSlots(Programs.stack(algorithms_of((0, 0, 0)))).take([0])[0] == \
        Algorithm()


def test_indices_and_sizes_outside_the_arrays_are_refused_before_numba_reads_them():
    programs = Programs(np.zeros((4, 4), np.int32), np.zeros((4, 3)), np.array([0, 2]),
                        np.array([[1, 1, 0], [0, 1, 1]]))
    with pytest.raises(IndexError, match=r"^Programs.take: an index is outside 0..1$"):
        programs.take([10**9])
    with pytest.raises(IndexError, match=r"^Programs.take: an index is outside 0..1$"):
        programs.take([-1])
    with pytest.raises(TypeError, match=r"^Programs.take: indices must be integers, got bool$"):
        programs.take(np.array([True, False]))
    assert len(programs.take([])) == 0 and len(programs.take([1, 0])) == 2
    slots = ProgramSlots(programs)
    with pytest.raises(ValueError, match=r"^ProgramSlots.put: 1 slots for 2 programs$"):
        slots.put([0], programs)
    with pytest.raises(IndexError, match=r"^ProgramSlots.put: an index is outside 0..1$"):
        slots.put([0, 2], programs)
    with pytest.raises(ValueError, match=r"^Programs: program 0 \(offset 0"):
        Programs(np.zeros((4, 4), np.int32), np.zeros((4, 3)), np.array([0]),
                 np.array([[2**62] * 3]))   # the sum would overflow
