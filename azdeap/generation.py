"""Random instructions, components and algorithms (SPEC sections 1, 2 and 5).

Randomness comes from Python's ``random`` module, so ``random.seed(s)`` makes
everything reproducible.  For speed, every op is turned once per memory into a
*maker*, a function of no arguments returning ``(code_row, data_row)`` tuples;
:func:`compile_space` holds the makers of a search space.  DEAP use::

    toolbox.register("individual", random_algorithm, space, cls=creator.Individual)
    toolbox.register("population", tools.initRepeat, list, toolbox.individual)
"""
import itertools
import math
import random
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from azdeap import ops
from azdeap.algorithm import CODE_COLUMNS, DATA_COLUMNS, Algorithm

_random = random.random  # the global Random instance: random.seed() reseeds it
ZERO_DATA = (0.0, 0.0, 0.0)
TABLE_LIMIT = 1024  # ops with at most this many address combinations draw from a table
_OUT_LOW = {ops.SCALAR: 1, ops.VECTOR: 1, ops.MATRIX: 0}  # s0 (label), v0 (features) read-only


def _hashable(memory):
    return memory if isinstance(memory, tuple) else tuple(memory)


def _open_unit_const():
    value = -1.0
    while value == -1.0:  # open interval (-1, 1)
        value = 2.0 * _random() - 1.0
    return value, 0.0, 0.0


# Data of a newly created instruction (SPEC section 2), by op data kind.
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
        low = _OUT_LOW[spec.output]
        ranges[3] = (low, max(memory[spec.output] - low, 0))
    return tuple(ranges)


def _maker(op, memory):
    """A function returning a random instruction of op (ValueError if memory can't hold it).
    Up to TABLE_LIMIT address combinations are enumerated once, to draw them in one go."""
    spec = ops.OPS[op]
    ranges = field_ranges(op, memory)
    used = ranges[1:1 + len(spec.inputs)] + (ranges[3:] if spec.output != ops.NO_KIND else ())
    if not all(span for _, span in used):
        raise ValueError("op %s cannot be used with %r: no address of one of its operand kinds "
                         "(outputs never write s0 or v0)" % (spec.name, memory))
    r = _random
    draw_data = DRAW_DATA.get(spec.data)
    axes = [range(low, low + span) if span else (0,) for low, span in ranges[1:]]
    if draw_data or math.prod(map(len, axes)) <= TABLE_LIMIT:
        rows = tuple((op,) + fields for fields in itertools.product(*axes))
        n = len(rows)
        if draw_data:
            return lambda: (rows[int(r() * n)], draw_data())
        return lambda: (rows[int(r() * n)], ZERO_DATA)
    (_, n1), (_, n2), (low, n_out) = ranges[1:]  # large memories; in2 = int(r() * 0) = 0 if unused
    return lambda: ((op, int(r() * n1), int(r() * n2), low + int(r() * n_out)), ZERO_DATA)


@lru_cache(maxsize=None)
def makers(op_codes, memory):
    """The makers of a tuple of ops (codes or names) for a memory, checked once."""
    return tuple(_maker(ops.op_code(op), memory) for op in op_codes)


def draw_instruction(options):
    """A random instruction from a uniformly drawn maker of options."""
    return options[int(_random() * len(options))]()


def random_instruction(op_codes, memory):
    """``(code_row, data_row)``: an op drawn uniformly from op_codes, random addresses and data."""
    options = makers(tuple(op_codes), _hashable(memory))
    if not options:
        raise ValueError("random_instruction needs a non-empty op list")
    return draw_instruction(options)


def fill_random(code, data, options):
    """Overwrite every row of the views code/data with instructions from the makers options
    (NO_OPs if options is empty)."""
    data[:] = 0.0
    if not options:
        code[:] = 0
        return
    n = len(options)
    for i in range(len(code)):  # row by row: faster than a list for short components
        code[i], values = options[int(_random() * n)]()
        if values is not ZERO_DATA:  # only data ops: other rows stay zero
            data[i] = values


def random_component(op_codes, size, memory):
    """``(code, data)`` arrays of size random instructions (all NO_OPs if op_codes is empty)."""
    code = np.zeros((size, CODE_COLUMNS), np.int32)
    data = np.zeros((size, DATA_COLUMNS))
    fill_random(code, data, makers(tuple(op_codes), _hashable(memory)))
    return code, data


class CompiledSpace(NamedTuple):
    """What the generators and mutators need of a SearchSpace, computed once."""
    space: object
    mutable: tuple   # indices of the components with a non-empty op list
    makers: tuple    # per component, the makers of its ops
    ranges: tuple    # per op code, field_ranges(op, memory)


_COMPILED = {}


def compile_space(space):
    """The CompiledSpace of space (cached); ValueError if an op doesn't fit the memory."""
    compiled = _COMPILED.get(id(space))
    if compiled is None or compiled.space is not space:
        memory = _hashable(space.memory)
        compiled = CompiledSpace(
            space, tuple(space.mutable_components()),
            tuple(makers(tuple(op_codes), memory) for op_codes in space.ops),
            tuple(field_ranges(op, memory) for op in range(ops.NUM_OPS)))
        if len(_COMPILED) > 256:
            _COMPILED.clear()
        _COMPILED[id(space)] = compiled
    return compiled


def check_space(space):
    """Raise ValueError naming the first op of space that its memory cannot hold."""
    compile_space(space)


def random_algorithm(space, cls=Algorithm):
    """RANDOM_ALGORITHM: each component at its initial size, filled from its op list."""
    compiled = compile_space(space)
    n = sum(space.sizes)
    code = np.zeros((n, CODE_COLUMNS), np.int32)
    data = np.zeros((n, DATA_COLUMNS))
    start = 0
    for size, options in zip(space.sizes, compiled.makers):
        fill_random(code[start:start + size], data[start:start + size], options)
        start += size
    return cls(code, data, space.sizes)


def noop_algorithm(space, cls=Algorithm):
    """NO_OP_ALGORITHM: all NO_OPs at the initial sizes."""
    return cls(None, None, space.sizes)
