"""Algorithm and Individual: construction, components, memory used, identity, copies and
pickling, and the DEAP conventions resting on ``len`` (the number of instructions)."""
import copy
import pickle
import random
from functools import partial

import numpy as np
import pytest
from deap import base, gp, tools

from azdeap import Algorithm, Evaluator, FitnessMax, Individual, Memory, mutation, ops
from azdeap.algorithm import LEARN, PREDICT, SETUP, clone
from azdeap.evolution import eaRegularized
from azdeap.generator import initNoOp, initRandom
from azdeap.parallel import pack, unpack
from azdeap.programs import Programs
from azdeap.selection import selAgingTournament
from azdeap.space import SearchSpace
from azdeap.toolbox import regularized


def numbered(sizes):
    """An algorithm of SCALAR_CONST_SETs whose constants number the rows 1, 2, 3..."""
    n = sum(sizes)
    code = np.tile(np.array([ops.op_code("SCALAR_CONST_SET"), 0, 0, 1], np.int32), (n, 1))
    data = np.zeros((n, 3))
    data[:, 0] = np.arange(1, n + 1)
    return Algorithm(code, data, sizes)


def constant(text):
    """An algorithm whose Setup sets s2 to the constant written as text."""
    return Algorithm.from_text("def Setup():\n  s2 = %s\ndef Predict():\ndef Learn():" % text)


# -- construction -------------------------------------------------------------------------
def test_without_arrays_every_instruction_is_a_no_op():
    empty = Algorithm()
    assert empty.sizes == (0, 0, 0) and empty.code.shape == (0, 4) and empty.data.shape == (0, 3)
    algorithm = Algorithm(sizes=(2, 1, 3))
    assert algorithm.code.shape == (6, 4) and algorithm.data.shape == (6, 3)
    assert not algorithm.code.any() and not algorithm.data.any()   # NO_OP, zero data


def test_arrays_become_contiguous_int32_and_float64():
    code = np.asfortranarray(np.array([[1, 2, 3, 1], [56, 0, 0, 2]], np.int64))
    algorithm = Algorithm(code, [[0, 0, 0], [1, 0, 0]], (np.int64(1), 1, 0))
    assert algorithm.code.dtype == np.int32 and algorithm.code.flags.c_contiguous
    assert algorithm.data.dtype == np.float64 and algorithm.data.flags.c_contiguous
    assert algorithm.code.tolist() == code.tolist() and algorithm.data[1, 0] == 1.0
    assert algorithm.sizes == (1, 1, 0) and all(type(s) is int for s in algorithm.sizes)


@pytest.mark.parametrize("code_shape, data_shape, sizes", [
    ((3, 4), (3, 3), (1, 1, 0)),     # more rows than the sizes say
    ((2, 4), (1, 3), (1, 1, 0)),     # code and data disagree
    ((2, 3), (2, 3), (1, 1, 0)),     # a missing code column
    ((2, 4), (2, 2), (2, 0, 0)),     # a missing data column
])
def test_arrays_must_match_the_sizes(code_shape, data_shape, sizes):
    n = sum(sizes)
    with pytest.raises(ValueError) as info:
        Algorithm(np.zeros(code_shape), np.zeros(data_shape), sizes)
    assert str(info.value) == ("code must have shape (%d, 4) and data (%d, 3) for sizes %r, got "
                               "%r and %r" % (n, n, sizes, code_shape, data_shape))


def test_len_is_the_number_of_instructions(demo_space):
    assert len(Algorithm()) == 0
    assert len(Algorithm(sizes=(2, 1, 3))) == 6
    random.seed(1)
    individual = initRandom(Individual, demo_space)
    assert len(individual) == sum(demo_space.sizes) == 20
    mutation.mutInsert(individual, demo_space)
    assert len(individual) == 21 == sum(individual.sizes)


# -- components and memory ----------------------------------------------------------------
def test_components_are_views_of_their_rows():
    algorithm = numbered((2, 0, 3))
    assert [algorithm.bounds(c) for c in (SETUP, PREDICT, LEARN)] == [(0, 2), (2, 2), (2, 5)]
    code, data = algorithm.component(LEARN)
    assert data[:, 0].tolist() == [3.0, 4.0, 5.0] and code.shape == (3, 4)
    assert algorithm.component(PREDICT)[0].shape == (0, 4)
    data[0, 0] = 30.0                       # a view: writes reach the algorithm
    assert algorithm.data[2, 0] == 30.0


@pytest.mark.parametrize("listing, memory", [
    ("", Memory(2, 1, 0)),                                 # s0, s1 and v0 always count
    ("  s7 = abs(s3)", Memory(8, 1, 0)),
    ("  v1 = dot(m2, v5)", Memory(2, 6, 3)),
    ("  m0 = outer(v0, v0)", Memory(2, 1, 1)),
    ("  NoOp()", Memory(2, 1, 0)),
])
def test_memory_used_is_the_highest_address_plus_one(listing, memory):
    text = "def Setup():\ndef Predict():\n%s\ndef Learn():" % listing
    assert Algorithm.from_text(text).memory_used() == memory


def test_memory_used_ignores_fields_an_op_does_not_read(readme_regressor):
    assert readme_regressor().memory_used() == Memory(5, 3, 0)
    # SCALAR_ABS reads one input: a stray in2 = 9 is no address
    assert Algorithm([[ops.op_code("SCALAR_ABS"), 3, 9, 1]], None, (1, 0, 0)).memory_used() \
        == Memory(4, 1, 0)


# -- identity -----------------------------------------------------------------------------
def test_equal_programs_are_equal_whatever_the_type(readme_regressor):
    algorithm, individual = readme_regressor(0.01), readme_regressor(0.01, cls=Individual)
    assert algorithm == individual and not algorithm != individual
    assert hash(algorithm) == hash(individual) == algorithm.program_hash()
    assert len({algorithm, individual, readme_regressor(0.01)}) == 1
    assert algorithm != readme_regressor(0.02)
    assert algorithm != str(algorithm) and not algorithm == str(algorithm)


def test_the_same_rows_in_other_components_are_another_program():
    setup, predict = numbered((1, 0, 0)), numbered((0, 1, 0))
    assert np.array_equal(setup.code, predict.code) and np.array_equal(setup.data, predict.data)
    assert setup != predict and hash(setup) != hash(predict)


def test_equality_is_bitwise_as_the_hash():
    """Equal programs hash equal: -0.0 and 0.0 are other programs (1 / s2 differs), and
    a NaN constant is equal to itself."""
    assert constant("0.0") != constant("-0.0")
    assert hash(constant("0.0")) != hash(constant("-0.0"))
    assert constant("nan") == constant("nan") and hash(constant("nan")) == hash(constant("nan"))
    assert len({constant("0.0"), constant("-0.0"), constant("nan"), constant("nan")}) == 3


def test_program_hash_is_the_same_in_every_session(readme_regressor):
    """A 64-bit blake2b of sizes, code and data: not Python's salted hash()."""
    assert readme_regressor(0.01).program_hash() == 0x5C66BCFFA8B4833D


# -- copies and pickles -------------------------------------------------------------------
def test_clone_equals_deepcopy_and_shares_nothing_mutable(readme_regressor):
    individual = readme_regressor(0.01, cls=Individual)
    individual.fitness.values = (0.5,)
    individual.history = [1, 2]
    for copied in (clone(individual), copy.deepcopy(individual)):
        assert type(copied) is Individual and copied == individual
        assert copied.fitness.values == (0.5,) and copied.history == [1, 2]
        assert copied.code is not individual.code and copied.data is not individual.data
        assert copied.fitness is not individual.fitness
        assert copied.history is not individual.history
        copied.code[0, 3] = 3
        copied.data[0, 0] = 0.5
        copied.history.append(3)
        del copied.fitness.values
        assert individual.code[0, 3] == 2 and individual.data[0, 0] == 0.01
        assert individual.history == [1, 2] and individual.fitness.values == (0.5,)


def test_with_program_copies_all_but_the_program(readme_regressor):
    individual = readme_regressor(0.01, cls=Individual)
    individual.fitness.values = (0.5,)
    individual.history = [1, 2]
    code, data = np.zeros((2, 4), np.int32), np.ones((2, 3))
    copied = individual.with_program(code, data, (1, 0, 1))
    assert type(copied) is Individual and copied.sizes == (1, 0, 1)
    assert copied.code is code and copied.data is data                  # as given
    assert copied.fitness.values == (0.5,) and copied.history == [1, 2]
    del copied.fitness.values
    copied.history.append(3)
    assert individual.fitness.values == (0.5,) and individual.history == [1, 2]
    assert individual == readme_regressor(0.01)


def test_individuals_pickle_with_their_fitness(readme_regressor, creator_individual,
                                               linear_tasks):
    evaluate = Evaluator(linear_tasks, Memory(5, 3, 1))
    for cls in (Algorithm, Individual, creator_individual):
        original = readme_regressor(0.01, cls=cls)
        if cls is not Algorithm:
            original.fitness.values = evaluate(original)
        back = pickle.loads(pickle.dumps(original))
        # DEAP 1.4 pickles creator classes by recipe (creator.meta_create): unpickling
        # re-creates them, so compare by name and base, not identity.
        assert type(back).__name__ == cls.__name__ and isinstance(back, Algorithm)
        assert back == original and back is not original
        assert evaluate(back) == evaluate(original)
        if cls is not Algorithm:
            assert back.fitness.valid and back.fitness.values == original.fitness.values
    assert type(pickle.loads(pickle.dumps(Individual()))) is Individual


def test_individual_is_an_algorithm_with_an_unset_fitness_max():
    individual = Individual(sizes=(1, 0, 0))
    assert isinstance(individual, Algorithm) and isinstance(individual.fitness, FitnessMax)
    assert not individual.fitness.valid and FitnessMax.weights == (1.0,)
    assert Individual().fitness is not individual.fitness
    parsed = Individual.from_text(str(individual))
    assert type(parsed) is Individual and parsed == individual
    assert repr(individual) == "<Individual sizes=(1, 0, 0)>\n" + str(individual)


# -- DEAP's size tools: len is the number of instructions ---------------------------------
def test_double_tournament_prefers_the_shorter_of_equally_fit_individuals():
    """fitness_first: two fitness tournaments (of 40: the fit ones A and B win), then
    the shorter of the two winners with probability parsimony_size / 2 = 0.7.  A (2
    instructions) is then chosen 1/4 + 1/2 * 0.7 = 0.6 of the time, B (12) 0.4."""
    population = []
    for size, fitness in ((2, 1.0), (12, 1.0), (2, 0.0), (12, 0.0)):
        individual = Individual(sizes=(size, 0, 0))
        individual.fitness.values = (fitness,)
        population.append(individual)
    random.seed(2)
    chosen = tools.selDoubleTournament(population, 4000, fitness_size=40, parsimony_size=1.4,
                                       fitness_first=True)
    short = sum(ind is population[0] for ind in chosen) / len(chosen)
    long = sum(ind is population[1] for ind in chosen) / len(chosen)
    assert short + long == 1.0                      # the unfit never win
    assert abs(short - 0.6) < 0.03


def test_static_limit_on_len_keeps_the_parent_when_the_child_is_too_long(demo_space):
    random.seed(3)
    parent = initRandom(Individual, demo_space)
    for max_value, expected in ((len(parent), len(parent)), (len(parent) + 1, len(parent) + 1)):
        toolbox = base.Toolbox()
        toolbox.register("mutate", mutation.mutInsert, space=demo_space)
        toolbox.decorate("mutate", gp.staticLimit(key=len, max_value=max_value))
        child, = toolbox.mutate(clone(parent))
        assert len(child) == expected
        assert (child == parent) == (expected == len(parent))


def test_static_limit_caps_the_lengths_that_evolution_favours(demo_space):
    """Fitness = length: every child grows, and gp.staticLimit holds them at 24."""
    random.seed(4)
    toolbox = regularized(demo_space, lambda ind: (float(len(ind)),), mutations=("insert",),
                          mutate_prob=1.0)
    toolbox.decorate("mutate", gp.staticLimit(key=len, max_value=24))
    population, _ = eaRegularized(toolbox.population(10), toolbox, batch=5,
                                  max_individuals=200, verbose=False)
    assert max(len(ind) for ind in population) == 24


# -- the empty algorithm: len 0, falsy, and an individual like any other ------------------
def test_an_empty_algorithm_is_falsy_and_works_everywhere(demo_ops, demo_memory,
                                                          linear_tasks):
    empty = Individual()
    assert len(empty) == 0 and not empty
    assert empty.memory_used() == Memory(2, 1, 0)
    assert str(empty) == "def Setup():\ndef Predict():\ndef Learn():"
    evaluator = Evaluator(linear_tasks[:2], demo_memory)
    squashed = [1 - 2 / np.pi * np.arctan(np.sqrt(np.mean(task.valid_y ** 2)))
                for task in linear_tasks[:2]]          # it predicts 0 everywhere
    assert evaluator(empty)[0] == pytest.approx(np.mean(squashed), rel=1e-12)
    empty.fitness.values = evaluator(empty)
    assert clone(empty) == empty == pickle.loads(pickle.dumps(empty))
    assert unpack(pack([empty, Individual()])) == [empty, Individual()]
    assert Programs.stack([empty]).unstack(Individual) == [empty]
    assert selAgingTournament([empty], 3, tournsize=2) == [empty] * 3
    hall = tools.HallOfFame(2)
    hall.update([empty, clone(empty)])
    assert list(hall) == [empty]                         # similar: one entry
    # evolution from empty individuals (sizes 0, 0, 0)
    space = SearchSpace(demo_memory, (demo_ops,) * 3, (0, 0, 0), (0, 0, 0), (3, 3, 3))
    toolbox = regularized(space, evaluator, mutations=("insert", "remove"), mutate_prob=1.0,
                          individual=partial(initNoOp, Individual, space))
    population, logbook = eaRegularized(toolbox.population(6), toolbox, batch=3,
                                        max_individuals=30, halloffame=hall, verbose=False)
    assert logbook[-1]["individuals"] == 30
    assert 0 < max(len(ind) for ind in population) <= 6     # sizes stay below max 3
