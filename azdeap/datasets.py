"""Labelled datasets for projected tasks, read offline (docs/design.md, "Tasks").

``load_dataset(source)`` reads what a task spec's ``dataset:`` names:

* ``digits``: scikit-learn's 8x8 digits (1,797 examples, 10 classes; needs scikit-learn),
  split once into 1,437 training and 360 test examples by ``RandomState(0)``;
* ``mnist:DIR``: the four standard IDX files (``train-images-idx3-ubyte`` ...), gzipped
  or not;
* ``cifar10:DIR``: the standard python batches ``data_batch_1`` .. ``data_batch_5`` and
  ``test_batch``;
* a path to an ``.npz`` file with arrays ``x`` (N, D...) and ``y`` (N,), and optionally
  a test split ``x_test`` and ``y_test``.

A missing or malformed source is a ``DatasetError``, one line naming the source and
what is wrong with it.  A process keeps the last few datasets read from files (read-only),
so that each experiment, island process and baseline repetition does not decode MNIST or
CIFAR-10 again; an edited file is read again.
"""
import gzip
import os
import pickle
from collections import OrderedDict
from typing import NamedTuple, Optional

import numpy as np

DIGITS_TEST = 360
MNIST_FILES = (("x", "train-images-idx3-ubyte", 3), ("y", "train-labels-idx1-ubyte", 1),
               ("x_test", "t10k-images-idx3-ubyte", 3), ("y_test", "t10k-labels-idx1-ubyte", 1))
CIFAR10_TRAIN = tuple("data_batch_%d" % i for i in range(1, 6))
CIFAR10_TEST = "test_batch"
_CACHE = OrderedDict()   # (source, state of its files) -> Dataset, the last used last
_KEEP = 3                # datasets a process keeps (CIFAR-10's arrays take 180 MB)


class DatasetError(ValueError):
    """A missing or malformed dataset; the message is one line starting ``dataset SOURCE:``."""


class Dataset(NamedTuple):
    """Examples ``x`` (N, D...) with class labels ``y`` (N,), and the test split
    ``x_test``, ``y_test`` (None if the dataset has none)."""
    x: np.ndarray
    y: np.ndarray
    x_test: Optional[np.ndarray] = None
    y_test: Optional[np.ndarray] = None


def _checked(source, dataset):
    """dataset if its parts are numbers in matching shapes; DatasetError otherwise."""
    parts = [("x", "y", dataset.x, dataset.y)]
    if dataset.x_test is not None or dataset.y_test is not None:
        if dataset.x_test is None or dataset.y_test is None:
            raise DatasetError("dataset %s: a test split needs both x_test and y_test" % source)
        parts.append(("x_test", "y_test", dataset.x_test, dataset.y_test))
    for x_name, y_name, x, y in parts:
        if x.ndim < 1 or y.ndim != 1:
            raise DatasetError("dataset %s: %s must be (N, ...) rows and %s (N,) labels, got "
                               "shapes %s and %s" % (source, x_name, y_name, x.shape, y.shape))
        if len(x) != len(y):
            raise DatasetError("dataset %s: %s has %d rows but %s has %d"
                               % (source, x_name, len(x), y_name, len(y)))
        for name, array in ((x_name, x), (y_name, y)):
            if array.dtype.kind not in "biuf":
                raise DatasetError("dataset %s: %s must hold numbers, got %s"
                                   % (source, name, array.dtype))
        for name, array in ((x_name, x), (y_name, y)):
            if array.dtype.kind == "f" and not np.isfinite(array).all():
                raise DatasetError("dataset %s: %s contains NaN or infinite values"
                                   % (source, name))
    if len(parts) == 2 and dataset.x.shape[1:] != dataset.x_test.shape[1:]:
        raise DatasetError("dataset %s: x rows have shape %s but x_test rows %s"
                           % (source, dataset.x.shape[1:], dataset.x_test.shape[1:]))
    return dataset


def load_npz(path) -> Dataset:
    """The Dataset of an .npz file with arrays x and y (and optionally x_test, y_test)."""
    try:
        loaded = np.load(path)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise DatasetError("dataset %s: not an .npz archive (a single array, as .npy "
                               "saves; use numpy.savez with x and y)" % path)
        with loaded as archive:
            arrays = {name: archive[name] for name in Dataset._fields if name in archive}
            for name in ("x", "y"):
                if name not in arrays:
                    raise DatasetError("dataset %s: no array '%s' (need x and y)" % (path, name))
    except FileNotFoundError:
        raise DatasetError("dataset %s: no such file" % path) from None
    except DatasetError:
        raise
    except (OSError, ValueError) as error:
        raise DatasetError("dataset %s: not a readable .npz file (%s)" % (path, error)) from None
    return _checked(path, Dataset(**arrays))


def load_digits() -> Dataset:
    """scikit-learn's 8x8 digits, 360 of them (by RandomState(0)) as the test split."""
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError:
        raise DatasetError("dataset digits: needs scikit-learn (pip install scikit-learn, or "
                           "the 'data' extra of azdeap)") from None
    digits = sklearn_digits()
    order = np.random.RandomState(0).permutation(len(digits.target))
    train, test = order[DIGITS_TEST:], order[:DIGITS_TEST]
    return Dataset(digits.data[train], digits.target[train], digits.data[test],
                   digits.target[test])


def _folder(source, folder):
    if not os.path.isdir(folder):
        raise DatasetError("dataset %s: no such folder %s" % (source, folder))


def _read_idx(source, folder, name, dims):
    """The uint8 array of one IDX file (name or name.gz in folder)."""
    for path, opener in ((os.path.join(folder, name), open),
                         (os.path.join(folder, name + ".gz"), gzip.open)):
        if os.path.isfile(path):
            break
    else:
        raise DatasetError("dataset %s: no file %s or %s.gz in %s" % (source, name, name, folder))
    try:
        with opener(path, "rb") as stream:
            data = stream.read()
    except (OSError, EOFError) as error:
        raise DatasetError("dataset %s: cannot read %s (%s)" % (source, path, error)) from None
    header = 4 + 4 * dims
    magic = int.from_bytes(data[:4], "big") if len(data) >= 4 else None
    if magic != 0x800 + dims or len(data) < header:
        raise DatasetError("dataset %s: %s is not an IDX file of unsigned bytes in %d "
                           "dimension(s)" % (source, path, dims))
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims))
    size = int(np.prod(shape))
    if len(data) != header + size:
        raise DatasetError("dataset %s: %s holds %d bytes of data, its header says %s = %d"
                           % (source, path, len(data) - header, shape, size))
    return np.frombuffer(data, np.uint8, offset=header).reshape(shape)


def load_mnist(folder, source=None) -> Dataset:
    """MNIST from the four IDX files in folder (60,000 training, 10,000 test examples)."""
    source = source or "mnist:%s" % folder
    _folder(source, folder)
    arrays = {field: _read_idx(source, folder, name, dims) for field, name, dims in MNIST_FILES}
    return _checked(source, Dataset(**arrays))


def _read_batch(source, folder, name):
    """(data (N, 3072) uint8, labels (N,)) of one CIFAR-10 python batch."""
    path = os.path.join(folder, name)
    if not os.path.isfile(path):
        raise DatasetError("dataset %s: no file %s in %s (need %s and %s)"
                           % (source, name, folder, ", ".join(CIFAR10_TRAIN), CIFAR10_TEST))
    try:
        with open(path, "rb") as stream:
            batch = pickle.load(stream, encoding="bytes")
        data, labels = batch[b"data"], batch[b"labels"]
        data, labels = np.asarray(data), np.asarray(labels)
    except Exception as error:  # a pickle can fail in many ways; all mean a bad batch
        raise DatasetError("dataset %s: %s is not a CIFAR-10 python batch (%s: %s)"
                           % (source, path, type(error).__name__, error)) from None
    if (data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072
            or labels.shape != (len(data),) or labels.dtype.kind not in "iu"):
        raise DatasetError("dataset %s: %s must hold data (N, 3072) uint8 and N integer labels, "
                           "got data %s %s and labels %s" % (source, path, data.dtype,
                                                             data.shape, labels.shape))
    return data, labels


def load_cifar10(folder, source=None) -> Dataset:
    """CIFAR-10 from its python batches in folder (50,000 training, 10,000 test examples)."""
    source = source or "cifar10:%s" % folder
    _folder(source, folder)
    train = [_read_batch(source, folder, name) for name in CIFAR10_TRAIN]
    x_test, y_test = _read_batch(source, folder, CIFAR10_TEST)
    return Dataset(np.concatenate([x for x, _ in train]), np.concatenate([y for _, y in train]),
                   x_test, y_test)


def _paths(source):
    """The files a source other than digits may read."""
    if source.startswith("mnist:"):
        folder = os.path.expanduser(source[len("mnist:"):])
        return [os.path.join(folder, name + suffix) for _, name, _ in MNIST_FILES
                for suffix in ("", ".gz")]
    if source.startswith("cifar10:"):
        folder = os.path.expanduser(source[len("cifar10:"):])
        return [os.path.join(folder, name) for name in CIFAR10_TRAIN + (CIFAR10_TEST,)]
    return [source]


def _state(path):
    """(absolute path, size, inode, modification time in ns) of a file, (absolute path,
    None) if there is none."""
    try:
        stat = os.stat(path)
    except OSError:
        return os.path.abspath(path), None
    return os.path.abspath(path), stat.st_size, stat.st_ino, stat.st_mtime_ns


def _read(source):
    if source == "digits":
        return load_digits()
    for prefix, load in (("mnist:", load_mnist), ("cifar10:", load_cifar10)):
        if source.startswith(prefix):
            return load(os.path.expanduser(source[len(prefix):]), source)
    return load_npz(source)


def _read_only(dataset):
    for array in dataset:
        if array is not None:
            array.flags.writeable = False
    return dataset


def load_dataset(source: str) -> Dataset:
    """The Dataset a task spec's ``dataset:`` names: ``digits``, ``mnist:DIR``,
    ``cifar10:DIR`` or an .npz path, its arrays read-only.  One read from files is kept
    (the last ``_KEEP`` of them) under the source and the state of the files it reads,
    so it is read again only when a file changed."""
    source = str(source)
    if source == "digits":   # read in milliseconds, from scikit-learn (not kept)
        return _read_only(_read(source))
    key = source, tuple(_state(path) for path in _paths(source))
    dataset = _CACHE.get(key)
    if dataset is None:
        dataset = _read_only(_read(source))
        for old in [old for old in _CACHE if old[0] == source]:   # an edited file's
            del _CACHE[old]
        _CACHE[key] = dataset
        while len(_CACHE) > _KEEP:
            _CACHE.popitem(last=False)
    _CACHE.move_to_end(key)
    return dataset
