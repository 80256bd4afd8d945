"""Algorithm: three component functions stored as compact numpy arrays.

An algorithm holds all its instructions in two arrays, in component order
(Setup, then Predict, then Learn):

* ``code``: int32, shape (n, 4), columns ``op, in1, in2, out``;
* ``data``: float64, shape (n, 3), the data fields ``d0, d1, d2``;

and ``sizes``, the number of instructions of each component.  Fields an op does
not use are zero, so equal programs have equal arrays.  It is the base of DEAP
individual types::

    creator.create("Individual", azdeap.Algorithm, fitness=creator.FitnessMax)

or use the ready-made ``Individual`` (an Algorithm with a maximized ``FitnessMax``).
"""
import copy
import hashlib
from typing import Optional

import numpy as np
from deap import base

from azdeap import ops
from azdeap.space import Memory, is_integer

SETUP, PREDICT, LEARN = 0, 1, 2
CODE_COLUMNS = 4
DATA_COLUMNS = 3


class Algorithm:
    """A learning algorithm: Setup, Predict and Learn as arrays of instructions."""

    def __init__(self, code=None, data=None, sizes=(0, 0, 0)):
        """ValueError or TypeError, one line naming the argument, unless sizes are 3
        integers >= 0 and code and data are arrays of their shapes, with op codes in
        0..64 and addresses in 0..2**31-1 (the memory bounds them when evaluated)."""
        self.sizes = _checked_sizes(sizes)
        n = sum(self.sizes)
        code = np.zeros((n, CODE_COLUMNS), np.int32) if code is None else _as_array("code", code)
        data = np.zeros((n, DATA_COLUMNS)) if data is None else _as_array("data", data)
        if code.shape != (n, CODE_COLUMNS) or data.shape != (n, DATA_COLUMNS):
            raise ValueError("code must have shape (%d, 4) and data (%d, 3) for sizes %r, got "
                             "%r and %r" % (n, n, self.sizes, code.shape, data.shape))
        self.code = _checked_code(code)
        self.data = np.ascontiguousarray(_of_kind("data", data, "real numbers"), np.float64)

    def __len__(self):
        """The number of instructions, so that DEAP's size tools (``gp.staticLimit(key=len)``,
        ``tools.selDoubleTournament``'s parsimony) work on algorithms."""
        return len(self.code)

    # -- components -------------------------------------------------------------
    def bounds(self, component: int) -> tuple:
        """(start, stop) rows of a component (SETUP, PREDICT or LEARN)."""
        start = sum(self.sizes[:component])
        return start, start + self.sizes[component]

    def component(self, component: int) -> tuple:
        """(code, data) views of one component's instructions."""
        start, stop = self.bounds(component)
        return self.code[start:stop], self.data[start:stop]

    def memory_used(self) -> Memory:
        """The smallest Memory that holds every address this algorithm touches."""
        needed = [2, 1, 0]  # s0 label, s1 prediction, v0 features are always there
        for op, in1, in2, out in self.code.tolist():
            spec = ops.OPS[op]
            addresses = (in1, in2)[:len(spec.inputs)] + (out,)
            for kind, address in zip(spec.inputs + (spec.output,), addresses):
                if kind != ops.NO_KIND:
                    needed[kind] = max(needed[kind], address + 1)
        return Memory(*needed)

    def simplified(self, exact_draws: bool = False, multiclass: bool = False) -> "Algorithm":
        """A copy (type and attributes kept) without the instructions that cannot affect
        a prediction: dead stores, values overwritten before any read, no-ops
        (``azdeap.liveness.prune`` in the memory it uses); the rest keeps its order.
        Every dead random op goes, as in the paper's simplified listings, so live random
        ops draw from the same distributions but may get other numbers; exact_draws=True
        keeps them all when one is live, and the copy then predicts as this one does bit
        for bit (docs/design.md, "Live code").  multiclass: for multi-class tasks, where
        the prediction is v2 (docs/design.md, "Multi-class tasks")."""
        from azdeap.liveness import prune
        return prune(self, reseeded=True, exact_draws=exact_draws, multiclass=multiclass)

    # -- text -------------------------------------------------------------------
    def __str__(self):
        from azdeap.notation import format_algorithm
        return format_algorithm(self)

    def __repr__(self):
        return "<%s sizes=%r>\n%s" % (type(self).__name__, self.sizes, self)

    @classmethod
    def from_text(cls, text: str) -> "Algorithm":
        """Parse the text notation (``def Setup(): ...``) into an algorithm of this type."""
        from azdeap.notation import parse_algorithm
        code, data, sizes = parse_algorithm(text)
        return cls(code, data, sizes)

    # -- identity ---------------------------------------------------------------
    def __eq__(self, other):
        """The same program bit for bit, as ``program_hash`` sees it: constants 0.0 and
        -0.0 differ (1 / s tells them apart) and a NaN constant equals itself."""
        if not isinstance(other, Algorithm):
            return NotImplemented
        return (self.sizes == other.sizes and np.array_equal(self.code, other.code)
                and self.data.tobytes() == other.data.tobytes())

    def __ne__(self, other):
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def program_hash(self) -> int:
        """A 64-bit hash of the program, the same in every process and session."""
        digest = hashlib.blake2b(digest_size=8)
        digest.update(np.asarray(self.sizes, np.int64).tobytes())
        digest.update(self.code.tobytes())
        digest.update(self.data.tobytes())
        return int.from_bytes(digest.digest(), "little")

    def __hash__(self):
        return self.program_hash()

    # -- copying ----------------------------------------------------------------
    def __deepcopy__(self, memo):
        """A cheap deep copy (DEAP's ``toolbox.clone``): the arrays are copied, a
        DEAP fitness is copied shallowly (its values are an immutable tuple)."""
        return self.with_program(self.code.copy(), self.data.copy(), self.sizes, memo)

    def with_program(self, code: np.ndarray, data: np.ndarray, sizes: tuple,
                     memo: Optional[dict] = None) -> "Algorithm":
        """A copy of this algorithm, as ``__deepcopy__`` makes it (``memo`` as there),
        holding the program code, data, sizes: the arrays as they are, not copied or checked."""
        new = object.__new__(type(self))
        state = new.__dict__
        state.update(self.__dict__)
        state["code"], state["data"], state["sizes"] = code, data, sizes
        for name, value in state.items():
            if name == "fitness":
                fitness = object.__new__(type(value))
                fitness.__dict__.update(value.__dict__)
                state[name] = fitness
            elif name not in _SHARED_ON_COPY:
                state[name] = copy.deepcopy(value, memo)
        return new


_SHARED_ON_COPY = frozenset(("code", "data", "sizes"))  # copied above, or immutable
_KINDS = {"integers": "iu", "real numbers": "iuf"}  # numpy dtype kinds
_CODE_NAMES = ("op", "in1", "in2", "out")
_CODE_LIMITS = np.array([len(ops.OPS) - 1] + [np.iinfo(np.int32).max] * 3)


def _checked_sizes(sizes):
    """sizes as a tuple of 3 ints >= 0."""
    if not (isinstance(sizes, (tuple, list, np.ndarray)) and len(sizes) == 3
            and all(is_integer(s) for s in sizes)):
        raise TypeError("sizes must be 3 integers (Setup, Predict, Learn), got %r" % (sizes,))
    if min(sizes) < 0:
        raise ValueError("sizes must be >= 0, got %r" % (tuple(sizes),))
    return tuple(int(s) for s in sizes)


def _as_array(name, value):
    """value as a numpy array of numbers, or TypeError naming it."""
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):
        array = None
    if array is None or array.dtype == object:
        raise TypeError("%s must be an array of numbers, got %s" % (name, type(value).__name__))
    return array


def _of_kind(name, array, what):
    """array, if it holds what ("integers" or "real numbers"); TypeError naming it if not."""
    if array.size and array.dtype.kind not in _KINDS[what]:
        raise TypeError("%s must hold %s, got %s" % (name, what, array.dtype))
    return array


def _checked_code(code):
    """code as int32, if it holds integers and every op code and address is in range."""
    bad = (_of_kind("code", code, "integers") < 0) | (code > _CODE_LIMITS)
    if bad.any():
        row, column = np.argwhere(bad)[0]
        raise ValueError("code[%d, %d] (%s) must be in 0..%d, got %d" % (
            row, column, _CODE_NAMES[column], _CODE_LIMITS[column], code[row, column]))
    return np.ascontiguousarray(code, np.int32)


def clone(individual):
    """A deep copy of an individual without ``copy.deepcopy``'s dispatch: register it
    as ``toolbox.clone`` (DEAP's default, ``copy.deepcopy``, gives the same result)."""
    return individual.__deepcopy__({})


class FitnessMax(base.Fitness):
    """A single maximized fitness (DEAP), defined at module level so it pickles."""
    weights = (1.0,)


class Individual(Algorithm):
    """A ready-made DEAP individual: an Algorithm with a ``FitnessMax``."""

    def __init__(self, code=None, data=None, sizes=(0, 0, 0)):
        super().__init__(code, data, sizes)
        self.fitness = FitnessMax()
