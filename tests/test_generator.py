"""Random instructions and algorithms (docs/design.md, "Random instructions"): addresses,
data and initial algorithms."""
import collections
import random
from functools import partial

import numpy as np
import pytest
from deap import base, tools

from azdeap import generator, ops
from azdeap.algorithm import Algorithm
from azdeap.space import Memory, SearchSpace, check_space

MEMORY = Memory(5, 4, 3)
ALL_OPS = tuple(range(1, ops.NUM_OPS))


def check_row(code_row, data_row, memory):
    """Assert one instruction is in the address and data ranges and canonical."""
    op, in1, in2, out = (int(x) for x in code_row)
    spec = ops.OPS[op]
    inputs = (in1, in2)
    for j in range(2):
        if j < len(spec.inputs):
            assert 0 <= inputs[j] < memory[spec.inputs[j]], (spec.name, code_row)
        else:
            assert inputs[j] == 0, (spec.name, code_row)
    if spec.output == ops.NO_KIND:
        assert out == 0
    else:
        low = 0 if spec.output == ops.MATRIX else 1
        assert low <= out < memory[spec.output], (spec.name, code_row)
    assert all(d == 0.0 for d in data_row[ops.N_DATA[op]:]), (spec.name, data_row)


def draws(op, n=3000, memory=MEMORY):
    rows = [generator.random_instruction((op,), memory) for _ in range(n)]
    return np.array([c for c, _ in rows]), np.array([d for _, d in rows])


@pytest.mark.parametrize("memory", [MEMORY, Memory(40, 40, 40)])  # tables / direct draws
def test_addresses_in_spec_ranges_and_cover_them(memory):
    random.seed(1)
    for op in ALL_OPS:
        spec = ops.OPS[op]
        code, data = draws(op, 800, memory)
        for code_row, data_row in zip(code, data):
            check_row(code_row, data_row, memory)
        for column, kind in enumerate(spec.inputs, 1):  # inputs: all of [0, MAX), s0/v0 too
            assert set(code[:, column]) == set(range(memory[kind])), spec.name
        low = 0 if spec.output == ops.MATRIX else 1  # outputs: never s0 / v0
        assert set(code[:, 3]) == set(range(low, memory[spec.output])), spec.name
        assert (code[:, 0] == op).all()


@pytest.mark.parametrize("path", ["pool", "makers"])
def test_op_then_each_address_uniform(path, demo_ops):
    random.seed(2)
    source = generator.InstructionSource(demo_ops, Memory())
    assert source.pool is not None  # small memory: one table of the whole op list
    if path == "makers":
        source.pool = None
    n = 12000
    rows = [source.draw() for _ in range(n)]
    counts = collections.Counter(code[0] for code, _ in rows)
    assert set(counts) == set(demo_ops)
    assert all(abs(counts[op] / n - 1 / 6) < 0.02 for op in demo_ops), counts
    for code_row, data_row in rows:
        check_row(code_row, data_row, Memory())
    for op in demo_ops:
        code = np.array([c for c, _ in rows if c[0] == op])
        for column, (low, span) in enumerate(generator.field_ranges(op, Memory())[1:], 1):
            if span:
                frequencies = np.bincount(code[:, column] - low, minlength=span) / len(code)
                assert np.allclose(frequencies, 1 / span, atol=0.05), (op, column, frequencies)
    assert generator.instruction_source(demo_ops, Memory(20, 20, 20)).pool is None


@pytest.mark.parametrize("name, low, high", [
    ("SCALAR_CONST_SET", [-1, 0, 0], [1, 0, 0]),
    ("VECTOR_CONST_SET", [0, -1, 0], [1, 1, 0]),
    ("MATRIX_CONST_SET", [0, 0, -1], [1, 1, 1]),
    ("SCALAR_GAUSSIAN_SET", [-1, 0, 0], [1, 1, 0]),
    ("MATRIX_GAUSSIAN_SET", [-1, 0, 0], [1, 1, 0]),
    ("VECTOR_UNIFORM_SET", [-1, -1, 0], [1, 1, 0]),
])
def test_data_ranges(name, low, high):
    random.seed(3)
    _, data = draws(ops.op_code(name), 4000)
    low, high = np.array(low, float), np.array(high, float)
    used = low != high
    assert (data[:, used] >= low[used]).all() and (data[:, used] < high[used]).all()
    assert (data[:, ~used] == 0.0).all()
    # the draws spread over the whole interval, uniformly (mean at the centre)
    assert np.allclose(data[:, used].min(axis=0), low[used], atol=0.01)
    assert np.allclose(data[:, used].max(axis=0), high[used], atol=0.01)
    assert np.allclose(data[:, used].mean(axis=0), (low + high)[used] / 2, atol=0.04)
    if name == "SCALAR_CONST_SET":
        assert (data[:, 0] != -1.0).all()  # open interval


def test_uniform_set_bounds_are_not_sorted_at_creation():
    random.seed(4)
    _, data = draws(ops.op_code("SCALAR_UNIFORM_SET"), 2000)
    unsorted = np.mean(data[:, 0] > data[:, 1])
    assert 0.4 < unsorted < 0.6


def test_ops_without_addresses_in_memory_are_rejected_up_front(demo_ops, demo_space):
    no_matrix = Memory(4, 3, 0)
    for name in ("MATRIX_SUM", "VECTOR_OUTER_PRODUCT", "MATRIX_NORM", "MATRIX_CONST_SET"):
        with pytest.raises(ValueError, match=name):
            generator.random_instruction((ops.op_code(name),), no_matrix)
    with pytest.raises(ValueError, match="SCALAR_SUM"):  # s0 is never an output
        generator.random_instruction((ops.op_code("SCALAR_SUM"),), Memory(1, 3, 1))
    space = demo_space._replace(ops=(demo_ops, (ops.op_code("MATRIX_MEAN"),), ()),
                                memory=no_matrix)
    for function in (check_space, partial(generator.initRandom, Algorithm)):
        with pytest.raises(ValueError, match="MATRIX_MEAN"):
            function(space)
    check_space(demo_space._replace(memory=no_matrix))  # demo ops need no matrix


@pytest.mark.parametrize("memory", [Memory(), Memory(20, 20, 20)])  # pool / makers
def test_random_component(memory, demo_ops):
    random.seed(5)
    code, data = generator.random_component(demo_ops, 60, memory)
    assert code.shape == (60, 4) and code.dtype == np.int32
    assert data.shape == (60, 3) and data.dtype == np.float64
    assert set(code[:, 0]) == set(demo_ops)
    for code_row, data_row in zip(code, data):
        check_row(code_row, data_row, memory)
    constants = code[:, 0] == ops.op_code("SCALAR_CONST_SET")
    assert constants.any() and data[constants, 0].all()  # drawn, not left zero
    code, data = generator.random_component((), 3, Memory())
    assert not code.any() and not data.any() and code.shape == (3, 4)
    code, data = generator.random_component(demo_ops, 0, Memory())
    assert code.shape == (0, 4) and data.shape == (0, 3)


def test_random_algorithm_fills_each_component_from_its_list(demo_memory, creator_individual):
    random.seed(6)
    setup_ops = (ops.op_code("SCALAR_CONST_SET"),)
    learn_ops = (ops.op_code("VECTOR_SUM"), ops.op_code("MATRIX_GAUSSIAN_SET"))
    space = SearchSpace(demo_memory, (setup_ops, (), learn_ops), (3, 2, 40),
                        (0, 0, 0), (9, 9, 99))
    algorithm = generator.initRandom(creator_individual, space)
    assert type(algorithm) is creator_individual and not algorithm.fitness.valid
    assert algorithm.sizes == (3, 2, 40)
    (setup, _), (predict, predict_data), (learn, _) = (algorithm.component(c) for c in range(3))
    assert set(setup[:, 0]) == set(setup_ops)
    assert not predict.any() and not predict_data.any()  # frozen: NO_OPs
    assert set(learn[:, 0]) == set(learn_ops)
    for code_row, data_row in zip(algorithm.code, algorithm.data):
        check_row(code_row, data_row, space.memory)


def test_random_algorithm_is_reproducible_and_varied(demo_space):
    random.seed(7)
    first = generator.initRandom(Algorithm, demo_space)
    second = generator.initRandom(Algorithm, demo_space)
    random.seed(7)
    assert generator.initRandom(Algorithm, demo_space) == first
    assert first != second


def test_noop_algorithm(demo_space, creator_individual):
    algorithm = generator.initNoOp(creator_individual, demo_space)
    assert isinstance(algorithm, creator_individual) and algorithm.sizes == (10, 2, 8)
    assert not algorithm.code.any() and not algorithm.data.any()


def test_deap_toolbox_init(demo_space, creator_individual):
    random.seed(8)
    toolbox = base.Toolbox()
    toolbox.register("individual", generator.initRandom, creator_individual, demo_space)
    toolbox.register("population", tools.initRepeat, list, toolbox.individual)
    population = toolbox.population(n=5)
    assert len(population) == 5 and all(type(i) is creator_individual for i in population)
    assert len({i.program_hash() for i in population}) == 5
