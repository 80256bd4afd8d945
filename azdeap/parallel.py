"""Helpers for running evaluations in worker processes (scoop, multiprocessing...).

``ProcessLocal`` objects unpickle to one instance per process: the first copy a
worker receives is kept and every later copy of the same object resolves to it.
A worker therefore builds its scratch memory once and keeps its own FEC cache
across the many chunks it evaluates.
"""
import itertools
import os
from collections import OrderedDict

_INSTANCES = OrderedDict()   # key -> instance, in this process
_KEEP = 8                    # instances kept per process (one per live experiment)
_next_id = itertools.count()


def _resolve(key, cls, state):
    instance = _INSTANCES.get(key)
    if instance is None:
        instance = object.__new__(cls)
        instance.__setstate__(state)
        _INSTANCES[key] = instance
        while len(_INSTANCES) > _KEEP:
            _INSTANCES.popitem(last=False)
    return instance


class ProcessLocal:
    """Base class: pickled copies of an instance are one object per process."""

    def _new_key(self):
        self._key = (os.getpid(), id(self), next(_next_id))

    def __reduce__(self):
        return _resolve, (self._key, type(self), self.__getstate__())

    def __getstate__(self):
        return self.__dict__.copy()

    def __setstate__(self, state):
        self.__dict__.update(state)


def split(items, n_chunks):
    """items in at most n_chunks contiguous chunks of near-equal size."""
    n_chunks = max(1, min(n_chunks, len(items)))
    size, extra = divmod(len(items), n_chunks)
    chunks, start = [], 0
    for i in range(n_chunks):
        stop = start + size + (i < extra)
        chunks.append(items[start:stop])
        start = stop
    return chunks
