"""Helpers for running evaluations in worker processes (scoop, multiprocessing...).

``ProcessLocal`` objects unpickle to one instance per process: the first copy a
worker receives is kept and every later copy of the same object resolves to it.
A worker therefore stacks the task arrays once and keeps its own FEC cache across
the many chunks it evaluates.  ``pack`` and ``unpack`` move Algorithm individuals
between processes as a few arrays (``azdeap.programs.Programs``).
"""
import itertools
import os
import random
from collections import OrderedDict
from contextlib import contextmanager

from azdeap.programs import Programs

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


def pack(individuals):
    """Individuals of one Algorithm type as ``(type, Programs, fitness values)``, for
    sending to another process; only the programs and fitness values travel."""
    values = [ind.fitness.values if ind.fitness.valid else None for ind in individuals]
    return type(individuals[0]), Programs.stack(individuals), values


def unpack(packed):
    """The individuals of ``pack``, as new objects of their type."""
    cls, programs, values = packed
    individuals = programs.unstack(cls)
    for individual, fitness in zip(individuals, values):
        if fitness is not None:
            individual.fitness.values = fitness
    return individuals
