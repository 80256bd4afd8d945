"""Helpers for running evaluations in worker processes (scoop, multiprocessing...).

``ProcessLocal`` objects unpickle to one instance per process: the first copy a
worker receives is kept and every later copy of the same object resolves to it.
A worker therefore stacks the task arrays once and keeps its own FEC cache across
the many chunks it evaluates; a later copy can still bring news to the kept instance
(``ProcessLocal.received``).  ``pack`` and ``unpack`` move Algorithm individuals
between processes as a few arrays (``azdeap.programs.Programs``), and their lineages
if recorded (``azdeap.lineage.Lineages``).
"""
import itertools
import os
import random
from collections import OrderedDict
from contextlib import contextmanager

import numpy as np
from deap import creator

from azdeap.algorithm import Algorithm
from azdeap.lineage import Lineages
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
    else:
        instance.received(state)
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

    def received(self, state: dict) -> None:
        """Called on the kept instance when a later copy (its ``__getstate__``) arrives:
        take from it what may have changed in the sender.  By default nothing."""


@contextmanager
def random_state_kept():
    """Inside the block, work that a map runs in this process (and that seeds
    ``random`` and numpy's global generator itself, as an island's epoch does) leaves the
    caller's states of both as they were: a run then draws the same numbers whether its
    map runs here or in other processes."""
    state, numpy_state = random.getstate(), np.random.get_state()
    try:
        yield
    finally:
        random.setstate(state)
        np.random.set_state(numpy_state)


def scoop_map(function, items) -> list:
    """scoop's ``futures.map`` as a list, with one fix: a map of no more items than scoop
    has workers runs one item per worker.  Left alone, scoop's root keeps the last future,
    sends the others to its broker, and asks the broker for work as soon as its own queue
    is empty, so it may take back a future it just sent and run two in a row (measured:
    3 of 12 maps of 2 items on 2 workers).  During such a map the root does not ask."""
    import scoop
    from scoop import _control, futures
    items = list(items)
    queue = getattr(_control, "execQueue", None)
    saved = getattr(queue, "lowwatermark", None)   # scoop internals: absent, no fix
    if saved is not None and len(items) <= scoop.SIZE:
        queue.lowwatermark = -1.0   # the root's queue never "runs low": it asks for nothing
    try:
        return list(futures.map(function, items))
    finally:
        if saved is not None:
            queue.lowwatermark = saved


class _CreatorClass:
    """A class made by ``deap.creator``, as ``pack`` sends it: its definition, which
    unpickles to the class of that name in the receiving process if that class has the
    same definition, and makes and registers it there (as DEAP does) otherwise.  DEAP's
    own pickling of such a class makes a new one, replacing the registered one, at every
    unpickling."""

    def __init__(self, cls):
        name, base, attributes = cls.reduce_args
        self.definition = (name, _portable(base),
                           {key: _portable(value) for key, value in attributes.items()})

    def __reduce__(self):
        return _creator_class, self.definition


def _portable(value):
    """value, or a _CreatorClass if it is a class made by deap.creator."""
    return _CreatorClass(value) if isinstance(value, creator.MetaCreator) else value


def _creator_class(name, base, attributes):
    """The class deap.creator registers under name, if it has this definition; otherwise
    a new one, registered (``creator.meta_create``, what DEAP's unpickling calls)."""
    existing = getattr(creator, name, None)
    if isinstance(existing, creator.MetaCreator) and existing.reduce_args[1] is base:
        try:
            if existing.reduce_args[2] == attributes:
                return existing
        except ValueError:   # numpy arrays among the attributes: not comparable
            pass
    return creator.meta_create(name, base, attributes)


class _Packed(tuple):
    """What ``pack`` returns: ``(type, Programs, fitness values[, Lineages])``; a
    ``deap.creator`` type travels as a _CreatorClass."""

    def __reduce__(self):
        cls, *rest = self
        return _Packed, ((_portable(cls), *rest),)


def pack(individuals):
    """Individuals of one Algorithm type as ``(type, Programs, fitness values)``, for
    sending to another process; only the programs and fitness values travel (and the
    lineages, ``azdeap.lineage.Lineages``, when some individual has one), and a
    ``deap.creator`` type unpickles to the receiving process's class of that name and
    definition (made there if it has none)."""
    cls = type(individuals[0]) if len(individuals) else Algorithm
    for individual in individuals:
        if type(individual) is not cls:
            raise ValueError("pack: individuals must be of one type, got %s and %s"
                             % (cls.__name__, type(individual).__name__))
    values = [ind.fitness.values if ind.fitness.valid else None for ind in individuals]
    lineages = Lineages.of(individuals)
    return _Packed((cls, Programs.stack(individuals), values)
                   + (() if lineages is None else (lineages,)))


def unpack(packed):
    """The individuals of ``pack``, as new objects of their type (with their lineages)."""
    cls, programs, values, *lineages = packed
    individuals = programs.unstack(cls)
    for individual, fitness in zip(individuals, values):
        if fitness is not None:
            individual.fitness.values = fitness
    for nodes in lineages:
        nodes.attach(individuals)
    return individuals
