"""Fitness: Evaluator, evaluate, Evaluation, Learner and DEAP individuals (docs/design.md,
"Execution" and "Fitness")."""
import pickle
import subprocess
import sys

import numpy as np
import pytest
from deap import base, creator

import azdeap
from azdeap import (Algorithm, Evaluation, Evaluator, Learner, Memory, evaluate, ops,
                    reference, tasks)
from azdeap.tasks import Task

README = reference.LINEAR_REGRESSOR.replace("{learning_rate}", "{lr}")

NEURAL_NET = reference.NEURAL_NETWORK.format(learning_rate="0.01")

README_MEMORY = Memory(5, 3, 1)


def readme(lr=0.001, cls=Algorithm):
    return cls.from_text(README.format(lr=lr))


def program(setup="", predict="", learn="", cls=Algorithm):
    def block(lines):
        return "".join("\n  " + line for line in lines.split(";") if line.strip())
    return cls.from_text("def Setup():%s\ndef Predict():%s\ndef Learn():%s"
                         % (block(setup), block(predict), block(learn)))


def squash(rms):
    return 1.0 - 2.0 / np.pi * np.arctan(rms)


@pytest.fixture(scope="module")
def linear10():
    return tasks.make_tasks("linear", 10, 4, 100, 100)


@pytest.fixture(scope="module")
def final_linear():
    return tasks.make_tasks("linear", 100, 4, 1000, 100, param_seeds=[2000000],
                            data_seeds=[1000000])


# -- the README regressor and the hand-written neural net -------------------------------

def test_readme_regressor_on_final_tasks(final_linear):
    slow = readme(0.001)
    assert slow.memory_used() == Memory(5, 3, 0)
    fitness = evaluate(slow, final_linear)
    assert 0.5 < fitness < 0.7
    assert fitness == pytest.approx(0.627, abs=0.01)
    assert evaluate(readme(0.1), final_linear) > 0.9999


def test_readme_regressor_fitness_is_the_squashed_rms(linear10):
    """Reproduce one task's fitness with a plain numpy SGD loop."""
    task = linear10[0]
    w = np.zeros(task.n_features)
    for x, y in zip(task.train_x, task.train_y):
        w += 0.01 * (y - x @ w) * x
    rms = np.sqrt(np.mean((task.valid_y - task.valid_x @ w) ** 2))
    assert evaluate(readme(0.01), [task]) == pytest.approx(squash(rms), rel=1e-10)


def test_neural_net_beats_the_linear_regressor_on_teacher_tasks():
    teacher = tasks.make_tasks("teacher", 10, 4, 1000, 100)
    net = Algorithm.from_text(NEURAL_NET)
    assert net.memory_used() == Memory(5, 9, 2)
    net_fitness = evaluate(net, teacher)
    linear_fitness = evaluate(readme(0.01), teacher)
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
def test_bad_training_predictions_stop_early_with_fitness_zero(linear10, predict):
    result = run(program(predict=predict, learn="s5 = s0 + s1"), linear10)
    assert result[0] == 0.0
    assert result.train_steps <= len(linear10)  # at most one example per task


def test_large_but_bounded_errors_are_not_stopped(linear10):
    result = run(program(predict="s1 = 50.0"), linear10)
    rms = [np.sqrt(np.mean((50.0 - t.valid_y) ** 2)) for t in linear10]
    assert result[0] == pytest.approx(np.mean(squash(np.array(rms))), rel=1e-12)
    assert result[0] > 0.0
    assert result.train_steps == 10 * 100


def test_validation_error_above_the_limit_gives_zero(linear10):
    """Predict reads s2, which Predict sets and Learn resets: harmless in training
    (s1 = 0), but from the second validation example on s1 = s2 * s3."""
    def blowup(factor):
        return program(setup="s3 = %r" % factor, predict="s1 = s2 * s3; s2 = 1.0",
                       learn="s2 = 0.0")
    big = run(blowup(1000.0), linear10)
    assert big[0] == 0.0
    assert big.train_steps == 10 * 100  # training ran to the end
    fine = run(blowup(50.0), linear10)
    assert 0.0 < fine[0] < 0.1
    assert run(blowup(1000.0), linear10, max_abs_error=2000.0)[0] > 0.0


def test_one_failing_task_does_not_spoil_the_others(linear10):
    """s1 = 1 / x0 feature blows up only where |x0| is tiny."""
    alg = program(setup="v1[0.0] = 1.0", predict="s2 = dot(v0, v1); s1 = 1 / s2")
    fitness, steps, _ = Evaluator(linear10, Memory(3, 2, 1)).task_fitnesses([alg])
    x0 = [np.concatenate([t.train_x[:, 0], t.valid_x[:, 0]]) for t in linear10]
    labels = [np.concatenate([t.train_y, t.valid_y]) for t in linear10]
    dies = np.array([np.any(np.abs(y - 1 / x) > 100) for x, y in zip(x0, labels)])
    assert dies.any() and not dies.all()
    np.testing.assert_array_equal(fitness[0] == 0.0, dies)


def test_train_steps_of_a_well_behaved_algorithm(linear10):
    result = Evaluator(linear10, README_MEMORY)(readme())
    assert result.train_steps == 1000
    assert 0.0 < result[0] < 1.0
    assert Evaluator(linear10[:3], README_MEMORY)(readme()).train_steps == 300


def test_an_algorithm_that_does_not_fit_the_memory_raises(linear10):
    with pytest.raises(ValueError, match="address out of range"):
        Evaluator(linear10, Memory(4, 3, 1))(readme())


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


def simulate_feedback(kind, n, s3=2.0):
    """Setup s3 = 2; Predict s1 = s3 - s2; Learn s2 = s1 + s4 (s4 = 0), in Python."""
    s2 = 0.0
    for _ in range(n):
        s1 = s3 - s2
        if kind == "classification":
            s1 = 1.0 / (1.0 + np.exp(-s1))
        s2 = s1
    return s3 - s2


@pytest.mark.parametrize("kind", ["classification", "regression"])
def test_learn_sees_the_sigmoid_in_classification(kind):
    alg = program(setup="s3 = 2.0", predict="s1 = s3 - s2", learn="s2 = s1 + s4")
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(5, 2)), np.array([1.0, 0.0, 1.0, 1.0, 0.0])
    learner = Learner(alg, kind=kind).fit(X, y)
    raw = simulate_feedback(kind, 5)
    expected = 1.0 / (1.0 + np.exp(-raw)) if kind == "classification" else raw
    np.testing.assert_allclose(learner.predict(X[:1]), [expected], rtol=1e-12)
    other = simulate_feedback("regression" if kind == "classification" else "classification", 5)
    assert abs(raw - other) > 0.1  # the two rules give clearly different answers


# -- combination, batches, pickling, task groups -----------------------------------------

@pytest.mark.parametrize("n_tasks", [4, 5])
def test_mean_and_upper_median(n_tasks):
    task_list = tasks.make_tasks("linear", n_tasks, 4, 100, 50)
    alg = readme(0.002)
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
def random_algorithms():
    rng = np.random.default_rng(123)
    algs = [random_algorithm(rng) for _ in range(40)]
    algs += [readme(lr) for lr in (0.001, 0.01, 0.05, -0.01, 3.0)]
    rng.shuffle(algs)
    return algs


def test_evaluate_batch_equals_single_calls(linear10, random_algorithms):
    evaluator = Evaluator(linear10[:4], RANDOM_MEMORY)
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


def test_evaluation_pickles():
    e = Evaluation(0.75, 123)
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is Evaluation and back == (0.75,) and back.train_steps == 123
    result = Evaluator(tasks.make_tasks("linear", 2, 4, 30, 10), README_MEMORY)(readme())
    back = pickle.loads(pickle.dumps(result))
    assert back == result and back.train_steps == result.train_steps == 60


def test_evaluator_pickles(linear10, random_algorithms):
    evaluator = Evaluator(linear10[:3], RANDOM_MEMORY, combination="median")
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


def test_task_groups_of_different_sizes(random_algorithms):
    long = tasks.make_tasks("linear", 3, 4, 100, 20)
    short = tasks.make_tasks("linear", 2, 4, 50, 20, param_seeds=[7], data_seeds=[8])
    mixed = [long[0], short[0], long[1], long[2], short[1]]
    algs = random_algorithms[:15] + [readme(0.01)]
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


def test_fingerprint(linear10):
    base_alg = readme(0.01)
    dead = program(setup="s2 = 0.01; s4 = s2 * s2", predict="s1 = dot(v0, v1); s3 = s1 + s1",
                   learn="s3 = s0 - s1; s4 = s3 * s2; v2 = s4 * v0; v1 = v1 + v2")
    other = readme(0.02)
    evaluator = Evaluator(linear10, README_MEMORY)
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


# -- Learner -----------------------------------------------------------------------------

def test_learner_regression_reproduces_a_linear_function():
    rng = np.random.default_rng(3)
    w = np.array([0.5, -1.5, 2.0])
    X = rng.normal(size=(1000, 3))
    learner = Learner(readme(0.1)).fit(X, X @ w)
    X_new = rng.normal(size=(50, 3))
    prediction = learner.predict(X_new)
    assert prediction.shape == (50,)
    np.testing.assert_allclose(prediction, X_new @ w, atol=1e-8)
    np.testing.assert_array_equal(learner.predict(X_new), prediction)  # no learning in predict
    assert learner.fit(X[:5], (X @ w)[:5]) is learner  # refit restarts from Setup
    assert np.abs(learner.predict(X_new) - X_new @ w).max() > 0.1


def test_learner_classification_probabilities():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(600, 4))
    y = (X @ np.array([1.0, -2.0, 0.5, 1.0]) > 0).astype(float)
    learner = Learner(readme(0.1), kind="classification").fit(X[:500], y[:500])
    p = learner.predict(X[500:])
    assert np.all((p >= 0.0) & (p <= 1.0))
    assert p.min() < 0.1 and p.max() > 0.9
    assert np.mean((p > 0.5) == y[500:]) > 0.85


def test_learner_input_errors():
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(20, 3)), rng.normal(size=20)
    learner = Learner(readme(0.1))
    with pytest.raises(ValueError, match="fit"):
        learner.predict(X)
    with pytest.raises(ValueError, match="2-D"):
        learner.fit(X[:, 0], y)
    with pytest.raises(ValueError, match="y must have shape"):
        learner.fit(X, y[:-1])
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        learner.fit(bad, y)
    y_bad = y.copy()
    y_bad[0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        learner.fit(X, y_bad)
    learner.fit(X, y)
    with pytest.raises(ValueError, match="features"):
        learner.predict(X[:, :2])
    with pytest.raises(ValueError, match="NaN"):
        learner.predict(bad)
    with pytest.raises(ValueError, match="0 or 1"):
        Learner(readme(), kind="classification").fit(X, (y > 0) * 2.0)
    with pytest.raises(ValueError, match="kind"):
        Learner(readme(), kind="ranking")
    with pytest.raises(ValueError, match="address out of range"):
        Learner(readme(), memory=Memory(4, 3, 1)).fit(X, y)


# -- DEAP --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def deap_toolbox(linear10):
    if not hasattr(creator, "FitnessMax"):
        creator.create("FitnessMax", base.Fitness, weights=(1.0,))
    if not hasattr(creator, "FitInd"):
        creator.create("FitInd", azdeap.Algorithm, fitness=creator.FitnessMax)
    toolbox = base.Toolbox()
    toolbox.register("evaluate", Evaluator(linear10, README_MEMORY))
    return toolbox


def test_deap_individuals_evaluate(deap_toolbox, linear10):
    population = [readme(lr, cls=creator.FitInd) for lr in (0.001, 0.01, 0.05)]
    assert all(isinstance(ind, creator.FitInd) and not ind.fitness.valid
               for ind in population)
    for ind, fit in zip(population, map(deap_toolbox.evaluate, population)):
        ind.fitness.values = fit
    plain = Evaluator(linear10, README_MEMORY)
    for ind, lr in zip(population, (0.001, 0.01, 0.05)):
        assert ind.fitness.valid
        assert ind.fitness.values == (plain(readme(lr))[0],)
    assert max(population, key=lambda ind: ind.fitness).fitness.values[0] == \
        max(ind.fitness.values[0] for ind in population)


def test_deap_individuals_pickle_and_clone(deap_toolbox):
    ind = readme(0.01, cls=creator.FitInd)
    ind.fitness.values = deap_toolbox.evaluate(ind)
    # DEAP 1.4 pickles creator classes by recipe (creator.meta_create): unpickling
    # re-creates deap.creator.FitInd, so compare by name and base, not identity.
    back = pickle.loads(pickle.dumps(ind))
    assert type(back).__name__ == "FitInd" and isinstance(back, azdeap.Algorithm)
    assert back == ind and back is not ind
    assert back.fitness.values == ind.fitness.values and back.fitness.valid
    assert deap_toolbox.evaluate(back) == (ind.fitness.values[0],)
    clone = deap_toolbox.clone(ind)
    assert type(clone) is type(ind)
    assert clone == ind
    assert clone is not ind and clone.fitness is not ind.fitness
    assert clone.fitness.values == ind.fitness.values
    clone.code[0, 3] = 3
    clone.data[0, 0] = 0.5
    del clone.fitness.values
    assert ind.code[0, 3] == 2 and ind.data[0, 0] == 0.01
    assert ind.fitness.valid and not clone.fitness.valid
    assert clone != ind
    assert deap_toolbox.evaluate(ind) == (ind.fitness.values[0],)


def test_learner_warns_when_training_stops_on_nan():
    diverging = Algorithm.from_text(
        "def Setup():\ndef Predict():\n  s1 = log(s2)\ndef Learn():\n  s2 = s2 - s0\n")
    X = np.ones((20, 2))
    with pytest.warns(RuntimeWarning, match="stopped at row"):
        azdeap.Learner(diverging, memory=azdeap.Memory(3, 1, 0)).fit(X, np.ones(20))


def test_too_small_memory_is_a_clear_error():
    for memory in ((1, 1, 0), (2, 0, 0), (4, -1, 1)):
        with pytest.raises(ValueError, match="memory"):
            azdeap.Evaluator(tasks.make_tasks("linear", 1, 4, 10, 10), memory)


def test_reference_algorithms():
    linear = reference.linear_regressor(0.1)
    assert linear.memory_used() == Memory(5, 3, 0)
    assert evaluate(linear, tasks.make_tasks("linear", 5, 4, 1000, 100)) > 0.9999
    assert evaluate(reference.linear_regressor(), tasks.make_tasks("linear", 5, 4, 1000, 100)) < 0.9
    net = reference.neural_network(cls=azdeap.Individual)
    assert isinstance(net, azdeap.Individual) and net.memory_used() == Memory(5, 9, 2)
    assert net.component(azdeap.algorithm.SETUP)[1][2, 0] == 0.01   # s3 = learning rate


def test_wide_features_up_to_256():
    """F is a run-time setting: matrix ops on F=256 match numpy (s1 = norm(outer(x, x)))."""
    task_list = tasks.make_tasks("linear", 2, 256, 5, 3)
    algorithm = Algorithm.from_text("def Setup():\ndef Predict():\n"
                                    "  m0 = outer(v0, v0)\n  s1 = norm(m0)\ndef Learn():\n")
    learner = Learner(algorithm, memory=Memory(2, 1, 1)).fit(task_list[0].train_x,
                                                          task_list[0].train_y)
    x = task_list[0].valid_x
    expected = np.linalg.norm(np.einsum("ni,nj->nij", x, x), axis=(1, 2))
    assert np.allclose(learner.predict(x), expected)
    assert 0.0 <= evaluate(reference.linear_regressor(0.001), task_list) <= 1.0
