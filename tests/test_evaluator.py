"""Fitness: Evaluator, evaluate, Evaluation and DEAP individuals (docs/design.md,
"Execution" and "Fitness")."""
import pickle
import random
import subprocess
import sys

import numpy as np
import pytest
from deap import base

import azdeap
from azdeap import (Algorithm, Evaluation, Evaluator, Memory, evaluate, ops, reference,
                    tasks)
from azdeap.evaluator import Scores
from azdeap.generator import initRandom
from azdeap.liveness import prune
from azdeap.programs import Programs
from azdeap.tasks import Task

NEURAL_NET = reference.NEURAL_NETWORK.format(learning_rate="0.01")

README_MEMORY = Memory(5, 3, 1)


def program(setup="", predict="", learn="", cls=Algorithm):
    def block(lines):
        return "".join("\n  " + line for line in lines.split(";") if line.strip())
    return cls.from_text("def Setup():%s\ndef Predict():%s\ndef Learn():%s"
                         % (block(setup), block(predict), block(learn)))


def squash(rms):
    return 1.0 - 2.0 / np.pi * np.arctan(rms)


@pytest.fixture(scope="module")
def final_linear():
    return tasks.make_tasks("linear", 100, 4, 1000, 100, param_seeds=[2000000],
                            data_seeds=[1000000])


# -- the README regressor and the hand-written neural net -------------------------------

def test_readme_regressor_on_final_tasks(final_linear, readme_regressor):
    slow = readme_regressor(0.001)
    assert slow.memory_used() == Memory(5, 3, 0)
    fitness = evaluate(slow, final_linear)
    assert 0.5 < fitness < 0.7
    assert fitness == pytest.approx(0.627, abs=0.01)
    assert evaluate(readme_regressor(0.1), final_linear) > 0.9999


def sgd_fitness(task, learning_rate):
    """The README regressor's fitness on one task, from a plain numpy SGD loop."""
    w = np.zeros(task.n_features)
    for x, y in zip(task.train_x, task.train_y):
        w += learning_rate * (y - x @ w) * x
    return squash(np.sqrt(np.mean((task.valid_y - task.valid_x @ w) ** 2)))


def test_readme_regressor_fitness_is_the_squashed_rms(linear_tasks, readme_regressor):
    task = linear_tasks[0]
    assert evaluate(readme_regressor(0.01), [task]) == pytest.approx(sgd_fitness(task, 0.01),
                                                                     rel=1e-10)


def test_neural_net_beats_the_linear_regressor_on_teacher_tasks(readme_regressor):
    teacher = tasks.make_tasks("teacher", 10, 4, 1000, 100)
    net = Algorithm.from_text(NEURAL_NET)
    assert net.memory_used() == Memory(5, 9, 2)
    net_fitness = evaluate(net, teacher)
    linear_fitness = evaluate(readme_regressor(0.01), teacher)
    assert net_fitness > 0.75
    assert net_fitness > linear_fitness + 0.1
    # Without its weight initialisation (the integration test's damaged net) it learns
    # nothing: the hidden layer stays dead.
    damaged = Algorithm.from_text("\n".join(l for l in NEURAL_NET.splitlines()
                                            if "gaussian" not in l))
    assert evaluate(damaged, teacher, memory=Memory(5, 9, 2)) < net_fitness - 0.1


# -- NaN, overflow, early stopping -------------------------------------------------------

def run(alg, task_list, memory=Memory(6, 3, 1), **kw):
    return Evaluator(task_list, memory, **kw)(alg)


@pytest.mark.parametrize("predict", [
    "s1 = log(s0)",                    # log(0) = -inf
    "s1 = s0 / s0",                    # 0 / 0 = NaN
    "s1 = 1000.0",                     # |error| > 100
    "s2 = 1000.0; s1 = exp(s2)",       # inf
    "s2 = -1.0; s1 = arcsin(s2); s3 = 2.0; s1 = arcsin(s3)",  # NaN after a finite value
])
def test_bad_training_predictions_stop_early_with_fitness_zero(linear_tasks, predict):
    result = run(program(predict=predict, learn="s5 = s0 + s1"), linear_tasks)
    assert result[0] == 0.0
    assert result.train_steps <= len(linear_tasks)  # at most one example per task


def test_large_but_bounded_errors_are_not_stopped(linear_tasks):
    result = run(program(predict="s1 = 50.0"), linear_tasks)
    rms = [np.sqrt(np.mean((50.0 - t.valid_y) ** 2)) for t in linear_tasks]
    assert result[0] == pytest.approx(np.mean(squash(np.array(rms))), rel=1e-12)
    assert result[0] > 0.0
    assert result.train_steps == 10 * 100


def test_validation_error_above_the_limit_gives_zero(linear_tasks):
    """Predict reads s2, which Predict sets and Learn resets: harmless in training
    (s1 = 0), but from the second validation example on s1 = s2 * s3."""
    def blowup(factor):
        return program(setup="s3 = %r" % factor, predict="s1 = s2 * s3; s2 = 1.0",
                       learn="s2 = 0.0")
    big = run(blowup(1000.0), linear_tasks)
    assert big[0] == 0.0
    assert big.train_steps == 10 * 100  # training ran to the end
    fine = run(blowup(50.0), linear_tasks)
    assert 0.0 < fine[0] < 0.1
    assert run(blowup(1000.0), linear_tasks, max_abs_error=2000.0)[0] > 0.0


def test_one_failing_task_does_not_spoil_the_others(linear_tasks):
    """s1 = 1 / x0 feature blows up only where |x0| is tiny."""
    alg = program(setup="v1[0.0] = 1.0", predict="s2 = dot(v0, v1); s1 = 1 / s2")
    fitness, steps, _ = Evaluator(linear_tasks, Memory(3, 2, 1)).task_fitnesses([alg])
    x0 = [np.concatenate([t.train_x[:, 0], t.valid_x[:, 0]]) for t in linear_tasks]
    labels = [np.concatenate([t.train_y, t.valid_y]) for t in linear_tasks]
    dies = np.array([np.any(np.abs(y - 1 / x) > 100) for x, y in zip(x0, labels)])
    assert dies.any() and not dies.all()
    np.testing.assert_array_equal(fitness[0] == 0.0, dies)


def test_train_steps_of_a_well_behaved_algorithm(linear_tasks, readme_regressor):
    result = Evaluator(linear_tasks, README_MEMORY)(readme_regressor())
    assert result.train_steps == 1000
    assert 0.0 < result[0] < 1.0
    assert Evaluator(linear_tasks[:3], README_MEMORY)(readme_regressor()).train_steps == 300


def test_an_algorithm_that_does_not_fit_the_memory_raises(linear_tasks, readme_regressor,
                                                          demo_memory):
    with pytest.raises(ValueError, match="address out of range"):   # the README uses s4
        Evaluator(linear_tasks, demo_memory)(readme_regressor())


# -- classification ----------------------------------------------------------------------

def classification_task(valid_y, n_features=2, train_y=None, seed=0, valid_x=None):
    rng = np.random.default_rng(seed)
    valid_y = np.asarray(valid_y, float)
    train_y = (rng.integers(0, 2, 20) if train_y is None else np.asarray(train_y)).astype(float)
    return Task("binary", rng.normal(size=(len(train_y), n_features)), train_y,
                rng.normal(size=(len(valid_y), n_features)) if valid_x is None else valid_x,
                valid_y, classification=True)


def test_constant_predictions_score_the_class_fractions():
    valid_y = [1.0] * 13 + [0.0] * 27
    task = classification_task(valid_y)
    assert run(program(predict="s1 = 5.0"), [task])[0] == pytest.approx(13 / 40)
    assert run(program(predict="s1 = -5.0"), [task])[0] == pytest.approx(27 / 40)
    # sigmoid(0) = 0.5 is not > 0.5: class 0
    assert run(program(predict="s1 = 0.0"), [task])[0] == pytest.approx(27 / 40)
    # Training leaves sigmoid(0) = 0.5 in s1; a Predict that never writes s1 then
    # validates with s1 = 0.5: class 1.
    assert run(program(), [task])[0] == pytest.approx(13 / 40)
    # The sigmoid is applied before the training error check: no early stop at 1000.
    big = run(program(predict="s1 = 1000.0"), [task])
    assert big[0] == pytest.approx(13 / 40) and big.train_steps == 20
    regression = Task("r", task.train_x, task.train_y, task.valid_x, task.valid_y)
    assert run(program(predict="s1 = 1000.0"), [regression])[0] == 0.0


def test_validation_errors_are_counted():
    rng = np.random.default_rng(1)
    valid_x = rng.normal(size=(40, 2))
    valid_y = (valid_x[:, 0] > valid_x[:, 1]).astype(float)
    flipped = [3, 8, 9, 20, 31, 32, 39]
    valid_y[flipped] = 1.0 - valid_y[flipped]
    task = classification_task(valid_y, valid_x=valid_x)
    alg = program(setup="v1[0.0] = 1.0; v1[0.5] = -1.0", predict="s1 = dot(v0, v1)")
    assert run(alg, [task])[0] == pytest.approx(1 - len(flipped) / 40)
    # Mixed with a regression task in one Evaluator: each task keeps its own rule.
    regression = tasks.make_tasks("linear", 1, 2, 20, 40)[0]
    fitness, _, _ = Evaluator([task, regression], Memory(6, 3, 1)).task_fitnesses([alg])
    assert fitness[0, 0] == pytest.approx(1 - len(flipped) / 40)
    rms = np.sqrt(np.mean((regression.valid_y - regression.valid_x @ [1.0, -1.0]) ** 2))
    assert fitness[0, 1] == pytest.approx(squash(rms))


def test_nan_validation_prediction_counts_as_class_zero():
    """NaN only in validation (from its 2nd example): p = NaN predicts class 0."""
    valid_y = [1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    task = classification_task(valid_y)
    alg = program(setup="s2 = 1.0; s3 = 1.0", predict="s1 = s2 / s3; s2 = 0.0; s3 = 0.0",
                  learn="s2 = 1.0; s3 = 1.0")
    # example 0: s1 = 1 -> class 1 (right); then NaN -> class 0: right where label 0.
    assert run(alg, [task])[0] == pytest.approx((1 + 5) / 8)


# -- combination, batches, pickling, task groups -----------------------------------------

@pytest.mark.parametrize("n_tasks", [4, 5])
def test_mean_and_upper_median(n_tasks, linear_tasks, readme_regressor):
    task_list = linear_tasks[:n_tasks]
    alg = readme_regressor(0.002)
    per_task, _, _ = Evaluator(task_list, README_MEMORY).task_fitnesses([alg])
    values = np.sort(per_task[0])
    assert len(np.unique(values)) == n_tasks
    assert Evaluator(task_list, README_MEMORY)(alg)[0] == pytest.approx(values.mean())
    median = Evaluator(task_list, README_MEMORY, combination="median")(alg)[0]
    assert median == values[n_tasks // 2]
    if n_tasks % 2 == 0:
        assert median != np.median(values)
    with pytest.raises(ValueError):
        Evaluator(task_list, README_MEMORY, combination="max")


RANDOM_MEMORY = Memory(5, 4, 2)


def random_algorithm(rng):
    """A random deterministic algorithm (ops 1-58) that fits RANDOM_MEMORY."""
    sizes = (int(rng.integers(0, 4)), int(rng.integers(1, 4)), int(rng.integers(0, 6)))
    code, data = [], []
    for _ in range(sum(sizes)):
        op = int(rng.integers(1, 59))
        spec = ops.OPS[op]
        row = [op, 0, 0, 0]
        for column, kind in zip((1, 2), spec.inputs):
            row[column] = int(rng.integers(0, RANDOM_MEMORY[kind]))
        row[3] = int(rng.integers(1 if spec.output != ops.MATRIX else 0,
                                  RANDOM_MEMORY[spec.output]))
        values = [0.0, 0.0, 0.0]
        if spec.data == ops.CONST:
            values[0] = rng.uniform(-1, 1)
        elif spec.data == ops.VECTOR_CONST:
            values[:2] = rng.uniform(0, 1), rng.uniform(-1, 1)
        elif spec.data == ops.MATRIX_CONST:
            values = [rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(-1, 1)]
        code.append(row)
        data.append(values)
    return Algorithm(np.array(code).reshape(-1, 4), np.array(data).reshape(-1, 3), sizes)


@pytest.fixture(scope="module")
def random_algorithms(readme_regressor):
    rng = np.random.default_rng(123)
    algs = [random_algorithm(rng) for _ in range(40)]
    algs += [readme_regressor(lr) for lr in (0.001, 0.01, 0.05, -0.01, 3.0)]
    rng.shuffle(algs)
    return algs


def test_evaluate_batch_equals_single_calls(linear_tasks, random_algorithms):
    evaluator = Evaluator(linear_tasks[:4], RANDOM_MEMORY)
    batch = evaluator.evaluate_batch(random_algorithms)
    singles = [evaluator(alg) for alg in random_algorithms]
    assert [tuple(r) for r in batch] == [tuple(r) for r in singles]
    assert [r.train_steps for r in batch] == [r.train_steps for r in singles]
    fitnesses = [r[0] for r in batch]
    assert len(set(fitnesses)) > 5 and fitnesses.count(0.0) >= 1
    assert all(0.0 <= f <= 1.0 for f in fitnesses)
    backwards = evaluator.evaluate_batch(random_algorithms[::-1])
    assert [tuple(r) for r in backwards[::-1]] == [tuple(r) for r in batch]
    assert all(isinstance(r, Evaluation) for r in batch)
    assert evaluator.evaluate_batch([]) == []


@pytest.mark.parametrize("n_features", [4, 5])
def test_one_task_alone_equals_the_same_task_in_a_batch(n_features, random_algorithms):
    """The one-task kernels (F = 4 and any F) give every task the fitness it has beside
    two others."""
    task_list = tasks.make_tasks("linear", 3, n_features, 100, 100)
    fitness, _, _ = Evaluator(task_list, RANDOM_MEMORY).task_fitnesses(random_algorithms)
    for t, task in enumerate(task_list):
        alone, _, _ = Evaluator([task], RANDOM_MEMORY).task_fitnesses(random_algorithms)
        np.testing.assert_array_equal(alone[:, 0], fitness[:, t])
    assert 0.0 < np.mean(fitness == 0.0) < 0.9 and len(np.unique(fitness)) > 20


def test_evaluation_pickles(linear_tasks, readme_regressor):
    e = Evaluation(0.75, 123)
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is Evaluation and back == (0.75,) and back.train_steps == 123
    result = Evaluator(linear_tasks[:2], README_MEMORY)(readme_regressor())
    back = pickle.loads(pickle.dumps(result))
    assert back == result and back.train_steps == result.train_steps == 200


@pytest.mark.parametrize("combination", ["mean", "median"])
def test_one_call_and_a_batch_agree_bit_for_bit(linear_tasks, readme_regressor, combination):
    """10 tasks: numpy's pairwise sum and Python's left-to-right sum of the task fitnesses
    differ in the last bit; both paths must use one."""
    algorithms = [readme_regressor(lr) for lr in np.linspace(0.001, 0.02, 20)]
    evaluator = Evaluator(linear_tasks, RANDOM_MEMORY, combination)
    batch = [r[0] for r in evaluator.evaluate_batch(algorithms)]
    assert batch == [evaluator(alg)[0] for alg in algorithms]
    assert evaluator.combine(np.zeros((0, 10))) == []


@pytest.mark.parametrize("fingerprint", [False, True])
def test_task_fitnesses_of_no_algorithms(linear_tasks, fingerprint):
    evaluator = Evaluator(linear_tasks[:3] + tasks.make_tasks("linear", 2, 3, 5, 5))
    fitness, steps, hashes = evaluator.task_fitnesses([], fingerprint=fingerprint)
    assert fitness.shape == (0, 5) and fitness.dtype == np.float64
    assert steps.shape == (0,) and steps.dtype == np.int64
    assert hashes is None if not fingerprint else (hashes.shape == (0, 5)
                                                   and hashes.dtype == np.uint64)


def test_task_fitnesses_without_validation_examples_are_0_not_nan():
    """0 / 0 validation examples in the kernel: NaN on a classification task."""
    task = Task("c", np.ones((3, 2)), np.array([0.0, 1.0, 0.0]), np.ones((2, 2)),
                np.array([1.0, 0.0]), classification=True)
    evaluator = Evaluator([task, tasks.make_tasks("linear", 1, 2, 5, 5)[0]])
    fitness, steps, hashes = evaluator.task_fitnesses([program(predict="s1 = s2 + s3")],
                                                      n_valid=0, fingerprint=True)
    assert fitness.tolist() == [[0.0, 0.0]] and steps.tolist() == [3 + 5]
    assert hashes.shape == (1, 2)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"n_train": -1}, ValueError, "n_train must be >= 0, got -1"),
    ({"n_valid": 1.5}, TypeError, "n_valid must be an integer, got 1.5"),
])
def test_task_fitnesses_checks_the_prefix_sizes(linear_tasks, kwargs, error, message):
    with pytest.raises(error) as raised:
        Evaluator(linear_tasks[:1]).task_fitnesses([program()], **kwargs)
    assert str(raised.value) == message


def test_evaluator_pickles(linear_tasks, random_algorithms):
    evaluator = Evaluator(linear_tasks[:3], RANDOM_MEMORY, combination="median")
    before = evaluator.evaluate_batch(random_algorithms[:10])
    blob = pickle.dumps(evaluator)
    copy = pickle.loads(blob)
    assert [tuple(r) for r in copy.evaluate_batch(random_algorithms[:10])] == \
        [tuple(r) for r in before]
    # A fresh process (a worker) rebuilds it from the pickle alone.
    script = ("import pickle, sys; ev, algs = pickle.load(sys.stdin.buffer); "
              "print(repr([r[0] for r in ev.evaluate_batch(algs)]))")
    out = subprocess.run([sys.executable, "-c", script],
                         input=pickle.dumps((evaluator, random_algorithms[:10])),
                         capture_output=True, check=True).stdout
    assert eval(out) == [r[0] for r in before]


def test_task_groups_of_different_sizes(random_algorithms, linear_tasks, readme_regressor):
    long = linear_tasks[:3]
    short = tasks.make_tasks("linear", 2, 4, 50, 20, param_seeds=[7], data_seeds=[8])
    mixed = [long[0], short[0], long[1], long[2], short[1]]
    algs = random_algorithms[:15] + [readme_regressor(0.01)]
    fitness, steps, _ = Evaluator(mixed, RANDOM_MEMORY).task_fitnesses(algs)
    f_long, s_long, _ = Evaluator(long, RANDOM_MEMORY).task_fitnesses(algs)
    f_short, s_short, _ = Evaluator(short, RANDOM_MEMORY).task_fitnesses(algs)
    np.testing.assert_array_equal(fitness[:, [0, 2, 3]], f_long)
    np.testing.assert_array_equal(fitness[:, [1, 4]], f_short)
    np.testing.assert_array_equal(steps, s_long + s_short)
    assert steps[-1] == 3 * 100 + 2 * 50
    assert len(set(fitness[-1].tolist())) == 5
    combined = Evaluator(mixed, RANDOM_MEMORY).evaluate_batch(algs)
    np.testing.assert_allclose([r[0] for r in combined], fitness.mean(axis=1), rtol=1e-12)


def test_fingerprint(linear_tasks, readme_regressor):
    base_alg = readme_regressor(0.01)
    dead = program(setup="s2 = 0.01; s4 = s2 * s2", predict="s1 = dot(v0, v1); s3 = s1 + s1",
                   learn="s3 = s0 - s1; s4 = s3 * s2; v2 = s4 * v0; v1 = v1 + v2")
    other = readme_regressor(0.02)
    evaluator = Evaluator(linear_tasks, README_MEMORY)
    fitness, steps, hashes = evaluator.task_fitnesses([base_alg, dead, other], n_train=10,
                                                      n_valid=10, fingerprint=True)
    assert hashes.shape == (3, 10) and hashes.dtype == np.uint64
    assert dead != base_alg
    np.testing.assert_array_equal(hashes[0], hashes[1])
    assert np.all(hashes[0] != hashes[2])
    assert steps.tolist() == [100, 100, 100]
    np.testing.assert_array_equal(fitness[0], fitness[1])
    assert evaluator.task_fitnesses([base_alg])[2] is None
    # A different prefix length is a different fingerprint.
    _, _, longer = evaluator.task_fitnesses([base_alg], n_train=20, n_valid=10,
                                            fingerprint=True)
    assert np.all(longer[0] != hashes[0])


# -- DEAP --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def deap_toolbox(linear_tasks):
    toolbox = base.Toolbox()
    toolbox.register("evaluate", Evaluator(linear_tasks, README_MEMORY))
    return toolbox


def test_deap_individuals_evaluate(deap_toolbox, linear_tasks, readme_regressor,
                                   creator_individual):
    population = [readme_regressor(lr, cls=creator_individual) for lr in (0.001, 0.01, 0.05)]
    assert all(isinstance(ind, creator_individual) and not ind.fitness.valid
               for ind in population)
    for ind, fit in zip(population, map(deap_toolbox.evaluate, population)):
        ind.fitness.values = fit
    plain = Evaluator(linear_tasks, README_MEMORY)
    for ind, lr in zip(population, (0.001, 0.01, 0.05)):
        assert ind.fitness.valid
        assert ind.fitness.values == (plain(readme_regressor(lr))[0],)
    assert max(population, key=lambda ind: ind.fitness).fitness.values[0] == \
        max(ind.fitness.values[0] for ind in population)


def test_too_small_memory_is_a_clear_error(linear_tasks):
    for memory in ((1, 1, 0), (2, 0, 0), (4, -1, 1)):
        with pytest.raises(ValueError, match="memory"):
            azdeap.Evaluator(linear_tasks[:1], memory)


def test_wide_features_up_to_256(readme_regressor):
    """F is a run-time setting: the README regressor on 256 features matches numpy."""
    task_list = tasks.make_tasks("linear", 2, 256, 5, 3)
    expected = np.mean([sgd_fitness(task, 0.001) for task in task_list])
    assert evaluate(readme_regressor(0.001), task_list) == pytest.approx(expected, rel=1e-10)


# -- arguments: one error line naming the argument and what it may be --------------------
@pytest.mark.parametrize("kwargs, error, message", [
    ({"max_abs_error": float("nan")}, ValueError,
     "max_abs_error must be a number > 0 (inf allowed), got nan"),
    ({"max_abs_error": -1}, ValueError,
     "max_abs_error must be a number > 0 (inf allowed), got -1"),
    ({"max_abs_error": 0.0}, ValueError,
     "max_abs_error must be a number > 0 (inf allowed), got 0.0"),
    ({"max_abs_error": "100"}, TypeError,
     "max_abs_error must be a number > 0 (inf allowed), got '100'"),
    ({"max_abs_error": True}, TypeError,
     "max_abs_error must be a number > 0 (inf allowed), got True"),
    ({"combination": "max"}, ValueError,
     "combination must be one of ('mean', 'median'), got 'max'"),
    ({"combination": ["mean"]}, ValueError,
     "combination must be one of ('mean', 'median'), got ['mean']"),
    ({"seed": -1}, ValueError, "seed must be an integer in 0..2**63-1, got -1"),
    ({"seed": 2**64}, ValueError, "seed must be an integer in 0..2**63-1, got %d" % 2**64),
    ({"seed": 1.5}, TypeError, "seed must be an integer in 0..2**63-1, got 1.5"),
    ({"memory": 5}, TypeError, "memory must be a Memory (scalars, vectors, matrices), got 5"),
    ({"memory": (1, 2, 3, 4)}, TypeError,
     "memory must be a Memory (scalars, vectors, matrices), got (1, 2, 3, 4)"),
    ({"prune": "yes"}, TypeError, "prune must be True or False, got 'yes'"),
    ({"prune": 1}, TypeError, "prune must be True or False, got 1"),
])
def test_bad_arguments_are_one_clear_line(linear_tasks, kwargs, error, message):
    with pytest.raises(error) as raised:
        Evaluator(linear_tasks[:2], **kwargs)
    assert str(raised.value) == message


def test_infinite_max_abs_error_is_allowed(linear_tasks, readme_regressor):
    assert Evaluator(linear_tasks[:2], README_MEMORY, max_abs_error=np.inf)(
        readme_regressor())[0] == Evaluator(linear_tasks[:2], README_MEMORY)(readme_regressor())[0]


@pytest.mark.parametrize("task_list, message", [
    ("abc", "tasks[0] must be an azdeap.tasks.Task, got str"),
    (5, "tasks must be a list of azdeap.tasks.Task, got int"),
    ([], "an Evaluator needs at least one task"),
])
def test_tasks_must_be_tasks(task_list, message):
    with pytest.raises((TypeError, ValueError)) as raised:
        Evaluator(task_list)
    assert str(raised.value) == message


def test_a_task_among_tasks_that_is_not_one(linear_tasks):
    with pytest.raises(TypeError, match=r"^tasks\[1\] must be an azdeap.tasks.Task, got "
                                        r"ndarray$"):
        Evaluator([linear_tasks[0], np.zeros(3)])


# -- memory: refused before allocating, with the estimate ---------------------------------
GIB_LINE = (r"^Evaluator needs about [\d.]+ GiB \(memory \(%s\) for %d tasks, and the task "
            r"arrays\), more than the limit of [\d.]+ GiB \(half of this machine's RAM\)$")


@pytest.mark.parametrize("memory", [(10**12, 3, 1), (2, 1, 10**8)])
def test_a_huge_memory_is_refused_before_allocating(linear_tasks, memory):
    with pytest.raises(ValueError, match=GIB_LINE % (", ".join(map(str, memory)), 10)):
        Evaluator(linear_tasks, memory)


def test_many_tasks_are_refused_before_stacking(linear_tasks, monkeypatch):
    import azdeap.evaluator
    need = azdeap.evaluator.evaluation_bytes(Memory(4, 3, 1), {(4, 100, 100): 10})
    monkeypatch.setattr(azdeap.evaluator, "memory_limit", lambda: need - 1)
    monkeypatch.setattr(azdeap.evaluator, "group_tasks", None)   # must not be reached
    with pytest.raises(ValueError, match=GIB_LINE % ("4, 3, 1", 10)):
        Evaluator(linear_tasks, Memory(4, 3, 1))
    monkeypatch.setattr(azdeap.evaluator, "group_tasks", tasks.group_tasks)
    monkeypatch.setattr(azdeap.evaluator, "memory_limit", lambda: need)
    Evaluator(linear_tasks, Memory(4, 3, 1))   # at the limit


def test_evaluation_bytes_counts_examples_kernel_memory_and_scratch():
    from azdeap.evaluator import evaluation_bytes
    # 3 tasks of F=4, 10 + 5 examples: 2 copies of 15 rows of 5 numbers each; kernel:
    # memory (4 + 3*4 + 1*16) * 3 cells and scratch (16 + 2*4) * 3 cells
    assert evaluation_bytes(Memory(4, 3, 1), {(4, 10, 5): 3}) == \
        8 * (2 * 3 * 15 * 5 + 32 * 3 + 24 * 3)


def test_first_tasks_is_an_evaluator_of_a_prefix_sharing_the_generator(linear_tasks,
                                                                       readme_regressor):
    whole = Evaluator(linear_tasks[:4], Memory(5, 3, 1), "median", 50.0, seed=3)
    part = whole.first_tasks(2)
    assert [t.name for t in part.tasks] == [t.name for t in linear_tasks[:2]]
    assert (part.memory, part.combination, part.max_abs_error) == (Memory(5, 3, 1), "median",
                                                                   50.0)
    assert part.rng_state is whole.rng_state and len(whole.tasks) == 4
    alg = readme_regressor(0.01)
    assert part(alg)[0] == Evaluator(linear_tasks[:2], Memory(5, 3, 1), "median")(alg)[0]
    assert pickle.loads(pickle.dumps(part)) is not pickle.loads(pickle.dumps(whole))
    with pytest.raises(ValueError, match="^n must be at most the 4 tasks, got 5$"):
        whole.first_tasks(5)
    with pytest.raises(ValueError, match="^n must be >= 1, got 0$"):
        whole.first_tasks(0)
def test_pruning_gives_the_same_results_on_the_neural_net_with_dead_code():
    """Random ops, matrices and dead code: the pruning evaluator runs the listing
    without its dead code and gets the plain evaluator's numbers."""
    teacher = tasks.make_tasks("teacher", 3, 4, 50, 20)
    net = Algorithm.from_text(NEURAL_NET)
    dead = Algorithm.from_text(
        NEURAL_NET.replace("  s3 = 0.01", "  s3 = 0.01\n  m1 = outer(v0, v0)")
        .replace("  m0 = m0 + m1", "  m0 = m0 + m1\n  v9 = abs(v8)"))
    memory = Memory(5, 10, 2)
    assert prune(dead, memory) == prune(net, memory) == net
    got = Evaluator(teacher, memory, seed=4).evaluate_batch([dead, net])
    want = Evaluator(teacher, memory, seed=4, prune=False).evaluate_batch([dead, net])
    assert [(e[0], e.train_steps) for e in got] == [(e[0], e.train_steps) for e in want]


def test_evaluate_programs_gives_scores_as_evaluate_batch_gives_evaluations(
        linear_tasks, demo_space):
    """Scores are the arrays of what evaluate_batch returns, one entry per program."""
    random.seed(33)
    algorithms = [initRandom(Algorithm, demo_space) for _ in range(20)]
    scores = Evaluator(linear_tasks, demo_space.memory).evaluate_programs(
        Programs.stack(algorithms))
    evaluations = Evaluator(linear_tasks, demo_space.memory).evaluate_batch(algorithms)
    assert isinstance(scores, Scores)
    assert scores.fitness.dtype == np.float64 and scores.train_steps.dtype == np.int64
    assert scores.fitness.tolist() == [e[0] for e in evaluations]
    assert scores.train_steps.tolist() == [e.train_steps for e in evaluations]
    assert not scores.cached.any() and not any(e.cached for e in evaluations)
    again = scores.evaluations()
    assert again == evaluations and all(type(e) is Evaluation for e in again)
    assert [e.train_steps for e in again] == [e.train_steps for e in evaluations]
    assert len(set(scores.fitness.tolist())) > 5   # not vacuous
