"""Islands (docs/parallel.md, "Islands"): epochs, migration, task groups, determinism."""
import multiprocessing
import random
import re

import pytest

from azdeap.config import ConfigError, config_from_dict
from azdeap.experiment import _epoch_round, _island_toolbox, _start_experiment, \
    run_experiment, run_experiments
from azdeap.islands import epoch_limits, migrate, new_island, run_epoch
from azdeap.parallel import unpack


def _islands(tiny_config, **islands):
    return config_from_dict(tiny_config(islands=islands, budget={"max_individuals": 600}))


def _programs(packed):
    return [str(ind) for ind in unpack(packed)]


def _fitnesses(packed):
    return [ind.fitness.values[0] for ind in unpack(packed)]


def test_an_island_epoch_takes_immigrants_in_place_of_its_oldest(tiny_config):
    config = _islands(tiny_config, count=2, migrants=4)
    experiment = _start_experiment(config, 1, 5, "test-immigrants")
    toolbox, evaluator = _island_toolbox(config, experiment.key, experiment.groups[0])
    first = [run_epoch(toolbox, evaluator, island, (100, None, None), 50, 10, 4, 500)[0]
             for island in experiment.islands]
    population = _programs(first[0].population)
    # emigrants: copies of the 4 best, best first
    assert sorted(_fitnesses(first[0].population), reverse=True)[:4] == \
        _fitnesses(first[0].emigrants)
    assert set(_programs(first[0].emigrants)) <= set(population)
    migrate(first, "ring", random.Random(0))
    assert first[1].immigrants is first[0].emigrants and first[0].immigrants is first[1].emigrants
    # an epoch that makes no child: the immigrants replace the 4 oldest, as the youngest
    island = first[1]
    after, records = run_epoch(toolbox, evaluator, island, (50, None, None), 50, 10, 4, 500)
    assert _programs(after.population) == _programs(island.population)[4:] + \
        _programs(island.immigrants)
    assert after.immigrants is None and records == []
    assert after.counts["individuals"] == island.counts["individuals"]


def test_migrate_topologies():
    islands = [new_island(i, 0, 1) for i in range(4)]
    for i, island in enumerate(islands):
        island.emigrants = "from %d" % i
    migrate(islands, "ring", random.Random(0))
    assert [island.immigrants for island in islands] == ["from 3", "from 0", "from 1", "from 2"]
    sources = set()
    for seed in range(20):
        migrate(islands, "random", random.Random(seed))
        for i, island in enumerate(islands):
            assert island.immigrants != "from %d" % i   # never its own
            sources.add((i, island.immigrants))
    assert len(sources) == 12   # every other island, sometimes
    lone = [new_island(0, 0, 1)]
    migrate(lone, "ring", random.Random(0))
    assert lone[0].immigrants is None


def test_epoch_limits_share_the_budget(tiny_config):
    budget = config_from_dict(tiny_config(budget={"max_individuals": 1000,
                                                  "max_train_steps": 10**6})).budget
    fresh = new_island(0, 0, 1)
    counts = {"individuals": 0, "train_steps": 0}
    # first epoch: the initial population counts; 2 islands share what is left
    assert epoch_limits(fresh, 50, 300, 2, budget, counts, 0.0) == (350, 500000, None)
    assert epoch_limits(fresh, 50, 1000, 2, budget, counts, 0.0) == (500, 500000, None)
    assert epoch_limits(fresh, 50, None, 2, budget, counts, 0.0) == (500, 500000, None)
    fresh.population = ()  # a later epoch counts the population again, evaluating nothing
    counts = {"individuals": 900, "train_steps": 999_999}
    assert epoch_limits(fresh, 50, 300, 2, budget, counts, 0.0) == (100, 1, None)


def test_epochs_split_one_island_without_changing_its_run(tiny_config):
    """count 1: epochs of 100 individuals make the run of one epoch (the run before
    islands existed), FEC on."""
    results = [run_experiment(config_from_dict(tiny_config(
        islands={"migrate_every": every}, budget={"max_individuals": 900})), 11)
        for every in (100, 10**6)]
    split, whole = results
    assert unpack(split.candidate) == unpack(whole.candidate)
    assert (split.search_fitness, split.select_fitness) == (whole.search_fitness,
                                                            whole.select_fitness)
    assert len(split.logbook) > len(whole.logbook)
    assert split.logbook[-1]["individuals"] == whole.logbook[-1]["individuals"] == 900


def test_islands_search_apart_and_migration_changes_the_run(tiny_config):
    runs = {}
    for migrants in (0, 10):
        config = _islands(tiny_config, count=3, migrate_every=100, migrants=migrants)
        experiment = _start_experiment(config, 1, 4, "test-apart-%d" % migrants)
        while not experiment.done:
            _epoch_round(config, [experiment])
        runs[migrants] = experiment
    alone = runs[0]
    populations = [_programs(island.population) for island in alone.islands]
    assert len({tuple(p) for p in populations}) == 3
    assert sum(island.counts["individuals"] for island in alone.islands) >= 600
    assert [len(logbook) for logbook in alone.logbooks] == [len(alone.logbooks[0])] * 3
    assert [_programs(i.population) for i in runs[10].islands] != populations
    assert alone.merged[-1]["best"] == max(i.stats["best"] for i in alone.islands)


def test_island_i_searches_group_i_mod_g(tiny_config):
    search = [{"kind": "linear", "count": 2, "group": 0},
              {"kind": "teacher", "count": 1, "group": 1},
              {"kind": "linear", "count": 1, "group": 0}]
    d = tiny_config(islands={"count": 3, "migrants": 5})
    d["tasks"]["search"] = search
    config = config_from_dict(d)
    experiment = _start_experiment(config, 1, 2, "test-groups")
    assert [[spec.kind for spec in group] for group in experiment.groups] == [
        ["linear", "linear"], ["teacher"]]
    assert [island.group for island in experiment.islands] == [0, 1, 0]


@pytest.mark.parametrize("change, words", [
    ({"islands": {"count": 1}, "group": 1}, "islands.count: 2 task groups"),
    ({"islands": {"count": 2, "migrants": 50}}, "islands.migrants: must be smaller"),
    ({"select_group": 1}, "tasks.select[0].group: only for tasks.search"),
    ({"islands": {"topology": "star"}}, "islands.topology: expected one of ring, random"),
])
def test_island_config_errors(tiny_config, change, words):
    d = tiny_config(islands=change.get("islands", {}))
    if "group" in change:
        d["tasks"]["search"] = d["tasks"]["search"] + [dict(d["tasks"]["search"][0], group=1)]
    if "select_group" in change:
        d["tasks"]["select"][0]["group"] = 1
    with pytest.raises(ConfigError, match=re.escape("x.yaml: " + words)):
        config_from_dict(d, "x.yaml")


def test_islands_in_a_pool_make_the_run_of_one_process_without_fec(tiny_config):
    """An epoch is a function of the island's state: a process pool gives the same run
    (FEC off: with it, hits depend on which process ran what)."""
    d = tiny_config(islands={"count": 2, "migrate_every": 200, "migrants": 5},
                    budget={"max_individuals": 1200})
    d["fitness"] = {"fec": None}
    config = config_from_dict(d)
    quiet = dict(verbose=False, log=lambda *_: None)
    serial = run_experiments(config, **quiet)
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        parallel = run_experiments(config, pool.map, workers=2, **quiet)
    assert (parallel.best, parallel.select_fitness, parallel.final_fitness) == (
        serial.best, serial.select_fitness, serial.final_fitness)
    assert [[dict(r, elapsed=0) for r in log] for log in parallel.island_logbooks[0]] == \
        [[dict(r, elapsed=0) for r in log] for log in serial.island_logbooks[0]]
