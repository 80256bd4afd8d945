"""``Programs``: many algorithms stacked into four arrays.

The interpreter runs them in one call, and worker processes exchange them this way:
pickling one object per algorithm costs more than breeding it.
"""
from itertools import chain

import numpy as np

from azdeap.algorithm import Algorithm


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
        sizes = np.fromiter(chain.from_iterable([alg.sizes for alg in algorithms]), np.int64,
                            3 * len(algorithms)).reshape(-1, 3)
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
