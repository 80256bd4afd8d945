"""Lineage: each child's parent and change, so that the best algorithm's ancestry reads
as the sequence of discoveries that led to it (the paper's progress figure).

::

    lineage = Lineage()
    toolbox.decorate("mutate", lineage.decorator)     # as DEAP's tools.History
    population, logbook = eaRegularized(population, toolbox, ...)
    print(format_ancestry(best))
    plot_ancestry(best, "ancestry.png")

The decorated ``mutate`` gives each mutated child a ``lineage`` attribute: a ``Node``
holding its program, its fitness object, its parent's node and when it was made.  Copies
share nodes (a node deep-copies to itself), and a node lives only while an individual
descends from it, so the memory held is about the population's ancestry, not every
individual made.  eaRegularized calls a decorated ``mutate`` once per child, so it
breeds on the list of individuals, not on the arrays (docs/design.md, "Search loop").
``azdeap.parallel.pack`` carries the nodes along (``Lineages``), so an ancestry survives
the experiment driver's epochs, migrations, worker processes and checkpoints.
"""
import copy
import difflib
import functools
from typing import List, NamedTuple, Optional

import numpy as np

from azdeap.algorithm import Algorithm
from azdeap.notation import format_instruction
from azdeap.space import COMPONENT_NAMES

_NAMES = tuple(name.capitalize() for name in COMPONENT_NAMES)   # Setup...


class Node:
    """One individual's place in the lineage: its program (code, data, sizes), its
    fitness (the individual's fitness object), its parent's node (None for an initial
    individual) and its number among the individuals the Lineage made (0 initial).  A
    pickled node takes its ancestry along (as ``Lineages`` do)."""
    __slots__ = ("program", "fitness", "parent", "born")

    def __init__(self, program, fitness, parent, born):
        self.program, self.fitness, self.parent, self.born = program, fitness, parent, born

    def __deepcopy__(self, memo):
        return self   # immutable: copies of an individual share its lineage

    def __reduce__(self):
        return _first, (Lineages((self,)),)   # pickled flat, however long the lineage


class Lineage:
    """Records the lineage of the children a decorated mutation makes."""

    def __init__(self):
        self.made = 0

    def decorator(self, mutate):
        """A DEAP decorator for ``toolbox.mutate``: the child it returns gets a node whose
        parent is the node of the individual it was given (a node made then for an
        initial individual).  A child that comes back unchanged (its fitness still
        valid) keeps its parent's node."""
        @functools.wraps(mutate)
        def recorded(individual, *args, **kwargs):
            parent = getattr(individual, "lineage", None)
            if parent is None:   # an initial individual: its copy, before the mutation
                parent = _node(individual, copy.deepcopy(individual.fitness), None, 0)
            children = mutate(individual, *args, **kwargs)
            child = children[0]
            self.made += 1
            if not _valid(child):   # evaluated later: the node holds its fitness object
                child.lineage = _node(child, child.fitness, parent, self.made)
            else:
                child.lineage = parent
            return children
        return recorded

    def rooted(self, make):
        """A DEAP-style decorator for an initializer (``toolbox.individual``): each
        individual it makes gets a root node, number 0, so that every individual of a
        recorded population has a lineage, mutated or not."""
        @functools.wraps(make)
        def made(*args, **kwargs):
            individual = make(*args, **kwargs)
            individual.lineage = _node(individual, individual.fitness, None, 0)
            return individual
        return made


class Lineages(tuple):
    """The nodes of some individuals (None for one without a lineage), as
    ``azdeap.parallel.pack`` carries them.  In a process they are the nodes themselves;
    pickled (to another process, into a checkpoint) every node they descend from goes
    once, as stacked programs and parent indices, so that a long lineage pickles without
    deep recursion and arrives whole, ancestors shared as they were."""

    @classmethod
    def of(cls, individuals) -> Optional["Lineages"]:
        """The individuals' nodes, or None if none has a lineage."""
        nodes = cls(individual.__dict__.get("lineage") for individual in individuals)
        return nodes if any(node is not None for node in nodes) else None

    def attach(self, individuals) -> None:
        """Give each individual its node (one without a node is left as it is)."""
        for individual, node in zip(individuals, self):
            if node is not None:
                individual.lineage = node

    def __reduce__(self):
        order, index = [], {}   # every node, parents first; id -> its place in order
        for node in self:
            chain = []
            while node is not None and id(node) not in index:
                chain.append(node)
                node = node.parent
            for ancestor in reversed(chain):
                index[id(ancestor)] = len(order)
                order.append(ancestor)
        programs = [node.program for node in order]
        code = np.concatenate([p[0] for p in programs] or [np.zeros((0, 4), np.int32)])
        data = np.concatenate([p[1] for p in programs] or [np.zeros((0, 3))])
        parents = [-1 if node.parent is None else index[id(node.parent)] for node in order]
        picks = [-1 if node is None else index[id(node)] for node in self]
        return _unflatten, (code, data, [p[2] for p in programs],
                            [node.fitness for node in order], parents,
                            [node.born for node in order], picks)


def _first(nodes):
    return nodes[0]


def _unflatten(code, data, sizes, fitnesses, parents, born, picks):
    """The Lineages that ``Lineages.__reduce__`` flattened."""
    nodes, start = [], 0
    for size, fitness, parent, number in zip(sizes, fitnesses, parents, born):
        stop = start + sum(size)
        nodes.append(Node((code[start:stop].copy(), data[start:stop].copy(), size), fitness,
                          None if parent < 0 else nodes[parent], number))
        start = stop
    return Lineages(None if i < 0 else nodes[i] for i in picks)


def _valid(individual):
    return individual.fitness is not None and individual.fitness.valid


def _node(individual, fitness, parent, born):
    return Node((individual.code.copy(), individual.data.copy(), individual.sizes), fitness,
                parent, born)


class Discovery(NamedTuple):
    """A step of an ancestry: an ancestor fitter than all before it, and what its
    mutation changed (lines ``Learn: + s3 = s0 - s1`` for added and ``- ...`` for removed
    instructions; empty for the first)."""
    born: int
    fitness: float
    changes: List[str]
    algorithm: Algorithm


def _lines(program):
    code, data, sizes = program
    rows = iter(zip(code.tolist(), data.tolist()))
    return [[format_instruction(*next(rows)) for _ in range(size)] for size in sizes]


def changes(parent: Optional[Node], node: Node) -> List[str]:
    """What the mutation that made node changed in its parent's program, one line per
    added (``+``) or removed (``-``) instruction, by component."""
    if parent is None:
        return []
    found = []
    for name, before, after in zip(_NAMES, _lines(parent.program), _lines(node.program)):
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, before, after,
                                                           autojunk=False).get_opcodes():
            if tag != "equal":
                found += ["%s: - %s" % (name, line) for line in before[i1:i2]]
                found += ["%s: + %s" % (name, line) for line in after[j1:j2]]
    return found


def ancestry(individual) -> List[Discovery]:
    """The discoveries that led to an individual of a recorded lineage, oldest first:
    its initial ancestor, then each ancestor whose fitness beats all the earlier ones
    (and the individual itself if it does).  ValueError if it has no lineage."""
    node = getattr(individual, "lineage", None)
    if node is None:
        raise ValueError("the individual has no lineage: decorate the toolbox's mutate "
                         "with Lineage().decorator before evolving")
    chain = []
    while node is not None:
        chain.append(node)
        node = node.parent
    chain.reverse()
    discoveries, best = [], None
    for parent, node in zip([None] + chain[:-1], chain):
        fitness = node.fitness.values[0] if _valid(node) else float("nan")
        if best is None or fitness > best:
            best = fitness
            discoveries.append(Discovery(node.born, fitness, changes(parent, node),
                                         Algorithm(*node.program)))
    return discoveries


def format_ancestry(individual) -> str:
    """The ancestry as text: one block per discovery, its fitness, when it was made and
    the instructions its mutation added or removed."""
    blocks = []
    for step in ancestry(individual):
        head = "fitness %.6f  individual %d" % (step.fitness, step.born)
        blocks.append("\n".join([head + ("" if step.changes else "  (initial)")]
                                + ["  " + line for line in step.changes]))
    return "\n".join(blocks)


def plot_ancestry(individual, path: str, title: str = "azdeap lineage", labels: int = 8):
    """Write a PNG of the ancestry's fitness against the individuals made, the largest
    ``labels`` jumps labelled with the first instruction their mutation added (or else
    removed).  Needs matplotlib; OSError if it cannot be written."""
    from azdeap.plot import require_matplotlib, save_figure
    plt = require_matplotlib()
    steps = ancestry(individual)
    figure, axes = plt.subplots(figsize=(9, 4.5))
    axes.step([s.born for s in steps], [s.fitness for s in steps], where="post", marker="o")
    jumps = sorted(range(1, len(steps)), key=lambda i: steps[i - 1].fitness - steps[i].fitness)
    for n, i in enumerate(sorted(jumps[:labels])):
        added = [line for line in steps[i].changes if ": + " in line] or steps[i].changes
        axes.annotate(added[0].replace(": + ", ": ", 1), (steps[i].born, steps[i].fitness),
                      textcoords="offset points", xytext=(6, -14 if n % 2 else 6),
                      fontsize="x-small", family="monospace")
    axes.set_xlabel("individuals")
    axes.set_ylabel("fitness on the search tasks")
    axes.set_title("%s: %d discoveries" % (title, len(steps)))
    axes.grid(alpha=0.3)
    save_figure(plt, figure, path)
