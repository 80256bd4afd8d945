"""Lineage (azdeap.lineage): parents and changes recorded through a decorated mutate,
the ancestry of the best as its sequence of discoveries, and its plot."""
import copy
import gc
import pickle
import random

import pytest
from deap import tools

import azdeap
from azdeap.algorithm import Algorithm, Individual
from azdeap.evolution import eaRegularized
from azdeap.lineage import Lineage, Node, ancestry, changes, format_ancestry, plot_ancestry
from azdeap.parallel import pack, unpack


def listing(learn):
    return Individual.from_text("def Setup():\n  s2 = 0.01\ndef Predict():\n  s1 = dot(v0, v1)\n"
                                "def Learn():\n" + "".join("  %s\n" % line for line in learn))


def test_changes_name_the_instructions_added_and_removed():
    parent = Node((lambda a: (a.code, a.data, a.sizes))(listing(["s3 = s0 - s1", "v1 = v0 + v1"])),
                  None, None, 0)
    child = listing(["s3 = s0 - s1", "v2 = s3 * v0", "v1 = v2 + v1"])
    node = Node((child.code, child.data, child.sizes), None, parent, 5)
    assert changes(parent, node) == ["Learn: - v1 = v0 + v1", "Learn: + v2 = s3 * v0",
                                     "Learn: + v1 = v2 + v1"]
    assert changes(None, node) == []


def test_a_recorded_search_tells_its_discoveries(demo_space, linear_tasks, tmp_path):
    random.seed(3)
    lineage = Lineage()
    toolbox = azdeap.toolbox.regularized(demo_space, azdeap.Evaluator(linear_tasks,
                                                                      demo_space.memory))
    toolbox.decorate("mutate", lineage.decorator)
    hof = tools.HallOfFame(1)
    population, _ = eaRegularized(toolbox.population(100), toolbox, batch=10,
                                  max_individuals=3000, halloffame=hof, verbose=False)
    assert lineage.made == 2900          # a decorated mutate runs once per child
    best = max(population, key=lambda ind: ind.fitness.values[0])
    steps = ancestry(best)
    fitness = [step.fitness for step in steps]
    assert fitness == sorted(set(fitness)) and len(steps) >= 3
    assert steps[0].born == 0 and steps[0].changes == []
    assert all(step.changes for step in steps[1:])
    assert [step.born for step in steps] == sorted(step.born for step in steps)
    node = best.lineage   # the best's own program is the last node's
    assert Algorithm(*node.program) == Algorithm(best.code, best.data, best.sizes)
    assert steps[-1].fitness >= best.fitness.values[0]
    text = format_ancestry(best)
    assert text.splitlines()[0].endswith("(initial)") and text.count("fitness ") == len(steps)
    assert copy.deepcopy(best).lineage is best.lineage   # copies share the lineage
    # only the population's ancestry stays in memory, not every child made
    gc.collect()
    alive = sum(isinstance(o, Node) for o in gc.get_objects())
    assert alive < 500           # measured: 217
    plot_ancestry(best, str(tmp_path / "lineage.png"))
    assert (tmp_path / "lineage.png").stat().st_size > 1000


def test_an_unchanged_child_keeps_its_parents_node():
    lineage = Lineage()
    keep = lineage.decorator(lambda individual: (individual,))
    change = lineage.decorator(lambda individual: (individual,) if
                               individual.fitness.__delattr__("values") is None else None)
    parent = listing(["s3 = s0 - s1"])
    parent.fitness.values = (0.5,)
    child, = change(copy.deepcopy(parent))
    child.fitness.values = (0.7,)
    same, = keep(copy.deepcopy(child))
    assert same.lineage is child.lineage and child.lineage.parent.born == 0
    assert [step.fitness for step in ancestry(same)] == [0.5, 0.7]


def test_no_lineage_is_a_one_line_error():
    with pytest.raises(ValueError, match="has no lineage: decorate the toolbox's mutate"):
        ancestry(Individual())


# -- lineages through pack, pickles and the experiment driver -------------------------
def _chain(node):
    """(program listing, fitness values, number) of a node and its ancestors, newest first."""
    chain = []
    while node is not None:
        chain.append((str(Algorithm(*node.program)), node.fitness.values, node.born))
        node = node.parent
    return chain


def _recorded_population(demo_space, linear_tasks, individuals=600):
    random.seed(4)
    lineage = Lineage()
    toolbox = azdeap.toolbox.regularized(demo_space, azdeap.Evaluator(linear_tasks,
                                                                      demo_space.memory))
    toolbox.register("individual", lineage.rooted(toolbox.individual))
    toolbox.register("population", tools.initRepeat, list, toolbox.individual)
    toolbox.decorate("mutate", lineage.decorator)
    population, _ = eaRegularized(toolbox.population(50), toolbox, batch=10,
                                  max_individuals=individuals, verbose=False)
    return population


def test_pack_carries_the_lineages_and_a_pickle_carries_them_whole(demo_space, linear_tasks):
    population = _recorded_population(demo_space, linear_tasks)
    assert all(isinstance(ind.lineage, Node) for ind in population)   # rooted: even unmutated
    assert any(ind.lineage.parent is None for ind in
               _recorded_population(demo_space, linear_tasks, individuals=50))
    packed = pack(population)
    assert [ind.lineage for ind in unpack(packed)] == [ind.lineage for ind in population]
    back = unpack(pickle.loads(pickle.dumps(packed)))
    assert back == population
    assert [_chain(ind.lineage) for ind in back] == [_chain(ind.lineage) for ind in population]
    assert all(Algorithm(*ind.lineage.program) == ind and ind.lineage.fitness.values ==
               ind.fitness.values for ind in back)
    # ancestors shared in the population are shared after the pickle, each sent once
    nodes = {id(n): i for i, ind in enumerate(population) for n in _nodes(ind.lineage)}
    copies = {id(n): i for i, ind in enumerate(back) for n in _nodes(ind.lineage)}
    assert len(copies) == len(nodes) < sum(len(_chain(ind.lineage)) for ind in population)
    # no lineage, nothing more in the pack
    assert len(pack([Individual()])) == 3 and not hasattr(unpack(pack([Individual()]))[0],
                                                          "lineage")


def _nodes(node):
    while node is not None:
        yield node
        node = node.parent


def test_a_long_lineage_pickles_without_deep_recursion():
    individual = listing(["s3 = s0 - s1"])
    individual.fitness.values = (0.5,)
    node = None
    for born in range(20000):
        node = Node((individual.code, individual.data, individual.sizes), individual.fitness,
                    node, born)
    individual.lineage = node
    for back in (unpack(pickle.loads(pickle.dumps(pack([individual]))))[0],
                 pickle.loads(pickle.dumps(individual))):   # a node pickles flat too
        assert back.lineage.born == 19999 and len(list(_nodes(back.lineage))) == 20000
        assert _chain(back.lineage) == _chain(individual.lineage)

