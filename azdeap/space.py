"""What an algorithm may touch and what evolution may build: ``Memory`` and ``SearchSpace``.

``check_space`` is the one validator of a search space against its memory; the config,
the generator, the evaluator and the learner all rely on it (docs/design.md, "Memory").
"""
from typing import NamedTuple, Tuple

import numpy as np

from azdeap import ops

COMPONENT_NAMES = ("setup", "predict", "learn")
# The lowest address an op may write, per kind: s0 (label) and v0 (features) are read-only.
LOWEST_OUTPUT = (1, 1, 0)


def is_integer(value) -> bool:
    """True for a Python or numpy integer, False for anything else (bool included)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_integer(value, name, low):
    """int(value) if value is an integer >= low; TypeError or ValueError naming it
    otherwise."""
    if not is_integer(value):
        raise TypeError("%s must be an integer, got %r" % (name, value))
    if value < low:
        raise ValueError("%s must be >= %d, got %d" % (name, low, value))
    return int(value)


def check_bool(value, name):
    """bool(value) if value is True or False (numpy's too); TypeError naming it otherwise."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError("%s must be True or False, got %r" % (name, value))
    return bool(value)


def check_array(array, name, dtype, shape):
    """TypeError naming the array unless it is a C-contiguous numpy array of dtype whose
    shape matches ``shape``: a tuple of lengths, or of names for any length."""
    dtype = np.dtype(dtype)
    if (isinstance(array, np.ndarray) and array.dtype == dtype and array.flags.c_contiguous
            and len(array.shape) == len(shape)
            and all(isinstance(want, str) or have == want
                    for have, want in zip(array.shape, shape))):
        return
    got = type(array).__name__
    if isinstance(array, np.ndarray):
        got = "a %s%s array of shape %s" % ("" if array.flags.c_contiguous
                                            else "non-contiguous ", array.dtype, array.shape)
    raise TypeError("%s must be a C-contiguous %s array of shape (%s%s), got %s"
                    % (name, dtype, ", ".join(map(str, shape)), "," * (len(shape) == 1), got))


class Memory(NamedTuple):
    """Number of scalar, vector and matrix addresses."""
    scalars: int = 4
    vectors: int = 3
    matrices: int = 1

    def checked(self) -> "Memory":
        """This memory, if it can run an algorithm (ValueError otherwise): s0 (label)
        and s1 (prediction) need 2 scalars, v0 (features) 1 vector."""
        if not all(is_integer(n) and n >= 0 for n in self):
            raise ValueError("memory sizes must be integers >= 0, got %r" % (tuple(self),))
        if self.scalars < 2 or self.vectors < 1:
            raise ValueError("memory needs at least 2 scalars (s0 label, s1 prediction) and 1 "
                             "vector (v0 features), got %d scalars, %d vectors"
                             % (self.scalars, self.vectors))
        return self


def check_memory(memory) -> Memory:
    """memory (a Memory or 3 counts) as a Memory of Python ints that can run algorithms
    (``Memory.checked``); TypeError if it is not 3 counts."""
    try:
        memory = Memory(*memory)
    except TypeError:
        raise TypeError("memory must be a Memory (scalars, vectors, matrices), got %r"
                        % (memory,)) from None
    return Memory(*map(int, memory.checked()))


class SearchSpace(NamedTuple):
    """What evolution may build: per component (Setup, Predict, Learn) the allowed
    op codes, the initial size and the size bounds, plus the memory."""
    memory: Memory
    ops: Tuple[tuple, tuple, tuple]   # op codes (or names); an empty tuple freezes a component
    sizes: Tuple[int, int, int]       # initial sizes
    min_sizes: Tuple[int, int, int]   # REMOVE stops there
    max_sizes: Tuple[int, int, int]   # INSERT stops at max - 1, as the original

    def mutable_components(self):
        return [c for c in range(3) if self.ops[c]]


class SpaceError(ValueError):
    """A search space that its memory cannot run; ``where`` names the part, e.g.
    ``learn.ops[2]``, and the message is one line."""

    def __init__(self, where, problem):
        super().__init__("%s: %s" % (where, problem))
        self.where, self.problem = where, problem


def check_op(op, memory):
    """Raise ValueError unless the memory has an address for every operand of op
    (outputs never write s0 or v0)."""
    spec = ops.OPS[ops.op_code(op)]
    for kind in spec.inputs:
        if memory[kind] < 1:
            raise ValueError("%s needs memory.%s >= 1" % (spec.name, Memory._fields[kind]))
    if spec.output != ops.NO_KIND and memory[spec.output] <= LOWEST_OUTPUT[spec.output]:
        raise ValueError("%s needs memory.%s >= %d" % (
            spec.name, Memory._fields[spec.output], LOWEST_OUTPUT[spec.output] + 1))


def check_space(space) -> SearchSpace:
    """The space with op names turned into codes, if its memory can run it and the sizes
    of its mutable components are consistent; SpaceError naming the first problem
    otherwise."""
    try:
        memory = check_memory(space.memory)
    except (TypeError, ValueError) as error:
        raise SpaceError("memory", str(error)) from None
    codes = []
    for c, name in enumerate(COMPONENT_NAMES):
        component = []
        for i, op in enumerate(space.ops[c]):
            try:
                code = ops.op_code(op)
                check_op(code, memory)
            except ValueError as error:
                raise SpaceError("%s.ops[%d]" % (name, i), str(error)) from None
            component.append(code)
        codes.append(tuple(component))
        size, low, high = space.sizes[c], space.min_sizes[c], space.max_sizes[c]
        if component and not 0 <= size < high:
            raise SpaceError(name + ".max", "must be > size (%d), got %d" % (size, high))
        if component and not 0 <= low < high:
            raise SpaceError(name + ".min", "must be >= 0 and < max (%d), got %d" % (high, low))
    if not any(codes):
        raise SpaceError("ops", "no mutable component: every op list is empty (all frozen); "
                                "evolution needs at least one op list")
    return space._replace(memory=memory, ops=tuple(codes))
