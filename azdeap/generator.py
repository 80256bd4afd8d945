"""The generator: random instructions, components and algorithms (docs/design.md,
"Random instructions").

Randomness comes from Python's ``random`` module, so ``random.seed(s)`` makes
everything reproducible.  For speed, an op list is turned once per memory into an
:class:`InstructionSource` (tables of every address combination, so that one or two
draws make an instruction); :func:`compile_space` holds those of a search space.
DEAP use::

    toolbox.register("individual", initRandom, creator.Individual, space)
    toolbox.register("population", tools.initRepeat, list, toolbox.individual)
"""
import itertools
import math
import random
from functools import lru_cache
from typing import NamedTuple, Sequence

import numpy as np

from azdeap import ops
from azdeap.algorithm import CODE_COLUMNS, DATA_COLUMNS
from azdeap.space import LOWEST_OUTPUT, Memory, SearchSpace, check_op, check_space

_random = random.random  # the global Random instance: random.seed() reseeds it
ZERO_DATA = (0.0, 0.0, 0.0)
TABLE_LIMIT = 1024  # ops with at most this many address combinations draw from a table
POOL_LIMIT = 1 << 14  # largest pool of (row, data drawer) entries of an op list


def _hashable(memory):
    return memory if isinstance(memory, tuple) else tuple(memory)


def _open_unit_const():
    value = -1.0
    while value == -1.0:  # open interval (-1, 1)
        value = 2.0 * _random() - 1.0
    return value, 0.0, 0.0


# Data of a newly created instruction, by op data kind.
DRAW_DATA = {
    ops.CONST: _open_unit_const,
    ops.VECTOR_CONST: lambda: (_random(), 2.0 * _random() - 1.0, 0.0),
    ops.MATRIX_CONST: lambda: (_random(), _random(), 2.0 * _random() - 1.0),
    ops.UNIFORM: lambda: (2.0 * _random() - 1.0, 2.0 * _random() - 1.0, 0.0),
    ops.GAUSSIAN: lambda: (2.0 * _random() - 1.0, _random(), 0.0),
}


def field_ranges(op, memory):
    """``(None, in1, in2, out)``: per code column the ``(low, span)`` its address is
    drawn from (``low + int(random() * span)``); span 0 for a field the op does not use."""
    spec = ops.OPS[op]
    ranges = [None, (0, 0), (0, 0), (0, 0)]
    for column, kind in enumerate(spec.inputs, 1):
        ranges[column] = (0, memory[kind])
    if spec.output != ops.NO_KIND:
        low = LOWEST_OUTPUT[spec.output]
        ranges[3] = (low, max(memory[spec.output] - low, 0))
    return tuple(ranges)


def _code_rows(op, memory):
    """Every code row of op (all address combinations), or None if more than TABLE_LIMIT."""
    axes = [range(low, low + span) if span else (0,) for low, span in field_ranges(op, memory)[1:]]
    if math.prod(map(len, axes)) > TABLE_LIMIT:
        return None
    return tuple((op,) + fields for fields in itertools.product(*axes))


def _zero_data():
    return ZERO_DATA


def _maker(op, memory):
    """A function returning a random instruction of op (ValueError if memory can't hold it)."""
    check_op(op, memory)
    spec = ops.OPS[op]
    ranges = field_ranges(op, memory)
    r, rows = _random, _code_rows(op, memory)
    draw_data = DRAW_DATA.get(spec.data, _zero_data)
    if rows:
        n = len(rows)
        return lambda: (rows[int(r() * n)], draw_data())
    (_, n1), (_, n2), (low, n_out) = ranges[1:]  # an unused field: int(r() * 0) = 0
    return lambda: ((op, int(r() * n1), int(r() * n2), low + int(r() * n_out)), draw_data())


def _pool(op_codes, memory):
    """``(code_row, draw_data or None)`` entries, every op the same number of times and its
    address combinations equally often within it, so one uniform pick draws an instruction;
    None if too large."""
    tables = [_code_rows(op, memory) for op in op_codes]
    if not tables or any(rows is None for rows in tables):
        return None
    length = math.lcm(*map(len, tables))
    if length * len(tables) > POOL_LIMIT:
        return None
    return tuple(itertools.chain.from_iterable(
        tuple((row, DRAW_DATA.get(ops.OPS[op].data)) for row in rows) * (length // len(rows))
        for op, rows in zip(op_codes, tables)))


class InstructionSource:
    """Random instructions of an op list for a memory: the op
    uniform, then each address and data field uniform in its range.  Built (and checked)
    once per op list and memory by :func:`instruction_source`."""

    def __init__(self, op_codes, memory):
        self.op_codes = tuple(ops.op_code(op) for op in op_codes)
        self.makers = tuple(_maker(op, memory) for op in self.op_codes)
        self.pool = _pool(self.op_codes, memory)  # the fast path, for small memories

    def draw(self):
        """``(code_row, data_row)`` of a new random instruction."""
        pool = self.pool
        if pool:
            row, draw_data = pool[int(_random() * len(pool))]
            return row, draw_data() if draw_data else ZERO_DATA
        if not self.makers:
            raise ValueError("no op to draw a random instruction from")
        return self.makers[int(_random() * len(self.makers))]()

    def fill(self, code, data):
        """Overwrite every row of the views code/data with a random instruction (with
        NO_OPs if the op list is empty).  Row by row: faster than lists for short ones."""
        data[:] = 0.0
        pool, makers = self.pool, self.makers
        if pool:
            n = len(pool)
            for i in range(len(code)):
                code[i], draw_data = pool[int(_random() * n)]
                if draw_data:
                    data[i] = draw_data()
        elif makers:
            n = len(makers)
            for i in range(len(code)):
                code[i], values = makers[int(_random() * n)]()
                if values is not ZERO_DATA:
                    data[i] = values
        else:
            code[:] = 0


@lru_cache(maxsize=None)
def instruction_source(op_codes, memory):
    """The cached InstructionSource of a tuple of ops (codes or names) and a memory tuple."""
    return InstructionSource(op_codes, memory)


def random_instruction(op_codes: Sequence, memory: Memory) -> tuple:
    """``(code_row, data_row)``: an op drawn uniformly from op_codes, random addresses and data."""
    return instruction_source(tuple(op_codes), _hashable(memory)).draw()


def random_component(op_codes: Sequence, size: int, memory: Memory) -> tuple:
    """``(code, data)`` arrays of size random instructions (all NO_OPs if op_codes is empty)."""
    code = np.zeros((size, CODE_COLUMNS), np.int32)
    data = np.zeros((size, DATA_COLUMNS))
    instruction_source(tuple(op_codes), _hashable(memory)).fill(code, data)
    return code, data


class CompiledSpace(NamedTuple):
    """What the generators and mutators need of a SearchSpace, computed once."""
    mutable: tuple   # indices of the components with a non-empty op list
    sources: tuple   # per component, the InstructionSource of its ops
    ranges: tuple    # per op code, field_ranges(op, memory)


_BY_ID = {}  # id(space) -> (space, CompiledSpace): the fast lookup for a toolbox's space


@lru_cache(maxsize=64)
def _compile(space):
    space = check_space(space)
    memory = space.memory
    return CompiledSpace(
        tuple(space.mutable_components()),
        tuple(instruction_source(tuple(op_codes), memory) for op_codes in space.ops),
        tuple(field_ranges(op, memory) for op in range(ops.NUM_OPS)))


def compile_space(space):
    """The CompiledSpace of space (cached by identity, then by value, so that the
    copies a worker unpickles share one); ``azdeap.space.SpaceError`` if the memory
    cannot run it."""
    entry = _BY_ID.get(id(space))
    if entry is None or entry[0] is not space:
        if len(_BY_ID) > 64:
            _BY_ID.clear()
        entry = _BY_ID[id(space)] = (space, _compile(space))
    return entry[1]


def initRandom(container: type, space: SearchSpace):
    """A random algorithm of type container: each component at its initial size,
    filled from its op list (a frozen component with NO_OPs)."""
    compiled = compile_space(space)
    n = sum(space.sizes)
    code = np.zeros((n, CODE_COLUMNS), np.int32)
    data = np.zeros((n, DATA_COLUMNS))
    start = 0
    for size, source in zip(space.sizes, compiled.sources):
        source.fill(code[start:start + size], data[start:start + size])
        start += size
    return container(code, data, space.sizes)


def initNoOp(container: type, space: SearchSpace):
    """An algorithm of type container with all NO_OPs at the initial sizes."""
    return container(None, None, space.sizes)
