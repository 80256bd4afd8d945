"""Datasets read offline (azdeap.datasets) and the projected tasks made of them."""
import gzip
import os
import pickle
import sys
from itertools import combinations

import numpy as np
import pytest

from azdeap.config import config_from_dict
from azdeap.datasets import DatasetError, load_dataset
from azdeap.experiment import ExperimentError, build_tasks
from azdeap.tasks import make_tasks, projected_binary_classification, split_pairs


def write_idx(path, array, compress):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(
        n.to_bytes(4, "big") for n in array.shape)
    with (gzip.open if compress else open)(path, "wb") as stream:
        stream.write(header + array.astype(np.uint8).tobytes())


def fake_mnist(folder, compress=False, n=(40, 20), seed=0):
    """MNIST's four IDX files with n[0] training and n[1] test images of 4 x 3 pixels."""
    rng = np.random.RandomState(seed)
    arrays = {}
    for part, count in (("train", n[0]), ("t10k", n[1])):
        images = rng.randint(0, 256, (count, 4, 3))
        labels = np.arange(count) % 10
        suffix = ".gz" if compress else ""
        write_idx(folder / ("%s-images-idx3-ubyte%s" % (part, suffix)), images, compress)
        write_idx(folder / ("%s-labels-idx1-ubyte%s" % (part, suffix)), labels, compress)
        arrays[part] = images, labels
    return arrays


def fake_cifar10(folder, per_batch=20, seed=0):
    """CIFAR-10's six python batches of per_batch images each; returns (x, y, x_test, y_test)."""
    rng = np.random.RandomState(seed)
    batches = []
    for name in ["data_batch_%d" % i for i in range(1, 6)] + ["test_batch"]:
        data = rng.randint(0, 256, (per_batch, 3072)).astype(np.uint8)
        labels = [int(i) for i in rng.permutation(per_batch) % 10]
        with open(folder / name, "wb") as stream:
            pickle.dump({b"data": data, b"labels": labels}, stream)
        batches.append((data, np.array(labels)))
    return (np.concatenate([d for d, _ in batches[:5]]),
            np.concatenate([l for _, l in batches[:5]]), *batches[5])


@pytest.mark.parametrize("compress", [False, True])
def test_mnist_reads_the_four_idx_files(tmp_path, compress):
    arrays = fake_mnist(tmp_path, compress)
    data = load_dataset("mnist:%s" % tmp_path)
    np.testing.assert_array_equal(data.x, arrays["train"][0])
    np.testing.assert_array_equal(data.y, arrays["train"][1])
    np.testing.assert_array_equal(data.x_test, arrays["t10k"][0])
    np.testing.assert_array_equal(data.y_test, arrays["t10k"][1])


def test_mnist_errors_name_what_is_wrong(tmp_path):
    with pytest.raises(DatasetError, match=r"^dataset mnist:\S+: no such folder"):
        load_dataset("mnist:%s" % (tmp_path / "absent"))
    fake_mnist(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(DatasetError, match="no file t10k-labels-idx1-ubyte or "
                                           "t10k-labels-idx1-ubyte.gz in"):
        load_dataset("mnist:%s" % tmp_path)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.zeros((20, 2)), False)  # 2-D labels
    with pytest.raises(DatasetError, match="t10k-labels-idx1-ubyte is not an IDX file of "
                                           "unsigned bytes in 1 dimension"):
        load_dataset("mnist:%s" % tmp_path)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-5])                             # truncated
    with pytest.raises(DatasetError, match=r"holds 475 bytes of data, its header says "
                                           r"\(40, 4, 3\) = 480"):
        load_dataset("mnist:%s" % tmp_path)
    (tmp_path / "bad").mkdir()
    fake_mnist(tmp_path / "bad", compress=True)
    gz = tmp_path / "bad" / "train-labels-idx1-ubyte.gz"
    gz.write_bytes(b"not gzip")
    with pytest.raises(DatasetError, match="cannot read .*train-labels-idx1-ubyte.gz"):
        load_dataset("mnist:%s" % (tmp_path / "bad"))


def test_cifar10_reads_the_python_batches(tmp_path):
    x, y, x_test, y_test = fake_cifar10(tmp_path)
    data = load_dataset("cifar10:%s" % tmp_path)
    for got, want in zip(data, (x, y, x_test, y_test)):
        np.testing.assert_array_equal(got, want)
    assert data.x.shape == (100, 3072) and data.x_test.shape == (20, 3072)


def test_cifar10_errors_name_what_is_wrong(tmp_path):
    with pytest.raises(DatasetError, match=r"^dataset cifar10:\S+: no such folder"):
        load_dataset("cifar10:%s" % (tmp_path / "absent"))
    fake_cifar10(tmp_path)
    (tmp_path / "test_batch").unlink()
    with pytest.raises(DatasetError, match=r"no file test_batch in .* \(need data_batch_1, "):
        load_dataset("cifar10:%s" % tmp_path)
    (tmp_path / "test_batch").write_bytes(b"garbage")
    with pytest.raises(DatasetError, match="test_batch is not a CIFAR-10 python batch"):
        load_dataset("cifar10:%s" % tmp_path)
    with open(tmp_path / "test_batch", "wb") as stream:
        pickle.dump({b"data": np.zeros((3, 100), np.uint8), b"labels": [0, 1, 2]}, stream)
    with pytest.raises(DatasetError, match=r"must hold data \(N, 3072\) uint8"):
        load_dataset("cifar10:%s" % tmp_path)


def test_digits_is_split_once_into_training_and_test_examples():
    data = load_dataset("digits")
    assert data.x.shape == (1437, 64) and data.x_test.shape == (360, 64)
    assert set(data.y) == set(data.y_test) == set(range(10))
    again = load_dataset("digits")
    np.testing.assert_array_equal(data.x_test, again.x_test)
    from sklearn.datasets import load_digits
    everything = load_digits()
    assert sorted(np.concatenate([data.y, data.y_test])) == sorted(everything.target)


def test_digits_without_scikit_learn_is_one_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(DatasetError, match=r"^dataset digits: needs scikit-learn \(pip install"):
        load_dataset("digits")


def test_npz_may_hold_a_test_split(tmp_path):
    rng = np.random.RandomState(1)
    np.savez(tmp_path / "d.npz", x=rng.normal(size=(10, 3)), y=np.arange(10) % 2,
             x_test=rng.normal(size=(4, 3)), y_test=np.arange(4) % 2)
    data = load_dataset(str(tmp_path / "d.npz"))
    assert data.x.shape == (10, 3) and data.x_test.shape == (4, 3)
    np.savez(tmp_path / "half.npz", x=np.zeros((4, 3)), y=np.zeros(4), x_test=np.zeros((2, 3)))
    with pytest.raises(DatasetError, match="needs both x_test and y_test"):
        load_dataset(str(tmp_path / "half.npz"))
    np.savez(tmp_path / "wide.npz", x=np.zeros((4, 3)), y=np.zeros(4), x_test=np.zeros((2, 5)),
             y_test=np.zeros(2))
    with pytest.raises(DatasetError, match=r"x rows have shape \(3,\) but x_test rows \(5,\)"):
        load_dataset(str(tmp_path / "wide.npz"))


# -- projected tasks as the paper makes them ------------------------------------------
def test_split_pairs_is_the_papers_36_and_9_with_no_pair_in_both():
    pairs = list(combinations(range(10), 2))
    search, select = split_pairs(pairs)
    assert (len(search), len(select)) == (36, 9)
    assert not set(search) & set(select) and set(search) | set(select) == set(pairs)
    assert split_pairs(reversed(pairs)) == (search, select)   # a fixed split
    few, one = split_pairs([(0, 1), (0, 2)])
    assert len(one) == 1 and sorted(few + one) == [(0, 1), (0, 2)]
    with pytest.raises(ValueError, match="at least 2 pairs, got 1"):
        split_pairs([(3, 4)])


def test_projection_is_fixed_by_the_seeds():
    data = load_dataset("digits")
    make = lambda p, d: projected_binary_classification(data.x, data.y, (3, 8), 16, 100, 50, p, d)
    first, again = make(5, 7), make(5, 7)
    for field in ("train_x", "train_y", "valid_x", "valid_y"):
        np.testing.assert_array_equal(getattr(first, field), getattr(again, field))
    np.testing.assert_allclose(first.train_x.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(first.train_x.std(axis=0), 1, atol=1e-12)
    other_projection, other_examples = make(6, 7), make(5, 8)
    np.testing.assert_array_equal(first.train_y, other_projection.train_y)
    assert not np.allclose(first.train_x, other_projection.train_x)
    assert not np.array_equal(first.train_y, other_examples.train_y)


def test_validation_examples_from_the_test_split():
    rng = np.random.RandomState(3)
    x, y = rng.normal(size=(60, 5)), np.arange(60) % 3
    x_test, y_test = rng.normal(size=(30, 5)) + 100.0, np.arange(30) % 3
    task = projected_binary_classification(x, y, (0, 2), 4, 30, 15, 1, 2, x_test, y_test)
    assert task.name == "projected(0v2,param=1,data=2,test)"
    plain = projected_binary_classification(x, y, (0, 2), 4, 30, 10, 1, 2)
    np.testing.assert_array_equal(task.train_x, plain.train_x)   # the same training rows
    rng = np.random.RandomState(2)                 # the recipe, step by step
    keep = np.flatnonzero(np.isin(y, (0, 2)))
    train = keep[rng.permutation(len(keep))[:30]]
    keep_test = np.flatnonzero(np.isin(y_test, (0, 2)))
    valid = keep_test[rng.permutation(len(keep_test))[:15]]
    projection = np.random.RandomState(1).standard_normal((5, 4)) / np.sqrt(5)
    raw_train, raw_valid = x[train] @ projection, x_test[valid] @ projection
    mean, std = raw_train.mean(axis=0), raw_train.std(axis=0)
    np.testing.assert_allclose(task.valid_x, (raw_valid - mean) / std, rtol=1e-12)
    np.testing.assert_array_equal(task.valid_y, y_test[valid] == 2)
    with pytest.raises(ValueError, match="have 20 examples in the test split, need 21"):
        projected_binary_classification(x, y, (0, 2), 4, 30, 21, 1, 2, x_test, y_test)
    with pytest.raises(ValueError, match=r"class 2 is not in y_test \(classes: 0, 1\)"):
        projected_binary_classification(x, y, (0, 2), 4, 30, 5, 1, 2, x_test, y_test % 2)


def test_make_tasks_keeps_the_pairs_of_its_group():
    data = load_dataset("digits")
    search, select = split_pairs(combinations(range(10), 2))
    for group, pairs in (("search", search), ("select", select)):
        tasks = make_tasks("projected", 12, 8, 50, 20, x=data.x, y=data.y, pairs=group)
        names = {t.name.split("(")[1].split(",")[0] for t in tasks}
        assert names == {"%dv%d" % pair for pair in pairs[:12]}
    with pytest.raises(ValueError, match="unknown pairs 'best'"):
        make_tasks("projected", 1, 8, 50, 20, x=data.x, y=data.y, pairs="best")


def spec(**keys):
    return dict({"kind": "projected", "count": 3, "features": 4, "train": 10, "valid": 5},
                **keys)


def test_task_specs_read_mnist_and_cifar10_folders(tmp_path, tiny_config):
    (tmp_path / "m").mkdir(), (tmp_path / "c").mkdir()
    fake_mnist(tmp_path / "m", compress=True, n=(200, 100))
    fake_cifar10(tmp_path / "c", per_batch=40)
    for source in ("mnist:%s" % (tmp_path / "m"), "cifar10:%s" % (tmp_path / "c")):
        config = config_from_dict(tiny_config(tasks={
            "search": spec(dataset=source, pairs="search"),
            "final": spec(dataset=source, pairs="select", valid_from="test")}))
        search = build_tasks(config.tasks.search)
        final = build_tasks(config.tasks.final)
        assert all(t.name.endswith(",test)") for t in final)
        pair = lambda t: t.name.split("(")[1].split(",")[0]
        assert not {pair(t) for t in search} & {pair(t) for t in final}


def test_valid_from_test_needs_a_test_split(tmp_path, blobs, tiny_config):
    config = config_from_dict(tiny_config(tasks={"select": spec(
        dataset=str(blobs(tmp_path / "b.npz")), valid_from="test")}))
    with pytest.raises(ExperimentError, match=r"^tasks.select\[0\] \(projected\): valid_from "
                                              r"test: dataset .*b.npz has no test split$"):
        build_tasks(config.tasks.select, where="tasks.select")


@pytest.mark.parametrize("key, value", [("pairs", "search"), ("valid_from", "test")])
def test_pair_and_split_keys_are_only_for_projected_tasks(key, value, tiny_config):
    with pytest.raises(ValueError, match=r"tasks.search\[0\].%s: only for kind projected" % key):
        config_from_dict(tiny_config(tasks={"search": {"kind": "linear", key: value}}))


@pytest.mark.parametrize("source, words", [
    ("mnist:{tmp}/absent", "no such folder"),
    ("cifar10:{tmp}", "no file data_batch_1 in"),
])
def test_a_missing_dataset_is_one_cli_line_before_the_search(tmp_path, capsys, tiny_config,
                                                             source, words):
    import yaml
    from azdeap import cli
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(tiny_config(tasks={"final": spec(
        dataset=source.format(tmp=tmp_path))})))
    assert cli.main(["run", "--config", str(path)]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "azdeap: error: tasks.final[0] (projected): dataset %s" % source.format(tmp=tmp_path))
    assert words in lines[0] and "experiment 1" not in captured.out


def test_npz_arrays_of_the_wrong_dimensions_are_one_error(tmp_path):
    np.savez(tmp_path / "scalar.npz", x=np.float64(1.0), y=np.zeros(4))
    with pytest.raises(DatasetError, match=r"x must be \(N, ...\) rows and y \(N,\) labels, "
                                           r"got shapes \(\) and \(4,\)"):
        load_dataset(str(tmp_path / "scalar.npz"))
    np.savez(tmp_path / "wide.npz", x=np.zeros((4, 3)), y=np.zeros((4, 2)))
    with pytest.raises(DatasetError, match=r"got shapes \(4, 3\) and \(4, 2\)"):
        load_dataset(str(tmp_path / "wide.npz"))


@pytest.mark.parametrize("changes, error, message", [
    ({"x": np.zeros((5, 3))}, ValueError, r"x and y must be \(N, ...\) rows and \(N,\) labels"),
    ({"y_test": np.zeros(4)}, ValueError, "a test split needs both x_test and y_test"),
    ({"classes": (0, 1, 2)}, ValueError, r"classes must be a pair \(a, b\), got \(0, 1, 2\)"),
])
def test_projected_tasks_refuse_mismatched_data(changes, error, message):
    arguments = dict(x=np.random.RandomState(0).normal(size=(40, 3)), y=np.arange(40) % 2,
                     classes=(0, 1), n_features=2, n_train=10, n_valid=5)
    arguments.update(changes)
    with pytest.raises(error, match="^" + message):
        projected_binary_classification(**arguments)


def test_a_npy_file_or_text_labels_are_one_error_line(tmp_path):
    from azdeap.datasets import DatasetError, load_npz
    np.save(tmp_path / "one.npy", np.zeros((4, 2)))
    with pytest.raises(DatasetError, match=r"one\.npy: not an \.npz archive"):
        load_npz(tmp_path / "one.npy")
    np.savez(tmp_path / "text.npz", x=np.zeros((3, 2)), y=np.array(["a", "b", "c"]))
    with pytest.raises(DatasetError, match=r"text\.npz: y must hold numbers, got <U1$"):
        load_npz(tmp_path / "text.npz")


@pytest.mark.parametrize("kind", ["npz", "mnist", "cifar10"])
def test_a_dataset_is_read_once_until_one_of_its_files_changes(tmp_path, monkeypatch, blobs,
                                                               kind):
    from collections import OrderedDict
    from azdeap import datasets
    monkeypatch.setattr(datasets, "_CACHE", OrderedDict())
    reads = []
    reader = "load_" + kind
    real = getattr(datasets, reader)
    monkeypatch.setattr(datasets, reader, lambda *args: reads.append(args) or real(*args))
    if kind == "npz":
        source, changed = str(blobs(tmp_path / "b.npz")), tmp_path / "b.npz"
    elif kind == "mnist":
        fake_mnist(tmp_path, compress=True)
        source, changed = "mnist:%s" % tmp_path, tmp_path / "t10k-labels-idx1-ubyte.gz"
    else:
        fake_cifar10(tmp_path)
        source, changed = "cifar10:%s" % tmp_path, tmp_path / "test_batch"
    first = load_dataset(source)
    assert load_dataset(source) is first and len(reads) == 1
    stat = changed.stat()
    os.utime(changed, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10 ** 9))   # touched
    again = load_dataset(source)
    assert again is not first and len(reads) == 2 and len(datasets._CACHE) == 1
    for old, new in zip(first, again):
        np.testing.assert_array_equal(old, new)
    if kind == "npz":   # rewritten: the new content
        np.savez(changed, x=np.ones((6, 2)), y=np.arange(6) % 2)
        assert load_dataset(source).x.shape == (6, 2) and len(reads) == 3


def test_the_dataset_cache_keeps_a_few_and_its_arrays_are_read_only(tmp_path, monkeypatch,
                                                                    blobs, tiny_config):
    from collections import OrderedDict
    from azdeap import datasets
    monkeypatch.setattr(datasets, "_CACHE", OrderedDict())
    paths = [str(blobs(tmp_path / ("%d.npz" % i), seed=i)) for i in range(datasets._KEEP + 1)]
    first = load_dataset(paths[0])
    for path in paths[1:]:
        load_dataset(path)
    assert len(datasets._CACHE) == datasets._KEEP and load_dataset(paths[0]) is not first
    fake_mnist(tmp_path, n=(200, 100))
    for data in (first, load_dataset("mnist:%s" % tmp_path), load_dataset("digits")):
        for array in data:
            assert array is None or not array.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            data.x[0] = 0
    config = config_from_dict(tiny_config(tasks={   # tasks build from them as they are
        "search": spec(dataset="mnist:%s" % tmp_path, pairs="search"),
        "final": spec(dataset="mnist:%s" % tmp_path, valid_from="test")}))
    assert len(build_tasks(config.tasks.search) + build_tasks(config.tasks.final)) == 6
