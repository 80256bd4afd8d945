"""Helpers for running evaluations in worker processes (scoop, multiprocessing...).

``ProcessLocal`` objects unpickle to one instance per process: the first copy a
worker receives is kept and every later copy of the same object resolves to it.
A worker therefore stacks the task arrays once and keeps its own FEC cache across
the many chunks it evaluates.  ``pack`` and ``unpack`` move Algorithm individuals
between processes as a few arrays.
"""
import itertools
import os
import random
from collections import OrderedDict
from contextlib import contextmanager

import numpy as np

from azdeap.algorithm import clone

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


@contextmanager
def random_state_kept():
    """Inside the block, work that a map runs in this process (and that seeds
    ``random`` itself) leaves the caller's ``random`` state as it was: a run then
    draws the same numbers whether its map runs here or in other processes."""
    state = random.getstate()
    try:
        yield
    finally:
        random.setstate(state)


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


def pack(individuals):
    """Algorithm individuals as a few arrays, for sending to another process: pickling
    one object per individual costs more than breeding it.  Only the programs and
    fitness values travel."""
    sizes = np.array([ind.sizes for ind in individuals], np.int64).reshape(-1, 3)
    values = [ind.fitness.values if ind.fitness.valid else None for ind in individuals]
    return (type(individuals[0]) if individuals else None, sizes,
            np.concatenate([ind.code for ind in individuals]) if individuals else None,
            np.concatenate([ind.data for ind in individuals]) if individuals else None, values)


def unpack(packed):
    """The individuals of ``pack``, as new objects of their type (each a clone of one
    template with its own arrays: cheaper than constructing each)."""
    cls, sizes, code, data, values = packed
    individuals = []
    template = None
    start = 0
    for size, fitness in zip(sizes.tolist(), values):
        stop = start + sum(size)
        if template is None:
            template = cls(code[:0], data[:0], (0, 0, 0))
        individual = clone(template)
        individual.code = code[start:stop].copy()
        individual.data = data[start:stop].copy()
        individual.sizes = tuple(size)
        if fitness is not None:
            individual.fitness.values = fitness
        individuals.append(individual)
        start = stop
    return individuals
