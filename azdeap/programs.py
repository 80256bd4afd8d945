"""``Programs``: many algorithms stacked into four arrays.

The interpreter runs them in one call, and worker processes exchange them this way:
pickling one object per algorithm costs more than breeding it.  A ``Programs`` is also a
sequence of algorithms (an evaluator takes it as it takes a list), and
``ProgramSlots`` keeps a population's programs to take and put by slot.
"""
import numpy as np
from numba import njit

from azdeap.algorithm import Algorithm
from azdeap.space import check_array


def _check_algorithms(algorithms):
    """TypeError or ValueError naming the first item that is not an Algorithm or whose
    sizes do not match its arrays."""
    for i, alg in enumerate(algorithms):
        if not isinstance(alg, Algorithm):
            raise TypeError("algorithms[%d] must be an azdeap.algorithm.Algorithm, got %s"
                            % (i, type(alg).__name__))
        if not len(alg.code) == len(alg.data) == sum(alg.sizes):
            raise ValueError("algorithms[%d]: sizes %r do not match %d rows of code and data"
                             % (i, alg.sizes, len(alg.code)))


class Programs:
    """Algorithms stacked: ``code`` (n, 4) int32 and ``data`` (n, 3) float64 hold every
    instruction in order; algorithm ``b`` starts at row ``offsets[b]`` and has component
    sizes ``sizes[b]`` (Setup, Predict, Learn)."""

    __slots__ = ("code", "data", "offsets", "sizes")

    def __init__(self, code, data, offsets, sizes):
        """TypeError or ValueError, one line, unless the arrays have these types and
        shapes and every program lies within the rows of code."""
        check_array(code, "Programs: code", np.int32, ("n", 4))
        check_array(data, "Programs: data", np.float64, ("n", 3))
        check_array(offsets, "Programs: offsets", np.int64, ("programs",))
        check_array(sizes, "Programs: sizes", np.int64, ("programs", 3))
        if len(data) != len(code):
            raise ValueError("Programs: code and data must have one row per instruction, got "
                             "shapes %s and %s" % (code.shape, data.shape))
        if len(sizes) != len(offsets):
            raise ValueError("Programs: offsets and sizes must have one row per program, got "
                             "shapes %s and %s" % (offsets.shape, sizes.shape))
        n = len(code)   # each term bounded first, so that the sum cannot overflow
        outside = ((offsets < 0) | (offsets > n) | (sizes < 0).any(axis=1)
                   | (sizes > n).any(axis=1))
        outside |= offsets + np.where(outside[:, None], 0, sizes).sum(axis=1) > n
        if outside.any():
            b = int(np.flatnonzero(outside)[0])
            raise ValueError("Programs: program %d (offset %d, sizes %s) is not within the %d "
                             "rows of code" % (b, offsets[b], sizes[b].tolist(), len(code)))
        self.code, self.data, self.offsets, self.sizes = code, data, offsets, sizes

    @classmethod
    def _of(cls, code, data, offsets, sizes):
        """Programs of arrays that are right by construction, unchecked."""
        programs = object.__new__(cls)
        programs.code, programs.data, programs.offsets, programs.sizes = code, data, offsets, sizes
        return programs

    @classmethod
    def stack(cls, algorithms) -> "Programs":
        """The programs of a sequence of algorithms, in order (a Programs is returned as
        it is); TypeError or ValueError if one is not an Algorithm or its sizes do not
        match its arrays."""
        if isinstance(algorithms, Programs):
            return algorithms
        if len(algorithms) == 1:
            alg = algorithms[0]
            if not (isinstance(alg, Algorithm)
                    and len(alg.code) == len(alg.data) == sum(alg.sizes)):
                _check_algorithms(algorithms)
            return cls._of(alg.code, alg.data, np.zeros(1, np.int64),
                           np.array([alg.sizes], np.int64))
        try:
            sizes = np.array([alg.sizes for alg in algorithms], np.int64).reshape(-1, 3)
            code = np.concatenate([alg.code for alg in algorithms] or [np.zeros((0, 4), np.int32)])
            data = np.concatenate([alg.data for alg in algorithms] or [np.zeros((0, 3))])
        except (AttributeError, TypeError, ValueError):
            _check_algorithms(algorithms)
            raise
        if not len(code) == len(data) == sizes.sum():  # then no program reads past the arrays
            _check_algorithms(algorithms)
        offsets = np.zeros(len(sizes), np.int64)
        np.cumsum(sizes.sum(axis=1)[:-1], out=offsets[1:])
        return cls._of(code, data, offsets, sizes)

    def __len__(self):
        return len(self.offsets)

    def __getitem__(self, b) -> Algorithm:
        """Program b as an Algorithm whose arrays are views of these."""
        start, sizes = self.offsets[b], self.sizes[b].tolist()
        stop = start + sizes[0] + sizes[1] + sizes[2]
        algorithm = object.__new__(Algorithm)  # arrays right by construction: no checks
        algorithm.code, algorithm.data = self.code[start:stop], self.data[start:stop]
        algorithm.sizes = tuple(sizes)
        return algorithm

    def take(self, indices) -> "Programs":
        """The programs at indices (integers in 0..len - 1), stacked anew; IndexError
        or TypeError otherwise."""
        return Programs._of(*_gather(self.code, self.data, self.offsets, self.sizes,
                                     _checked_indices(indices, len(self), "Programs.take")))

    def __getstate__(self):
        return self.code, self.data, self.offsets, self.sizes

    def __setstate__(self, state):
        self.code, self.data, self.offsets, self.sizes = state

    def views(self):
        """``(code, data, sizes)`` of each program in order: views of the stacked arrays
        and a tuple."""
        code, data = self.code, self.data
        for start, sizes in zip(self.offsets.tolist(), self.sizes.tolist()):
            stop = start + sizes[0] + sizes[1] + sizes[2]
            yield code[start:stop], data[start:stop], tuple(sizes)

    def unstack(self, cls=Algorithm) -> list:
        """New algorithms of type cls (each with its own arrays), one per program.
        Each is a copy of one template: cheaper than running ``cls.__init__`` each time."""
        template = cls(self.code[:0], self.data[:0], (0, 0, 0))
        return [template.with_program(code.copy(), data.copy(), sizes)
                for code, data, sizes in self.views()]


class ProgramSlots:
    """The programs of a population, one per slot, each slot ``room`` rows long (grown
    when a longer program comes): ``take`` and ``put`` copy whole batches by slot."""

    def __init__(self, programs: Programs):
        self._respace(programs, int(programs.sizes.sum(axis=1).max(initial=0)))

    def __len__(self):
        return len(self.programs)

    def _respace(self, programs, room):
        """Hold programs in slots of room rows."""
        n, self.room = len(programs), room
        self.programs = Programs._of(np.zeros((n * room, 4), np.int32),
                                     np.zeros((n * room, 3)),
                                     np.arange(n, dtype=np.int64) * room, programs.sizes.copy())
        self.put(np.arange(n), programs)

    def take(self, slots) -> Programs:
        """The programs in slots, stacked."""
        return self.programs.take(slots)

    def put(self, slots, programs: Programs):
        """Copy programs into slots (one each)."""
        mine = self.programs
        slots = _checked_indices(slots, len(self), "ProgramSlots.put")
        if len(slots) != len(programs):
            raise ValueError("ProgramSlots.put: %d slots for %d programs"
                             % (len(slots), len(programs)))
        longest = _scatter(mine.code, mine.data, mine.offsets, mine.sizes, self.room,
                           slots, programs.code, programs.data, programs.offsets,
                           programs.sizes)
        if longest > self.room:  # nothing was copied
            self._respace(mine, max(longest, 2 * self.room))
            self.put(slots, programs)


def _checked_indices(indices, n, who):
    """indices as int64 if they are integers in 0..n - 1 (the numba copies that read them
    have no bounds checks); TypeError or IndexError, one line, naming who otherwise."""
    if type(indices) is not np.ndarray or indices.dtype != np.int64 or indices.ndim != 1:
        indices = np.asarray(indices)
        if indices.size == 0:
            return np.empty(0, np.int64)
        if indices.dtype.kind not in "iu":
            raise TypeError("%s: indices must be integers, got %s" % (who, indices.dtype))
        indices = indices.astype(np.int64, copy=False).reshape(-1)
    if _outside(indices, n):
        raise IndexError("%s: an index is outside 0..%d" % (who, n - 1))
    return indices


@njit(cache=True)
def _outside(indices, n):
    """Whether an index is outside 0..n - 1."""
    for index in indices:
        if index < 0 or index >= n:
            return True
    return False


@njit(cache=True)
def _gather(code, data, offsets, sizes, indices):
    """(code, data, offsets, sizes) of the programs at indices, stacked."""
    new_sizes = np.empty((len(indices), 3), np.int64)
    new_offsets = np.empty(len(indices), np.int64)
    rows = 0
    for j in range(len(indices)):
        new_offsets[j] = rows
        for c in range(3):
            new_sizes[j, c] = sizes[indices[j], c]
            rows += sizes[indices[j], c]
    new_code = np.empty((rows, 4), np.int32)
    new_data = np.empty((rows, 3))
    for j in range(len(indices)):
        _copy_rows(code, data, offsets[indices[j]], new_code, new_data, new_offsets[j],
                   new_sizes[j, 0] + new_sizes[j, 1] + new_sizes[j, 2])
    return new_code, new_data, new_offsets, new_sizes


@njit(cache=True)
def _scatter(code, data, offsets, sizes, room, slots, new_code, new_data, new_offsets,
             new_sizes):
    """Copy the programs (new_*) into the programs at slots, if each fits in room rows;
    the length of the longest."""
    longest = 0
    for j in range(len(slots)):
        longest = max(longest, new_sizes[j, 0] + new_sizes[j, 1] + new_sizes[j, 2])
    if longest > room:
        return longest
    for j in range(len(slots)):
        for c in range(3):
            sizes[slots[j], c] = new_sizes[j, c]
        _copy_rows(new_code, new_data, new_offsets[j], code, data, offsets[slots[j]],
                   new_sizes[j, 0] + new_sizes[j, 1] + new_sizes[j, 2])
    return longest


@njit(cache=True)
def _copy_rows(code, data, start, to_code, to_data, to_start, length):
    """Copy length rows from start on to to_start on (loops compile faster than slices)."""
    for i in range(length):
        for column in range(4):
            to_code[to_start + i, column] = code[start + i, column]
        for column in range(3):
            to_data[to_start + i, column] = data[start + i, column]
