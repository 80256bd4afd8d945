import dataclasses
import pickle

import numpy as np
import pytest

from azdeap.tasks import (DEFAULT_DATA_SEEDS, DEFAULT_PARAM_SEEDS, Task, TaskBatch,
                          group_tasks, make_tasks, projected_binary_classification,
                          scalar_2layer_nn_regression, scalar_linear_regression, seeds_for)

ARRAYS = ("train_x", "train_y", "valid_x", "valid_y")


def _same(t1, t2):
    return all(np.array_equal(getattr(t1, f), getattr(t2, f)) for f in ARRAYS)


@pytest.mark.parametrize("make", [scalar_linear_regression, scalar_2layer_nn_regression])
def test_shapes_and_dtypes(make):
    t = make(4, 100, 30, 1001, 11001)
    assert (t.n_features, t.n_train, t.n_valid) == (4, 100, 30)
    assert t.train_x.shape == (100, 4) and t.valid_x.shape == (30, 4)
    assert t.train_y.shape == (100,) and t.valid_y.shape == (30,)
    for f in ARRAYS:
        a = getattr(t, f)
        assert a.dtype == np.float64 and a.flags.c_contiguous
    assert t.classification is False
    assert t.name.endswith("(param=1001,data=11001)")
    assert _same(pickle.loads(pickle.dumps(t)), t)


def test_linear_labels_are_a_dot_product_with_seeded_weights():
    t = scalar_linear_regression(8, 50, 20, 1012, 11012)
    w, *_ = np.linalg.lstsq(t.train_x, t.train_y, rcond=None)
    np.testing.assert_allclose(t.valid_x @ w, t.valid_y, rtol=0, atol=1e-10)
    expected_w = np.random.RandomState(1012 + 997958712).standard_normal(8)
    np.testing.assert_allclose(w, expected_w, rtol=0, atol=1e-10)
    feats = np.random.RandomState(11012 + 939723201).standard_normal((70, 8))
    assert np.array_equal(np.vstack([t.train_x, t.valid_x]), feats)


def test_teacher_labels_match_network_with_zeroed_units():
    f, p, d = 4, 1001, 11001
    t = scalar_2layer_nn_regression(f, 200, 50, p, d)
    x = np.random.RandomState(d + 865546086).standard_normal((250, f))
    assert np.array_equal(np.vstack([t.train_x, t.valid_x]), x)
    rng = np.random.RandomState(p + 174299604)
    w1, w2 = rng.standard_normal((f, f)), rng.standard_normal(f)
    full = np.maximum(x @ w1.T, 0) @ w2
    w1[[0, 2]] = 0
    w2[[0, 2]] = 0
    y = np.maximum(x @ w1.T, 0) @ w2
    np.testing.assert_allclose(np.concatenate([t.train_y, t.valid_y]), y, rtol=0, atol=1e-12)
    assert not np.allclose(full, y)  # the zeroing is observable
    # only hidden units 1 and 3 matter: labels are a function of x @ w1[[1, 3]].T
    assert np.all(t.train_y[(t.train_x @ w1[[1, 3]].T <= 0).all(axis=1)] == 0)


def test_teacher_small_feature_size():
    t = scalar_2layer_nn_regression(2, 20, 10, 5, 6)  # only row/entry 0 exists to zero
    assert t.train_x.shape == (20, 2) and np.isfinite(t.train_y).all()
    assert np.any(t.train_y != 0)


@pytest.mark.parametrize("make", [scalar_linear_regression, scalar_2layer_nn_regression])
def test_determinism(make):
    base = make(4, 30, 10, 7, 8)
    assert _same(base, make(4, 30, 10, 7, 8))
    other_param = make(4, 30, 10, 9, 8)
    other_data = make(4, 30, 10, 7, 9)
    assert np.array_equal(base.train_x, other_param.train_x)
    assert not np.array_equal(base.train_y, other_param.train_y)
    assert not np.array_equal(base.train_x, other_data.train_x)


def test_seed_overflow_wraps_mod_2_32():
    t = scalar_linear_regression(4, 10, 10, 2**32 - 1, 2**32 + 5)
    assert _same(t, scalar_linear_regression(4, 10, 10, 2**33 - 1, 5))
    w = np.random.RandomState((2**32 - 1 + 997958712) % 2**32).standard_normal(4)
    np.testing.assert_allclose(t.train_x @ w, t.train_y, rtol=0, atol=1e-12)
    big = scalar_linear_regression(4, 10, 10, 3_000_000_000, 1)  # salted seed >= 2**31
    w = np.random.RandomState(3_000_000_000 + 997958712).standard_normal(4)
    np.testing.assert_allclose(big.train_x @ w, big.train_y, rtol=0, atol=1e-12)


def test_seeds_for():
    assert seeds_for(3, [5]) == [5, 6, 7]
    assert seeds_for(2, [5, 9, 4]) == [5, 9]
    assert seeds_for(4, [3, 9]) == [3, 9, 10, 11]
    assert seeds_for(10, (), DEFAULT_PARAM_SEEDS) == list(DEFAULT_PARAM_SEEDS) + [1004, 1005]
    assert seeds_for(9, (), DEFAULT_DATA_SEEDS)[-2:] == [11003, 11004]
    assert seeds_for(3, [2**32 - 2]) == [2**32 - 2, 2**32 - 1, 0]
    assert seeds_for(0, [1]) == []
    with pytest.raises(ValueError):
        seeds_for(-1)


def test_make_tasks_uses_seed_rules():
    tasks = make_tasks("linear", 10, 4, 20, 10)
    assert len(tasks) == 10
    assert tasks[0].name == "linear(param=1001,data=11001)"
    assert tasks[3].name == "linear(param=1000,data=11000)"
    assert tasks[9].name == "linear(param=1005,data=11005)"
    assert _same(tasks[9], scalar_linear_regression(4, 20, 10, 1005, 11005))
    listed = make_tasks("teacher", 3, 4, 20, 10, param_seeds=[9000], data_seeds=[19000, 7])
    assert [t.name for t in listed] == ["teacher(param=9000,data=19000)",
                                        "teacher(param=9001,data=7)",
                                        "teacher(param=9002,data=8)"]
    assert _same(listed[1], scalar_2layer_nn_regression(4, 20, 10, 9001, 7))


def test_unknown_kind():
    with pytest.raises(ValueError, match="bogus"):
        make_tasks("bogus", 1, 4, 10, 10)


def _labelled(counts, d=12, seed=0):
    rng = np.random.RandomState(seed)
    y = rng.permutation(np.repeat(np.arange(len(counts)), counts))
    return rng.standard_normal((len(y), d)), y


def test_projected_uses_the_right_classes():
    # every row of class c equals embed[c]: the projected rows reveal the class
    embed = np.random.RandomState(1).standard_normal((4, 12))
    _, y = _labelled([40, 30, 50, 20])
    t = projected_binary_classification(embed[y], y, (2, 1), 4, 50, 30, 3, 4)
    assert t.classification is True and t.name == "projected(2v1,param=3,data=4)"
    assert (t.n_features, t.n_train, t.n_valid) == (4, 50, 30)
    feats = np.vstack([t.train_x, t.valid_x])
    labels = np.concatenate([t.train_y, t.valid_y])
    assert set(labels) == {0.0, 1.0}
    rows, inverse = np.unique(feats.round(9), axis=0, return_inverse=True)
    assert len(rows) == 2  # only two distinct inputs: classes 2 and 1
    inverse = inverse.ravel()
    assert all(len(set(labels[inverse == k])) == 1 for k in range(2))
    # class 2 (label 0) has 50 rows, class 1 (label 1) 30: all 80 used, none twice
    assert labels.sum() == 30


def test_projected_examples_distinct_and_standardized():
    x, y = _labelled([60, 70, 10])
    t = projected_binary_classification(x, y, (0, 1), 8, 100, 30, 1, 2)
    feats = np.vstack([t.train_x, t.valid_x])
    assert len(np.unique(feats.round(9), axis=0)) == 130
    np.testing.assert_allclose(t.train_x.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(t.train_x.std(axis=0), 1, atol=1e-12)
    assert _same(t, projected_binary_classification(x, y, (0, 1), 8, 100, 30, 1, 2))
    assert not _same(t, projected_binary_classification(x, y, (0, 1), 8, 100, 30, 1, 3))
    assert not _same(t, projected_binary_classification(x, y, (0, 1), 8, 100, 30, 2, 2))


def test_projected_not_enough_examples():
    x, y = _labelled([10, 20, 30])
    with pytest.raises(ValueError, match="have 30 examples, need 31"):
        projected_binary_classification(x, y, (0, 1), 4, 21, 10, 1, 2)
    with pytest.raises(ValueError):
        projected_binary_classification(x, y, (1, 1), 4, 5, 5, 1, 2)


def test_make_projected_cycles_class_pairs():
    x, y = _labelled([30, 30, 30])
    tasks = make_tasks("projected", 4, 4, 40, 10, x=x, y=y)
    assert [t.name.split(",")[0] for t in tasks] == [
        "projected(0v1", "projected(0v2", "projected(1v2", "projected(0v1"]
    assert tasks[3].name == "projected(0v1,param=1000,data=11000)"
    assert all(t.classification for t in tasks)
    custom = make_tasks("projected", 3, 4, 40, 10, x=x, y=y, class_pairs=[(2, 0)])
    assert all(t.name.startswith("projected(2v0") for t in custom)
    with pytest.raises(ValueError):
        make_tasks("projected", 1, 4, 40, 10)


def test_task_rejects_inconsistent_shapes():
    with pytest.raises(ValueError):
        Task("bad", np.zeros((5, 4)), np.zeros(4), np.zeros((3, 4)), np.zeros(3))


def test_task_batch_stacks_task_axis_innermost():
    tasks = make_tasks("linear", 3, 4, 20, 10) + make_tasks("teacher", 1, 4, 20, 10)
    x, y = _labelled([40, 40])
    tasks += make_tasks("projected", 1, 4, 20, 10, x=x, y=y)
    b = TaskBatch(tasks)
    assert (b.n_tasks, b.n_features, b.n_train, b.n_valid) == (5, 4, 20, 10)
    assert b.train_x.shape == (20, 4, 5) and b.valid_x.shape == (10, 4, 5)
    assert b.train_y.shape == (20, 5) and b.valid_y.shape == (10, 5)
    for f in ARRAYS:
        assert getattr(b, f).flags.c_contiguous and getattr(b, f).dtype == np.float64
    for t, task in enumerate(tasks):
        assert np.array_equal(b.train_x[:, :, t], task.train_x)
        assert np.array_equal(b.valid_x[:, :, t], task.valid_x)
        assert np.array_equal(b.train_y[:, t], task.train_y)
        assert np.array_equal(b.valid_y[:, t], task.valid_y)
    assert b.classification.tolist() == [False] * 4 + [True]
    assert b.tasks == tasks


def test_task_batch_mismatch():
    a = scalar_linear_regression(4, 20, 10, 1, 1)
    with pytest.raises(ValueError, match="n_features, n_train, n_valid"):
        TaskBatch([a, scalar_linear_regression(4, 21, 10, 1, 1)])
    with pytest.raises(ValueError, match=r"\(8, 20, 10, 1\)"):
        TaskBatch([a, scalar_linear_regression(8, 20, 10, 1, 1)])
    with pytest.raises(ValueError, match=r"epochs\) = \(4, 20, 10, 2\) but .* \(4, 20, 10, 1\)"):
        TaskBatch([a, dataclasses.replace(a, epochs=2)])
    with pytest.raises(ValueError):
        TaskBatch([])


def test_group_tasks_preserves_indices():
    sizes = [(4, 20, 10), (8, 20, 10), (4, 20, 10), (4, 30, 10), (8, 20, 10)]
    tasks = [scalar_linear_regression(f, n, v, i, i) for i, (f, n, v) in enumerate(sizes)]
    groups = group_tasks(tasks)
    assert [idx for idx, _ in groups] == [[0, 2], [1, 4], [3]]
    for idx, batch in groups:
        assert batch.tasks == [tasks[i] for i in idx]
        for k, i in enumerate(idx):
            assert np.array_equal(batch.train_x[:, :, k], tasks[i].train_x)


@pytest.mark.parametrize("changes, error, message", [
    ({"n_train": -1}, ValueError, "n_train must be >= 1, got -1"),
    ({"n_features": 2.5}, TypeError, "n_features must be an integer, got 2.5"),
    ({"count": 2.0}, TypeError, "count must be an integer, got 2.0"),
    ({"epochs": 0}, ValueError, "epochs must be >= 1, got 0"),
])
def test_make_tasks_checks_its_counts(changes, error, message):
    arguments = dict(kind="linear", count=2, n_features=2, n_train=5, n_valid=5)
    arguments.update(changes)
    with pytest.raises(error, match="^" + message + "$"):
        make_tasks(**arguments)
