"""Multi-class tasks (docs/design.md, "Multi-class tasks"): the one-hot label in v1, the
prediction v2 (its softmax in Learn, its first largest entry the class), their tasks,
configs, pruning and baselines."""
import re

import numpy as np
import pytest
import yaml

from azdeap import interpreter, reference
from azdeap.algorithm import Algorithm
from azdeap.config import ConfigError, config_from_dict, load_config
from azdeap.evaluator import Evaluator
from azdeap.programs import Programs
from azdeap.space import Memory
from azdeap.tasks import Task, TaskBatch, make_tasks

MEMORY = Memory(4, 8, 0)
# Predict keeps what v1 holds in v7 and predicts the features; Learn keeps v1 (the label)
# in v3, v2 (the probabilities) in v4 and s0 in s2 (v6 and s3 are never written: 0).
OBSERVER = Algorithm.from_text("""def Setup():
def Predict():
  v7 = v1 + v6
  v2 = v0 + v6
def Learn():
  v3 = v1 + v6
  v4 = v2 + v6
  s2 = s0 + s3""")


def task(train_x, train_y, valid_x, valid_y, n_classes=3):
    return Task("t", np.array(train_x, float), np.array(train_y, float),
                np.array(valid_x, float), np.array(valid_y, float), n_classes=n_classes)


def run(algorithm, tasks, memory=MEMORY, **options):
    batch = TaskBatch(tasks)
    cells = np.zeros(interpreter.memory_size(memory, batch.n_features, batch.n_tasks))
    result = interpreter.run(Programs.stack([algorithm]), batch, memory=memory,
                             rng_state=np.zeros(1, np.uint64), cells=cells,
                             record_predictions=True, **options)
    return result, cells


def vector(cells, address, memory=MEMORY, n_features=4, n_tasks=1, t=0):
    start = memory.scalars * n_tasks + address * n_features * n_tasks
    return cells[start:start + n_features * n_tasks].reshape(n_features, n_tasks)[:, t]


def test_learn_sees_the_one_hot_label_and_the_softmax_predict_does_not_see_the_label():
    result, cells = run(OBSERVER, [task([[1, 2, 3, 4]], [2], [[5, 1, 9, 9]], [2])])
    np.testing.assert_array_equal(vector(cells, 3), [0, 0, 1, 0])        # v1 in Learn
    expected = np.exp([1, 2, 3]) / np.exp([1, 2, 3]).sum()
    np.testing.assert_allclose(vector(cells, 4), [*expected, 0], rtol=1e-15)   # v2 in Learn
    assert cells[2] == 2.0                                                # s0 in Learn
    np.testing.assert_array_equal(vector(cells, 7), 0.0)                  # v1 in Predict
    np.testing.assert_array_equal(vector(cells, 2), [5, 1, 9, 9])         # raw in validation
    assert result.fitness[0, 0] == 1.0 and result.predictions[0, 0] == 2.0


@pytest.mark.parametrize("valid_x, label, accuracy", [
    ([9, 9, 1, 0], 0, 1.0),      # a tie: the first largest entry
    ([9, 9, 1, 0], 1, 0.0),
    ([0, 1, 2, 99], 2, 1.0),     # entries past the classes do not count
])
def test_the_class_is_the_first_largest_of_the_first_k_entries(valid_x, label, accuracy):
    result, _ = run(OBSERVER, [task([[1, 2, 3, 4]], [0], [valid_x], [label])])
    assert result.fitness[0, 0] == accuracy
    assert result.predictions[0, 0] == np.argmax(valid_x[:3])


def test_a_prediction_that_is_not_finite_stops_the_task():
    """v2 = v0 / v6 is infinite (v6 = 0): the task stops in training with fitness 0 and
    train steps up to that example; in validation alone it records NaN."""
    dividing = Algorithm.from_text("def Setup():\ndef Predict():\n  v2 = v0 / v6\n"
                                   "def Learn():")
    tasks = [task([[1, 2, 3, 4], [1, 1, 1, 1]], [0, 1], [[1, 2, 3, 4]], [2])]
    result, _ = run(dividing, tasks)
    assert result.fitness[0, 0] == 0.0 and result.train_steps[0] == 1
    result, _ = run(dividing, tasks, n_train=0)
    assert result.fitness[0, 0] == 0.0 and np.isnan(result.predictions[0, 0])


def test_binary_regression_and_multiclass_tasks_run_side_by_side():
    """Each task of a batch keeps its own kind: its fitness is what it gets alone."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(30, 4))
    mixed = [task(x[:20], rng.integers(0, 3, 20), x[20:], rng.integers(0, 3, 10)),
             Task("b", x[:20], (x[:20, 0] > 0) * 1.0, x[20:], (x[20:, 0] > 0) * 1.0,
                  classification=True),
             Task("r", x[:20], x[:20] @ [1, 2, 3, 4], x[20:], x[20:] @ [1, 2, 3, 4])]
    algorithm = reference.softmax_regression(0.1)
    memory = Memory(4, 8, 2)
    together = Evaluator(mixed, memory, prune=False).task_fitnesses([algorithm])[0][0]
    alone = [Evaluator([t], memory, prune=False).task_fitnesses([algorithm])[0][0, 0]
             for t in mixed]
    np.testing.assert_array_equal(together, alone)
    assert len(set(alone)) == 3


def test_softmax_regression_and_the_net_learn_projected_digits():
    from azdeap import datasets
    data = datasets.load_dataset("digits")
    tasks = make_tasks("projected", 2, 16, 600, 200, x=data.x, y=data.y, classes="all",
                       epochs=2)
    assert [t.n_classes for t in tasks] == [10, 10]
    assert tasks[0].name == "projected(0v1v2v3v4v5v6v7v8v9,param=1001,data=11001)"
    for make in (reference.softmax_regression, reference.multiclass_neural_network):
        algorithm = make(0.03)
        assert Evaluator(tasks, algorithm.memory_used())(algorithm)[0] > 0.8   # chance: 0.1


def test_multiclass_tasks_check_their_labels_and_sizes():
    with pytest.raises(ValueError, match="classification labels must be integers 0..2, got 3"):
        task([[1, 2, 3, 4]], [3], [[1, 2, 3, 4]], [0])
    with pytest.raises(ValueError, match="5 classes need at least as many features"):
        task([[1, 2, 3, 4]], [0], [[1, 2, 3, 4]], [0], n_classes=5)
    with pytest.raises(ValueError, match="n_classes must be 0 or >= 2, got 1"):
        task([[1, 2, 3, 4]], [0], [[1, 2, 3, 4]], [0], n_classes=1)
    with pytest.raises(ValueError, match="^multi-class tasks need memory with at least 3 "
                                         "vectors"):
        run(OBSERVER, [task([[1, 2, 3, 4]], [0], [[1, 2, 3, 4]], [0])], memory=Memory(4, 2, 0))
    with pytest.raises(ValueError, match="^multi-class tasks need memory with at least 3"):
        Evaluator([task([[1, 2, 3, 4]], [0], [[1, 2, 3, 4]], [0])], Memory(4, 2, 0))
    with pytest.raises(ValueError, match="n_classes must be 0 or 2..4 with labels"):
        TaskBatch.of_arrays(np.zeros((1, 4, 1)), np.full((1, 1), 3.0), np.zeros((0, 4, 1)),
                            np.zeros((0, 1)), [True], [3])
    for bad in ([2.5], ["x"], [np.nan]):
        with pytest.raises(ValueError, match="^TaskBatch.of_arrays: n_classes must be integers"):
            TaskBatch.of_arrays(np.zeros((1, 4, 1)), np.zeros((1, 1)), np.zeros((0, 4, 1)),
                                np.zeros((0, 1)), [True], bad)
    x, y = np.eye(4).repeat(5, axis=0), np.arange(4).repeat(5)
    with pytest.raises(ValueError, match="the classes must differ, got 1 twice"):
        make_tasks("projected", 1, 4, 10, 5, x=x, y=y, classes=[0, 1, 1])
    with pytest.raises(ValueError, match="class 7 is not in y"):
        make_tasks("projected", 1, 4, 10, 5, x=x, y=y, classes=[0, 7])
    with pytest.raises(ValueError, match="take no class_pairs or pairs"):
        make_tasks("projected", 1, 4, 10, 5, x=x, y=y, classes="all", pairs="search")


CONFIG = """
memory: {scalars: 4, vectors: %d, matrices: 2}
tasks:
  search: {kind: projected, dataset: digits, classes: %s, features: %d, train: 20,
           valid: 20%s}
budget: {max_individuals: 10}
"""


@pytest.mark.parametrize("vectors, classes, features, extra, message", [
    (2, "all", 16, "", "memory.vectors: multi-class tasks (tasks.search[0].classes) need "
                       "at least 3 vectors"),
    (6, "[0, 1, 2, 3, 4]", 4, "", "tasks.search[0].features: 5 classes need at least as "
                                  "many features"),
    (6, "[0, 1, 1]", 16, "", "tasks.search[0].classes: expected all or a list of at least 2 "
                             "different classes"),
    (6, "some", 16, "", "tasks.search[0].classes: expected all or a list"),
    (6, "all", 16, ", pairs: search", "tasks.search[0].pairs: not with classes"),
])
def test_config_errors_name_the_key(vectors, classes, features, extra, message):
    with pytest.raises(ConfigError, match="^<dict>: " + re.escape(message)):
        config_from_dict(yaml.safe_load(CONFIG % (vectors, classes, features, extra)))


def test_the_shipped_multiclass_config_loads_and_says_so():
    config = load_config("configs/digits_multiclass.yaml")
    assert config.multiclass() and not load_config("configs/digits.yaml").multiclass()


def test_show_keeps_what_v2_needs_with_multiclass(tmp_path, capsys):
    """show --simplify drops softmax regression's Predict as binary code (v2 is not
    read), keeps it with --multiclass or a config with multi-class tasks."""
    from azdeap.cli import main
    path = tmp_path / "best.txt"
    path.write_text(str(reference.softmax_regression(0.05)))
    assert main(["show", str(path), "--simplify"]) == 0
    assert "v2 = dot(m0, v0)" not in capsys.readouterr().out
    assert main(["show", str(path), "--simplify", "--multiclass"]) == 0
    out = capsys.readouterr().out
    assert "v2 = dot(m0, v0)" in out and "live: 8 instructions" in out
    assert "v2 = v2 + v3  # prediction" in out and "v4 = v1 - v2  # reads the label v1" in out
    assert main(["show", str(path), "--simplify", "--config",
                 "configs/digits_multiclass.yaml"]) == 0
    assert "v2 = dot(m0, v0)" in capsys.readouterr().out


def test_learner_probabilities_are_nan_where_v2_is_not_finite():
    from azdeap.learner import Learner
    dividing = Algorithm.from_text("def Setup():\ndef Predict():\n  v2 = v0 / v6\n"
                                   "def Learn():")   # v6 = 0: infinite entries
    X = np.array([[1.0, 2, 3], [0, 0, 0], [4, 5, 6]])
    learner = Learner(dividing, kind="multiclass", memory=Memory(2, 7, 0))
    with pytest.warns(UserWarning, match="fit stopped at row 1 of 3"):
        learner.fit(X, [0, 1, 2])
    with pytest.warns(UserWarning, match=r"^Learner.predict_proba: 3 of 3 predictions are "
                                         r"NaN or infinite$"):
        probabilities = learner.predict_proba(X)
    assert probabilities.shape == (3, 3) and np.isnan(probabilities).all()
    with pytest.warns(UserWarning, match="predict: 3 of 3"):
        assert np.isnan(learner.predict(X)).all()


def test_algorithms_side_by_side_give_what_they_give_alone():
    """Algorithms that share Predict and Learn run as lanes of one group (lane_groups) on
    multi-class tasks, with the results of running alone, fingerprints included."""
    rng = np.random.default_rng(8)
    x = rng.normal(size=(60, 4))
    tasks = [task(x[:40], rng.integers(0, 3, 40), x[40:], rng.integers(0, 3, 20))
             for _ in range(2)]
    algorithms = [reference.softmax_regression(rate) for rate in (0.01, 0.03, 0.1, 0.3, 1.0)]
    programs, batch = Programs.stack(algorithms), TaskBatch(tasks)
    assert interpreter.lane_groups(programs, 2) is not None
    memory = algorithms[0].memory_used()

    def run_(programs):
        return interpreter.run(programs, batch, memory=memory, fingerprint=True,
                               rng_state=np.zeros(1, np.uint64))
    together = run_(programs)
    alone = [run_(Programs.stack([algorithm])) for algorithm in algorithms]
    np.testing.assert_array_equal(together.fitness, np.vstack([r.fitness for r in alone]))
    np.testing.assert_array_equal(together.hashes, np.vstack([r.hashes for r in alone]))
    assert len(set(together.fitness.ravel().tolist())) > 3


@pytest.mark.parametrize("bad", [3.0, 99.0, -1.0, np.nan, 1e300])
def test_a_label_changed_after_checking_stops_its_task_and_nothing_else(bad):
    """Task checks its labels, but its arrays stay writable: a label outside 0..K-1 that
    reaches the kernel writes nothing outside v1 and stops its task (fitness 0), in
    training and in validation, while the other task runs as before."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(30, 4))
    good = [task(x[:20], rng.integers(0, 3, 20), x[20:], rng.integers(0, 3, 10))
            for _ in range(2)]
    algorithm = reference.softmax_regression(0.1)
    memory = algorithm.memory_used()
    want = run(algorithm, good, memory)[0].fitness
    for field in ("train_y", "valid_y"):
        spoiled = [task(t.train_x, t.train_y, t.valid_x, t.valid_y) for t in good]
        getattr(spoiled[0], field)[3] = bad
        got = run(algorithm, spoiled, memory)[0].fitness
        assert got[0, 0] == 0.0 and got[0, 1] == want[0, 1] and want[0, 0] > 0.0
