"""Hurdles (docs/design.md, "Hurdles"): early stops below the hurdle, the percentile of
unique fitnesses, FEC outside, copies in worker processes, and the loop's updates."""
import math
import multiprocessing
import pickle
import random

import numpy as np
import pytest

from azdeap.config import config_from_dict
from azdeap.evaluator import Evaluation, Evaluator
from azdeap.evolution import eaRegularized
from azdeap.experiment import build_tasks, build_toolbox, run_experiment
from azdeap.fec import FEC
from azdeap.hurdles import Hurdles
from azdeap.space import Memory
from azdeap.toolbox import regularized

N_TASKS, N_TRAIN = 4, 100   # the first 4 linear_tasks
MEMORY = Memory(5, 3, 1)


@pytest.fixture(scope="module")
def tasks(linear_tasks):
    return linear_tasks[:N_TASKS]


@pytest.fixture
def good(readme_regressor):
    return readme_regressor(0.01)


@pytest.fixture
def bad(readme_regressor):
    return readme_regressor(0.0001)


def test_below_the_hurdle_the_cheap_fitness_of_the_first_tasks(tasks, bad):
    hurdles = Hurdles(Evaluator(tasks, MEMORY), tasks=1)
    hurdles.update_hurdle([0.999])
    result = hurdles(bad)
    cheap = Evaluator(tasks[:1], MEMORY)(bad)
    assert isinstance(result, Evaluation) and not result.cached
    assert result[0] == cheap[0] < 0.999
    assert result.train_steps == N_TRAIN            # one task, not four
    assert hurdles.stats() == {"passed": 0, "stopped": 1, "stop_rate": 1.0, "hurdle": 0.999}


def test_below_the_hurdle_the_cheap_fitness_of_the_first_examples(tasks, bad):
    hurdles = Hurdles(Evaluator(tasks, MEMORY), train=10)
    hurdles.update_hurdle([0.999])
    result = hurdles(bad)
    task_fitness, _, _ = Evaluator(tasks, MEMORY).task_fitnesses([bad], n_train=10)
    assert result[0] == math.fsum(task_fitness[0]) / N_TASKS and result[0] < 0.999
    assert result.train_steps == 10 * N_TASKS


def test_at_or_above_the_hurdle_the_full_fitness(tasks, good):
    plain = Evaluator(tasks, MEMORY)(good)
    part = Evaluator(tasks[:2], MEMORY)
    cheap = part.combine(part.task_fitnesses([good], n_train=50)[0])[0]
    for hurdle in (0.0, cheap):   # equal to the hurdle passes
        hurdles = Hurdles(Evaluator(tasks, MEMORY), tasks=2, train=50)
        hurdles.update_hurdle([hurdle])
        result = hurdles(good)
        assert result[0] == plain[0]
        assert result.train_steps == 2 * 50 + N_TASKS * N_TRAIN
        assert hurdles.stats()["passed"] == 1


def test_a_batch_mixes_stopped_and_passed_as_one_by_one(tasks, readme_regressor):
    algorithms = [readme_regressor(lr) for lr in (0.01, 0.0001, 0.003, 0.0, 0.02)]
    hurdles = Hurdles(Evaluator(tasks, MEMORY), tasks=1, train=20)
    part = Evaluator(tasks[:1], MEMORY)
    cheap = part.combine(part.task_fitnesses(algorithms, n_train=20)[0])
    hurdles.update_hurdle(cheap)   # 5 distinct values: the best 2 reach the 75th percentile
    one_by_one = [hurdles(alg) for alg in algorithms]
    batch = hurdles.evaluate_batch(algorithms)
    assert [(r[0], r.train_steps) for r in batch] == [(r[0], r.train_steps) for r in one_by_one]
    stopped = [r.train_steps == 20 for r in batch]
    assert stopped == [c < sorted(cheap)[3] for c in cheap] and sum(stopped) == 3
    full = Evaluator(tasks, MEMORY).evaluate_batch(algorithms)
    for result, steps_stopped, whole in zip(batch, stopped, full):
        if not steps_stopped:
            assert result[0] == whole[0] and result.train_steps == 20 + whole.train_steps
    assert hurdles.evaluate_batch([]) == []


def test_no_hurdle_before_the_first_update(tasks, bad):
    hurdles = Hurdles(Evaluator(tasks, MEMORY), tasks=1)
    result = hurdles(bad)
    plain = Evaluator(tasks, MEMORY)(bad)
    assert (result[0], result.train_steps) == (plain[0], plain.train_steps)
    assert hurdles.hurdle is None and hurdles.stats()["passed"] == 1


def test_the_hurdle_is_the_percentile_of_the_unique_values(tasks):
    hurdles = Hurdles(Evaluator(tasks, MEMORY), tasks=1)
    values = [0.1, 0.1, 0.1, 0.2, 0.3, 0.4, 0.5]
    hurdles.update_hurdle(values)
    assert hurdles.hurdle == pytest.approx(0.4)   # of all values it would be 0.35
    hurdles = Hurdles(Evaluator(tasks, MEMORY), tasks=1, percentile=50)
    hurdles.update_hurdle(np.array(values))
    assert hurdles.hurdle == pytest.approx(0.3)
    hurdles.update_hurdle([])
    assert hurdles.hurdle is None


def test_fec_outside_caches_what_the_hurdles_return(tasks, good, bad):
    hurdles = Hurdles(Evaluator(tasks, MEMORY), tasks=1)
    fec = FEC(hurdles)
    hurdles.update_hurdle([0.999])
    first = fec(bad)
    cheap = Evaluator(tasks[:1], MEMORY)(bad)[0]
    assert (first[0], first.cached) == (cheap, False)
    assert first.train_steps == 10 * N_TASKS + N_TRAIN   # probe + the first task
    second = fec(bad)
    assert (second[0], second.cached, second.train_steps) == (cheap, True, 10 * N_TASKS)
    hurdles.update_hurdle([0.0])
    passed = fec(good)
    plain = Evaluator(tasks, MEMORY)(good)
    assert passed[0] == plain[0]
    assert passed.train_steps == 10 * N_TASKS + N_TRAIN + N_TASKS * N_TRAIN
    assert fec.stats()["hits"] == 1 and hurdles.stats()["stopped"] == 1


def test_a_later_copy_brings_the_hurdle_to_the_kept_instance(tasks):
    hurdles = Hurdles(Evaluator(tasks, MEMORY), tasks=1)
    kept = pickle.loads(pickle.dumps(hurdles))
    assert kept.hurdle is None
    hurdles.update_hurdle([0.25])
    again = pickle.loads(pickle.dumps(hurdles))
    assert again is kept and kept.hurdle == 0.25
    assert [task.name for task in kept.cheap.tasks] == [tasks[0].name]
    assert kept.cheap.rng_state is kept.evaluator.rng_state


def test_a_worker_receives_the_updated_hurdle(tasks, readme_regressor):
    """Under a spawn pool, FEC(Hurdles) or Hurdles is pickled with every chunk; the
    worker keeps its first copy and yet uses the hurdle set in the driver afterwards."""
    hurdles = Hurdles(Evaluator(tasks, MEMORY), tasks=1)
    fec = FEC(hurdles)
    first, second = readme_regressor(0.0001), readme_regressor(0.0002)
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        full, = pool.map(fec, [first])
        hurdles.update_hurdle([0.999])
        stopped, = pool.map(fec, [second])
        alone, = pool.map(hurdles, [first])   # the same kept Hurdles, sent alone
        hurdles.update_hurdle([0.0])
        passed, = pool.map(hurdles, [first])
    assert full[0] == Evaluator(tasks, MEMORY)(first)[0]
    assert full.train_steps == 10 * N_TASKS + N_TASKS * N_TRAIN
    assert stopped[0] == Evaluator(tasks[:1], MEMORY)(second)[0]
    assert stopped.train_steps == 10 * N_TASKS + N_TRAIN
    assert (alone[0], alone.train_steps) == (Evaluator(tasks[:1], MEMORY)(first)[0], N_TRAIN)
    assert (passed[0], passed.train_steps) == (full[0], N_TRAIN + N_TASKS * N_TRAIN)


@pytest.mark.parametrize("arrays", [True, False])
def test_the_loop_updates_the_hurdle(demo_space, linear_tasks, arrays):
    random.seed(3)
    hurdles = Hurdles(Evaluator(linear_tasks[:3], demo_space.memory), tasks=1, train=30)
    toolbox = regularized(demo_space, hurdles, tournsize=5)
    assert toolbox.update_hurdle.func == hurdles.update_hurdle
    if not arrays:   # breed on the list
        toolbox.unregister("select_batch")
    seen = []
    update = toolbox.update_hurdle
    toolbox.register("update_hurdle", lambda values: (seen.append(np.sort(values)),
                                                      update(values)))
    population, _ = eaRegularized(toolbox.population(40), toolbox, batch=10,
                                  max_individuals=140, verbose=False)
    assert len(seen) == 1 + 10
    values = np.array([ind.fitness.values[0] for ind in population])
    assert np.array_equal(seen[-1], np.sort(values))
    assert hurdles.hurdle == np.percentile(np.unique(values), 75)
    assert hurdles.stats()["stopped"] > 0


@pytest.mark.parametrize("kwargs, error, words", [
    ({"tasks": 0}, ValueError, "tasks must be >= 1, got 0"),
    ({"tasks": 5}, ValueError, "tasks must be at most the evaluator's 4 tasks, got 5"),
    ({"tasks": 1.5}, TypeError, "tasks must be an integer, got 1.5"),
    ({"train": 0}, ValueError, "train must be >= 1, got 0"),
    ({"tasks": 1, "percentile": 101}, ValueError,
     "percentile must be a number from 0 to 100, got 101"),
    ({"tasks": 1, "percentile": "75"}, TypeError,
     "percentile must be a number from 0 to 100, got '75'"),
    ({}, ValueError, "the cheap part (tasks=None, train=None) must be smaller than the "
                     "evaluation (4 tasks, up to 100 training examples)"),
    ({"tasks": 4, "train": 100}, ValueError, "the cheap part (tasks=4, train=100) must be "
     "smaller than the evaluation (4 tasks, up to 100 training examples)"),
])
def test_invalid_arguments(tasks, kwargs, error, words):
    with pytest.raises(error) as raised:
        Hurdles(Evaluator(tasks, MEMORY), **kwargs)
    assert str(raised.value) == "Hurdles: " + words


def test_evaluator_must_be_an_evaluator():
    with pytest.raises(TypeError, match=r"^Hurdles: evaluator must be an "
                                        r"azdeap.evaluator.Evaluator, got str$"):
        Hurdles("evaluator", tasks=1)


def test_a_config_with_hurdles_runs_them_inside_the_fec(tiny_config):
    config = config_from_dict(tiny_config(fitness={"hurdles": {"tasks": 1, "train": 50}},
                                          budget={"max_individuals": 600}))
    random.seed(1)
    toolbox = build_toolbox(config, build_tasks(config.tasks.search))
    fec = toolbox.evaluate.func
    hurdles = fec.evaluator
    assert isinstance(fec, FEC) and isinstance(hurdles, Hurdles)
    assert (hurdles.tasks, hurdles.train, hurdles.percentile) == (1, 50, 75.0)
    assert toolbox.update_hurdle.func == hurdles.update_hurdle
    result = run_experiment(config, seed=5)
    assert result.logbook[-1]["individuals"] >= 600
    off = config_from_dict(tiny_config())
    assert not hasattr(build_toolbox(off, build_tasks(off.tasks.search)), "update_hurdle")
