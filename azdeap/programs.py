"""``Programs``: many algorithms stacked into four arrays.

The interpreter runs them in one call, and worker processes exchange them this way:
pickling one object per algorithm costs more than breeding it.
"""
import numpy as np

from azdeap.algorithm import Algorithm, clone
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
        outside = (offsets < 0) | (sizes < 0).any(axis=1) | (offsets + sizes.sum(axis=1)
                                                            > len(code))
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
        """The programs of a sequence of algorithms, in order; TypeError or ValueError if
        one is not an Algorithm or its sizes do not match its arrays."""
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

    def __getstate__(self):
        return self.code, self.data, self.offsets, self.sizes

    def __setstate__(self, state):
        self.code, self.data, self.offsets, self.sizes = state

    def unstack(self, cls=Algorithm) -> list:
        """New algorithms of type cls (each with its own arrays), one per program.
        Each is a copy of one template: cheaper than running ``cls.__init__`` each time."""
        template = cls(self.code[:0], self.data[:0], (0, 0, 0))
        algorithms = []
        for start, sizes in zip(self.offsets.tolist(), self.sizes.tolist()):
            stop = start + sum(sizes)
            algorithm = clone(template)
            algorithm.code = self.code[start:stop].copy()
            algorithm.data = self.data[start:stop].copy()
            algorithm.sizes = tuple(sizes)
            algorithms.append(algorithm)
        return algorithms
