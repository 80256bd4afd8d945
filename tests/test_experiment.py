"""The experiment driver (docs/design.md, "Experiments"): datasets, tasks and toolbox of
a config, run_experiment, run_experiments and its Result."""
import multiprocessing
import random
import re

import numpy as np
import pytest

from azdeap.algorithm import Individual
from azdeap.config import config_from_dict
from azdeap.evaluator import Evaluator
from azdeap.notation import format_algorithm
from azdeap.experiment import (ExperimentError, Result, build_tasks, build_toolbox,
                               initial_individual, load_dataset, make_evaluator,
                               run_experiment, run_experiments)
from azdeap.fec import FEC
from azdeap.parallel import unpack


def quiet(config):
    """run_experiments of a config dict without progress lines or log."""
    return run_experiments(config_from_dict(config), verbose=False, log=lambda *_: None)


# -- datasets and tasks --------------------------------------------------------------------
def test_load_dataset(tmp_path, blobs):
    path = blobs(tmp_path / "blobs.npz")
    x, y = load_dataset(path)
    assert x.shape == (300, 10) and y.shape == (300,)
    with np.load(path) as saved:
        assert np.array_equal(x, saved["x"]) and np.array_equal(y, saved["y"])


def test_load_dataset_errors(tmp_path):
    np.savez(tmp_path / "no_y.npz", x=np.zeros((10, 3)))
    with pytest.raises(ExperimentError, match="y"):
        load_dataset(tmp_path / "no_y.npz")
    np.savez(tmp_path / "rows.npz", x=np.zeros((10, 3)), y=np.zeros(9))
    with pytest.raises(ExperimentError, match="rows"):
        load_dataset(tmp_path / "rows.npz")
    (tmp_path / "text.npz").write_text("not a zip file")
    with pytest.raises(ExperimentError, match="not a readable .npz file"):
        load_dataset(tmp_path / "text.npz")
    with pytest.raises(ExperimentError, match="no such file"):
        load_dataset(tmp_path / "absent.npz")


def test_build_tasks_follows_the_specs_and_can_draw_new_seeds(tiny_config):
    specs = config_from_dict(tiny_config(tasks={"search": [
        {"kind": "linear", "count": 2, "features": 3, "train": 20, "valid": 10},
        {"kind": "teacher", "count": 1, "features": 5, "train": 30, "valid": 10,
         "param_seeds": [9000]}]})).tasks.search
    fixed = build_tasks(specs)
    assert [t.name for t in fixed] == ["linear(param=1001,data=11001)",
                                       "linear(param=1012,data=11012)",
                                       "teacher(param=9000,data=11001)"]
    assert [(t.n_features, t.n_train) for t in fixed] == [(3, 20), (3, 20), (5, 30)]
    random.seed(5)
    randomized = build_tasks(specs, randomize_seeds=True)
    assert [t.n_features for t in randomized] == [3, 3, 5]
    assert not {t.name for t in randomized} & {t.name for t in fixed}
    random.seed(5)
    assert [t.name for t in build_tasks(specs, randomize_seeds=True)] == \
        [t.name for t in randomized]


def test_build_tasks_wraps_task_errors(tmp_path, blobs, tiny_config):
    path = blobs(tmp_path / "small.npz", n=30)          # 10 rows per class
    spec = config_from_dict(tiny_config(tasks={"search": [
        {"kind": "projected", "count": 1, "features": 4, "train": 50, "valid": 20,
         "dataset": str(path)}]})).tasks.search
    with pytest.raises(ExperimentError, match="projected"):
        build_tasks(spec)


# -- the toolbox of a config ---------------------------------------------------------------
@pytest.mark.parametrize("init, sizes", [("random", (10, 2, 8)), ("noop", (10, 2, 8)),
                                         ("listing", (1, 1, 4))])
def test_initial_individual_follows_evolution_init(init, sizes, tiny_config,
                                                   readme_regressor):
    listing = str(readme_regressor(0.05))
    config = config_from_dict(tiny_config(
        memory={"scalars": 5}, evolution={"init": listing if init == "listing" else init}))
    random.seed(6)
    first, second = initial_individual(config)(), initial_individual(config)()
    assert type(first) is Individual and first.sizes == sizes
    assert not first.fitness.valid
    assert (first == second) == (init != "random")
    if init == "noop":
        assert not first.code.any()
    if init == "listing":
        assert first == readme_regressor(0.05)


@pytest.mark.parametrize("fec", [True, False])
def test_build_toolbox_wraps_the_evaluator_in_fec_when_configured(fec, tiny_config):
    config = config_from_dict(tiny_config(
        fitness={"fec": {"train": 5, "valid": 4, "cache_size": 50, "forget_every": 7}}
        if fec else {"fec": None}))
    search = build_tasks(config.tasks.search)
    toolbox = build_toolbox(config, search)
    evaluate = toolbox.evaluate.func     # register wraps it in a partial
    if fec:
        assert isinstance(evaluate, FEC)
        assert (evaluate.train, evaluate.valid, evaluate.cache_size, evaluate.forget_every) \
            == (5, 4, 50, 7)
        evaluate = evaluate.evaluator
    assert type(evaluate) is Evaluator and evaluate.tasks == search
    assert evaluate.memory == config.memory and evaluate.prune is True
    assert toolbox.select.keywords == {"tournsize": 5}
    assert len(toolbox.population(3)) == 3


def test_fitness_prune_reaches_every_evaluator(tiny_config):
    config = config_from_dict(tiny_config(fitness={"prune": False}))
    assert build_toolbox(config, build_tasks(config.tasks.search)).evaluate.func.evaluator.prune \
        is False
    assert make_evaluator(config, build_tasks(config.tasks.select)).prune is False


def test_pruning_changes_no_result_of_an_experiment(tiny_config):
    """The same search bit for bit (every logbook number but the time, train steps too:
    an answer by pruned form is charged its skipped fingerprint run); random ops in every
    component."""
    ops = ["SCALAR_CONST_SET", "VECTOR_INNER_PRODUCT", "SCALAR_DIFF", "SCALAR_PRODUCT",
           "SCALAR_VECTOR_PRODUCT", "VECTOR_SUM", "SCALAR_GAUSSIAN_SET", "VECTOR_UNIFORM_SET"]
    components = {name: {"ops": ops} for name in ("setup", "predict", "learn")}
    results = [run_experiment(config_from_dict(tiny_config(
        budget={"max_individuals": 600}, components=components,
        fitness={"prune": prune})), 3) for prune in (True, False)]
    timeless = ("elapsed",)
    pruned, full = ([{key: value for key, value in record.items() if key not in timeless}
                     for record in result.logbook] for result in results)
    assert pruned == full
    assert results[0].select_fitness == results[1].select_fitness
    assert unpack(results[0].candidate) == unpack(results[1].candidate)


# -- one experiment and the run --------------------------------------------------------------
def test_run_experiment_is_a_function_of_config_and_seed(tiny_config):
    config = config_from_dict(tiny_config(budget={"max_individuals": 300}))
    first, again = run_experiment(config, 7), run_experiment(config, 7)
    candidate, = unpack(first.candidate)
    assert type(candidate) is Individual and candidate.fitness.values == (first.search_fitness,)
    assert first.logbook[-1]["individuals"] == 300
    assert first.logbook[-1]["best"] == first.search_fitness
    assert (unpack(again.candidate), again.select_fitness) == ([candidate], first.select_fitness)
    assert unpack(run_experiment(config, 8).candidate) != [candidate]


def test_projected_dataset_runs(tmp_path, blobs, tiny_config):
    path = str(blobs(tmp_path / "blobs.npz"))
    spec = {"kind": "projected", "count": 3, "features": 4, "train": 100, "valid": 50,
            "dataset": path}
    d = tiny_config(tasks={"search": [spec], "select": [spec], "final": [dict(spec, count=2)]},
                    budget={"max_individuals": 600})
    lines = []
    result = run_experiments(config_from_dict(d), verbose=False, log=lines.append)
    assert 0.0 <= result.final_fitness <= 1.0
    assert 0.0 <= result.select_fitness <= 1.0
    assert result.individuals == 600
    assert any(line.startswith("final fitness (2 unseen tasks)") for line in lines)


def test_result_fields(tiny_config):
    lines = []
    result = run_experiments(config_from_dict(tiny_config()), verbose=False, log=lines.append)
    assert isinstance(result, Result)
    assert set(Result._fields) == {"best", "select_fitness", "final_fitness", "experiments",
                                   "individuals", "seconds", "logbooks", "island_logbooks"}
    assert isinstance(result.best, Individual) and result.best.fitness.valid
    assert 0.0 <= result.select_fitness <= 1.0 and 0.0 <= result.final_fitness <= 1.0
    assert result.experiments == 1
    assert result.individuals == 2000
    assert result.seconds > 0
    assert len(result.logbooks) == 1
    assert result.logbooks[0][-1]["individuals"] == 2000
    assert lines[0] == "azdeap: seed 1"
    simple = result.best.simplified(exact_draws=True)   # printed without dead code
    assert lines[-1] == format_algorithm(simple, roles=True)
    assert lines[-2].startswith("the best algorithm without its dead code (%d of %d "
                                "instructions" % (len(simple), len(result.best)))
    assert len(simple) < len(result.best)
    assert any("final fitness (5 unseen tasks): %.6f" % result.final_fitness in line
               for line in lines)


def test_same_seed_same_result(tiny_config):
    first, second = quiet(tiny_config()), quiet(tiny_config())
    assert first.final_fitness == second.final_fitness
    assert first.select_fitness == second.select_fitness
    assert first.best == second.best and str(first.best) == str(second.best)
    assert quiet(tiny_config(seed=2)).best != first.best


def test_experiments_repeat_until_max_or_sufficient(tiny_config):
    low_budget = {"max_individuals": 300}
    lines = []
    result = run_experiments(
        config_from_dict(tiny_config(budget=low_budget, experiments={"max": 3})),
        verbose=False, log=lines.append)
    assert result.experiments == 3 and result.individuals == 900
    assert len(result.logbooks) == 3
    # the best select fitness over the experiments is kept
    selects = [float(line.split("select fitness ")[1].split(",")[0])
               for line in lines if line.startswith("experiment ")]
    assert len(selects) == 3
    assert result.select_fitness == pytest.approx(max(selects), abs=1e-6)
    # sufficient_fitness 0 is exceeded by the first candidate (strict >): one experiment
    result = quiet(tiny_config(budget=low_budget,
                               experiments={"max": 3, "sufficient_fitness": 0.0}))
    assert result.experiments == 1 and result.individuals == 300


def test_experiments_run_in_parallel_reproducibly(tiny_config):
    """workers=2 runs two experiments per round; a process pool gives the same result."""
    config = config_from_dict(tiny_config(budget={"max_individuals": 300},
                                          experiments={"max": 3, "sufficient_fitness": 1.0}))
    lines = []
    serial = run_experiments(config, workers=2, verbose=False, log=lines.append)
    assert lines[0] == "azdeap: seed 1, 2 experiments at a time"
    assert serial.experiments == 3 and len(serial.logbooks) == 3   # rounds of 2, then 1
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        parallel = run_experiments(config, pool.map, workers=2, verbose=False,
                                   log=lambda *_: None)
    assert (parallel.best, parallel.select_fitness, parallel.final_fitness) == (
        serial.best, serial.select_fitness, serial.final_fitness)
    assert [log[-1]["best"] for log in parallel.logbooks] == [
        log[-1]["best"] for log in serial.logbooks]


def test_progress_is_the_logbook_columns_or_on_a_terminal_a_line(tiny_config):
    """Columns: the island's logbook (one island) or the merged one; the terminal line:
    individuals, rate, best, FEC hit rate and time left."""
    config = config_from_dict(tiny_config(islands={"migrate_every": 500}))
    lines = []
    run_experiments(config, verbose=True, log=lines.append)
    lines = "\n".join(lines).splitlines()
    assert lines[1].split()[:5] == ["individuals", "train_steps", "elapsed", "evals", "cached"]
    assert [int(line.split()[0]) for line in lines[2:7]] == [50, 550, 1050, 1550, 2000]
    lines = []
    run_experiments(config, verbose=True, log=lines.append, progress_line=True)
    line = re.fullmatch(r"experiment 1: (\d+) individuals \(run: \1\), (\d+)/s, best (\S+), "
                        r"FEC hits (\d+)%, about (\d+\.\d) s left", lines[1])
    assert line, lines[1]
    assert int(line.group(1)) == 550 and 0 <= float(line.group(3)) <= 1
    assert 0 < int(line.group(4)) < 100
    assert not any(re.fullmatch(r"experiment 1: \d+ individuals, .*", text)
                   for text in lines[2:-3])   # at most one a second
