"""Lineage (azdeap.lineage): parents and changes recorded through a decorated mutate,
the ancestry of the best as its sequence of discoveries, and its plot."""
import copy
import gc
import json
import os
import pickle
import random

import pytest
import yaml
from deap import tools

import azdeap
from azdeap import cli, experiment
from azdeap.algorithm import Algorithm, Individual
from azdeap.config import config_from_dict
from azdeap.evolution import batch_form, eaRegularized
from azdeap.experiment import (_epoch_round, _start_experiment, build_toolbox, build_tasks,
                               resume_experiments, run_experiments)
from azdeap.lineage import Lineage, Node, ancestry, changes, format_ancestry, plot_ancestry
from azdeap.parallel import pack, unpack
from azdeap.runfolder import RunFolder


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


def _run(tiny_config, tmp_path, name, lineage=True, **changes):
    """The Result of a run of the tiny config in folder tmp_path/name, with 2 islands."""
    d = tiny_config(evolution={"lineage": lineage}, budget={"max_individuals": 1200},
                    islands={"count": 2, "migrate_every": 200, "migrants": 5},
                    checkpoint_every=0, **changes)
    quiet = dict(verbose=False, log=lambda *_: None)
    return run_experiments(config_from_dict(d), folder=RunFolder(str(tmp_path / name)), **quiet)


def _discoveries(text):
    """(fitness, number) of each discovery of an ancestry.txt."""
    return [(float(line.split()[1]), int(line.split()[3])) for line in text.splitlines()
            if line.startswith("fitness ")]


def test_the_lineage_key_writes_the_best_algorithms_ancestry(capsys, tmp_path, tiny_config):
    d = tiny_config(seed=3, evolution={"lineage": True}, experiments={"max": 2},
                    budget={"max_individuals": 1200},
                    islands={"count": 2, "migrate_every": 200, "migrants": 5})
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(d))
    status = cli.main(["run", "--quiet", "--config", str(path), "--out", str(tmp_path / "run")])
    out, _ = capsys.readouterr()
    assert status == 0
    folder = tmp_path / "run"
    text = (folder / "ancestry.txt").read_text()
    steps = _discoveries(text)
    assert "its lineage: %d discoveries on T_search, fitness %.6f to %.6f (ancestry.txt in %s)"\
        % (len(steps), steps[0][0], steps[-1][0], folder) in out
    assert steps[0][1] == 0 and text.split("\nfitness ")[1].endswith("(initial)")
    assert [f for f, _ in steps] == sorted({f for f, _ in steps}) and len(steps) >= 2
    # the head names the best algorithm's own node: its search fitness, its number
    result = json.loads((folder / "result.json").read_text())
    winner = max(result["per_experiment"], key=lambda e: e["select_fitness"])
    head = next(line for line in text.splitlines() if line.startswith("# best.txt: "))
    assert head.split()[3] == "%.6f" % winner["search_fitness"] <= "%.6f" % steps[-1][0]
    assert int(head.split()[5]) >= steps[-1][1] or len(steps) == 1
    pytest.importorskip("matplotlib")
    assert (folder / "ancestry.png").stat().st_size > 1000


def test_the_ancestry_is_the_candidates_and_the_key_off_records_nothing(tmp_path, tiny_config):
    on = _run(tiny_config, tmp_path, "on")
    node = on.best.lineage   # the best's own node, though it went through packs
    assert Algorithm(*node.program) == on.best and node.fitness.values == on.best.fitness.values
    assert Algorithm.from_text((tmp_path / "on" / "best.txt").read_text()) == on.best
    assert format_ancestry(on.best) in (tmp_path / "on" / "ancestry.txt").read_text()
    off = _run(tiny_config, tmp_path, "off", lineage=False)
    assert not hasattr(off.best, "lineage")
    assert not {"ancestry.txt", "ancestry.png"} & set(os.listdir(tmp_path / "off"))
    for lineage, has_batch_form in ((False, True), (True, False)):
        config = config_from_dict(tiny_config(evolution={"lineage": lineage}))
        toolbox = build_toolbox(config, build_tasks(config.tasks.search))
        assert hasattr(toolbox, "lineage") is lineage   # off: the array path, as before
        assert (batch_form(toolbox, "mutate") is not None) is has_batch_form


def _pickling_map(function, items):
    """map as another process sees it: arguments and results through pickle."""
    return [pickle.loads(pickle.dumps(function(pickle.loads(pickle.dumps(item)))))
            for item in items]


def test_ancestries_cross_processes_and_migrations_whole(tiny_config):
    """Islands run through a pickling map give the ancestries of the run in one process,
    every individual of the final populations holds its own node, and the numbers count
    on across epochs, processes and checkpoints."""
    config = config_from_dict(tiny_config(
        evolution={"lineage": True}, budget={"max_individuals": 1200},
        islands={"count": 2, "migrate_every": 200, "migrants": 5}))
    runs = []
    for map_function in (map, _pickling_map):
        experiment = _start_experiment(config, 1, 7, "test-lineage-%s" % map_function.__name__)
        while not experiment.done:
            _epoch_round(config, [experiment], map_function)
        runs.append([unpack(island.population) for island in experiment.islands])
        # a child's number counts the individuals its island made (the logbook's count)
        for island, population in zip(experiment.islands, runs[-1]):
            youngest = max(ind.lineage.born for ind in population)
            assert island.counts["individuals"] - 10 < youngest <= island.counts["individuals"]
    for populations in runs:
        for population in populations:
            for ind in population:
                assert Algorithm(*ind.lineage.program) == ind
                assert ind.lineage.fitness.values == ind.fitness.values
                assert all(n.born == 0 for n in _nodes(ind.lineage) if n.parent is None)
    assert [[_chain(ind.lineage) for ind in population] for population in runs[0]] == \
        [[_chain(ind.lineage) for ind in population] for population in runs[1]]


def test_a_resumed_run_writes_the_ancestry_of_the_run_uninterrupted(capsys, monkeypatch,
                                                                     tmp_path, tiny_config):
    real, calls = experiment._epoch_round, []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) > 2:   # of 3
            raise KeyboardInterrupt
        return real(*args, **kwargs)
    monkeypatch.setattr(experiment, "_epoch_round", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _run(tiny_config, tmp_path, "killed", seed=5)
    assert (tmp_path / "killed" / "ancestry.txt").exists()   # of the best so far
    monkeypatch.undo()
    resumed = resume_experiments(RunFolder(str(tmp_path / "killed")), verbose=False,
                                 log=lambda *_: None)
    whole = _run(tiny_config, tmp_path, "whole", seed=5)
    assert resumed.best == whole.best
    assert (tmp_path / "killed" / "ancestry.txt").read_text() == \
        (tmp_path / "whole" / "ancestry.txt").read_text()


def test_a_bad_lineage_value_is_one_config_error_line(capsys, tmp_path, tiny_config):
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(tiny_config(evolution={"lineage": "yes"})))
    assert cli.main(["run", "--quiet", "--config", str(path)]) == 2
    assert capsys.readouterr().err == ("azdeap: error: %s: evolution.lineage: expected true "
                                       "or false, got 'yes'\n" % path)
