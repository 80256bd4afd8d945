"""Lineage (azdeap.lineage): parents and changes recorded through a decorated mutate,
the ancestry of the best as its sequence of discoveries, and its plot."""
import copy
import gc
import random

import pytest
from deap import tools

import azdeap
from azdeap.algorithm import Algorithm, Individual
from azdeap.evolution import eaRegularized
from azdeap.lineage import Lineage, Node, ancestry, changes, format_ancestry, plot_ancestry


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
