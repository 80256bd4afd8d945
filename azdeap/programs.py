"""``Programs``: many algorithms stacked into four arrays.

The interpreter runs them in one call, and worker processes exchange them this way:
pickling one object per algorithm costs more than breeding it.
"""
import numpy as np

from azdeap.algorithm import Algorithm, clone


class Programs:
    """Algorithms stacked: ``code`` (n, 4) int32 and ``data`` (n, 3) float64 hold every
    instruction in order; algorithm ``b`` starts at row ``offsets[b]`` and has component
    sizes ``sizes[b]`` (Setup, Predict, Learn)."""

    __slots__ = ("code", "data", "offsets", "sizes")

    def __init__(self, code, data, offsets, sizes):
        self.code, self.data, self.offsets, self.sizes = code, data, offsets, sizes

    @classmethod
    def stack(cls, algorithms) -> "Programs":
        """The programs of a sequence of algorithms, in order."""
        if len(algorithms) == 1:
            alg = algorithms[0]
            return cls(alg.code, alg.data, np.zeros(1, np.int64), np.array([alg.sizes], np.int64))
        sizes = np.array([alg.sizes for alg in algorithms], np.int64).reshape(-1, 3)
        offsets = np.zeros(len(sizes), np.int64)
        np.cumsum(sizes.sum(axis=1)[:-1], out=offsets[1:])
        if not len(sizes):
            return cls(np.zeros((0, 4), np.int32), np.zeros((0, 3)), offsets, sizes)
        return cls(np.concatenate([alg.code for alg in algorithms]),
                   np.concatenate([alg.data for alg in algorithms]), offsets, sizes)

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
