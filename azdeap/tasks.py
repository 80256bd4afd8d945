"""Tasks: the datasets algorithms are trained and validated on (docs/design.md, "Tasks").

Random numbers come from ``np.random.RandomState(seed)``, an MT19937 seeded exactly like
C++ ``std::mt19937(seed)``.  Seeds are integers in 0..2**63-1, as every seed of azdeap,
reduced mod 2**32 as the original's uint32 seeds are.
The Gaussians are numpy's, not the original's (``absl::Gaussian``, a ziggurat over 64-bit
draws), so the tasks have the same recipe and seeds as the C++ ones but not the same numbers.
"""
import dataclasses
from dataclasses import dataclass
from itertools import combinations
from typing import List, Optional, Sequence, Tuple

import numpy as np

from azdeap.space import check_array, check_integer, is_integer

DEFAULT_PARAM_SEEDS = (1001, 1012, 1010, 1000, 1006, 1008, 1007, 1003)
DEFAULT_DATA_SEEDS = (11001, 11012, 11010, 11000, 11006, 11008, 11007, 11003)
KINDS = ("linear", "teacher", "projected")
PAIR_GROUPS = ("all", "search", "select")
MAX_SEED = 2**63 - 1
ARRAYS = ("train_x", "train_y", "valid_x", "valid_y")


def check_seed(seed, name):
    """seed as an int if it is an integer in 0..2**63-1 (the range of every azdeap seed);
    TypeError or ValueError naming it otherwise."""
    problem = "%s must be an integer in 0..2**63-1, got %r" % (name, seed)
    if not is_integer(seed):
        raise TypeError(problem)
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(problem)
    return int(seed)


def _checked_seeds(param_seed, data_seed):
    return check_seed(param_seed, "param_seed"), check_seed(data_seed, "data_seed")


def _rng(seed):
    return np.random.RandomState(int(seed) % 2**32)


@dataclass(frozen=True, eq=False)
class Task:
    """One task: training and validation examples (rows) with their labels.

    ``classification`` False means RMS_ERROR regression, True means ACCURACY with labels
    0.0/1.0; ``n_classes`` K >= 2 makes it a multi-class task (ACCURACY, labels 0..K-1,
    K <= n_features) whose label is a one-hot vector and prediction a vector
    (docs/design.md, "Multi-class tasks").  Arrays are stored as C-contiguous float64.
    ``epochs``: passes over the training examples, each followed by a validation
    (docs/design.md, "Execution"); epochs after the first take the examples in an order
    shuffled by ``shuffle_seed`` (``epoch_orders``).
    """
    name: str
    train_x: np.ndarray
    train_y: np.ndarray
    valid_x: np.ndarray
    valid_y: np.ndarray
    classification: bool = False
    epochs: int = 1
    shuffle_seed: int = 0
    n_classes: int = 0

    def __post_init__(self):
        """ValueError or TypeError naming the task and the array, unless the arrays hold
        finite real numbers in consistent shapes with at least 1 feature, 1 training and 1
        validation example, and labels 0 or 1 for classification; likewise unless epochs
        is an integer >= 1, shuffle_seed a seed (``check_seed``) and n_classes 0 or an
        integer from 2 to n_features with labels 0..n_classes-1."""
        for field, low in (("epochs", 1), ("n_classes", 0)):
            value = getattr(self, field)
            if not is_integer(value):
                raise TypeError(f"task {self.name!r}: {field} must be an integer, got {value!r}")
            if value < low or field == "n_classes" and value == 1:
                raise ValueError(f"task {self.name!r}: {field} must be "
                                 f"{'>= 1' if low else '0 or >= 2'}, got {value}")
            object.__setattr__(self, field, int(value))
        object.__setattr__(self, "shuffle_seed",
                           check_seed(self.shuffle_seed, f"task {self.name!r}: shuffle_seed"))
        for field in ARRAYS:
            try:
                array = np.ascontiguousarray(getattr(self, field), np.float64)
            except (TypeError, ValueError):
                raise TypeError(f"task {self.name!r}: {field} must hold real numbers") from None
            if not np.isfinite(array).all():
                raise ValueError(f"task {self.name!r}: {field} contains NaN or infinite values")
            object.__setattr__(self, field, array)
        object.__setattr__(self, "classification", bool(self.classification) or
                           self.n_classes > 0)
        tx, ty, vx, vy = self.train_x, self.train_y, self.valid_x, self.valid_y
        if (tx.ndim != 2 or vx.ndim != 2 or ty.shape != tx.shape[:1] or vy.shape != vx.shape[:1]
                or tx.shape[1] != vx.shape[1]):
            raise ValueError(f"task {self.name!r}: inconsistent shapes train_x {tx.shape}, "
                             f"train_y {ty.shape}, valid_x {vx.shape}, valid_y {vy.shape}")
        for count, what in ((self.n_features, "feature"), (self.n_train, "training example"),
                            (self.n_valid, "validation example")):
            if count < 1:
                raise ValueError(f"task {self.name!r}: needs at least 1 {what}, got train_x "
                                 f"{tx.shape}, valid_x {vx.shape}")
        if self.n_classes > self.n_features:
            raise ValueError(f"task {self.name!r}: {self.n_classes} classes need at least as "
                             f"many features (the label is a vector), got {self.n_features}")
        top = max(self.n_classes - 1, 1)
        allowed = "0 or 1" if top == 1 else f"integers 0..{top}"
        for field, labels in (("train_y", ty), ("valid_y", vy)):
            bad = (labels[(labels != np.round(labels)) | (labels < 0) | (labels > top)]
                   if self.classification else ())
            if len(bad):
                raise ValueError(f"task {self.name!r}: {field}: classification labels must "
                                 f"be {allowed}, got {bad[0]}")

    n_features = property(lambda self: self.train_x.shape[1])
    n_train = property(lambda self: self.train_x.shape[0])
    n_valid = property(lambda self: self.valid_x.shape[0])


def _split(name, x, y, n_train, **kind):
    return Task(name, x[:n_train], y[:n_train], x[n_train:], y[n_train:], **kind)


def scalar_linear_regression(n_features: int, n_train: int, n_valid: int, param_seed: int = 1001,
                             data_seed: int = 11001) -> Task:
    """Label = dot(w, x); x and w iid N(0, 1); no bias, no noise."""
    param_seed, data_seed = _checked_seeds(param_seed, data_seed)
    x = _rng(data_seed + 939723201).standard_normal((n_train + n_valid, n_features))
    w = _rng(param_seed + 997958712).standard_normal(n_features)
    return _split(f"linear(param={param_seed},data={data_seed})", x, x @ w, n_train)


def scalar_2layer_nn_regression(n_features: int, n_train: int, n_valid: int,
                                param_seed: int = 1001, data_seed: int = 11001) -> Task:
    """Teacher net: label = dot(relu(W1 @ x), w2), W1 rows 0 and 2 and w2 entries 0 and 2
    zeroed (those that exist); x, W1 then w2 iid N(0, 1); no biases, no noise."""
    param_seed, data_seed = _checked_seeds(param_seed, data_seed)
    x = _rng(data_seed + 865546086).standard_normal((n_train + n_valid, n_features))
    rng = _rng(param_seed + 174299604)
    w1 = rng.standard_normal((n_features, n_features))
    w2 = rng.standard_normal(n_features)
    dead = [i for i in (0, 2) if i < n_features]
    w1[dead, :] = 0.0
    w2[dead] = 0.0
    y = np.maximum(x @ w1.T, 0.0) @ w2
    return _split(f"teacher(param={param_seed},data={data_seed})", x, y, n_train)


def _examples_of(y, classes, where):
    """Indices of the examples of ``classes`` in y; ValueError naming an absent class."""
    present = np.unique(y)
    for label in classes:
        if label not in present:
            shown = ", ".join(str(c) for c in present[:10]) + ", ..." * (len(present) > 10)
            raise ValueError(f"class {label!r} is not in {where} (classes: {shown})")
    return np.flatnonzero(np.isin(y, classes))


def projected_binary_classification(x: np.ndarray, y: np.ndarray, classes: Tuple[int, int],
                                    n_features: int, n_train: int, n_valid: int,
                                    param_seed: int = 1001, data_seed: int = 11001,
                                    x_test: Optional[np.ndarray] = None,
                                    y_test: Optional[np.ndarray] = None) -> Task:
    """Binary task from labelled data (x: (N, D...) rows, y: (N,) class labels).

    Keeps the examples of ``classes = (a, b)`` (label 0.0 for a, 1.0 for b), shuffles them
    with RandomState(data_seed), takes n_train then n_valid of them, projects the flattened
    rows with a D x F matrix of N(0, 1)/sqrt(D) entries from RandomState(param_seed), then
    standardizes every feature with the training examples' mean and std (std 0 -> 1).
    With a test split (x_test, y_test), the n_valid validation examples are its examples of
    the pair instead, shuffled by the same generator after the training ones.
    """
    if np.ndim(classes) != 1 or len(classes) != 2:
        raise ValueError(f"classes must be a pair (a, b), got {classes!r}")
    return _projected(x, y, classes, n_features, n_train, n_valid, param_seed, data_seed,
                      x_test, y_test, multiclass=False)


def projected_multiclass_classification(x: np.ndarray, y: np.ndarray, classes: Sequence[int],
                                        n_features: int, n_train: int, n_valid: int,
                                        param_seed: int = 1001, data_seed: int = 11001,
                                        x_test: Optional[np.ndarray] = None,
                                        y_test: Optional[np.ndarray] = None) -> Task:
    """Multi-class task (``Task.n_classes`` = len(classes), at most n_features) from
    labelled data, made as ``projected_binary_classification`` makes a binary one: the
    label of an example of classes[i] is i."""
    if np.ndim(classes) != 1 or len(classes) < 2:
        raise ValueError(f"classes must be a list of at least 2 classes, got {classes!r}")
    if len(classes) > n_features:
        raise ValueError(f"{len(classes)} classes need at least as many features (the label "
                         f"is a vector), got features {n_features}")
    return _projected(x, y, classes, n_features, n_train, n_valid, param_seed, data_seed,
                      x_test, y_test, multiclass=True)


def _projected(x, y, classes, n_features, n_train, n_valid, param_seed, data_seed, x_test,
               y_test, multiclass):
    """The projected task of classes (a binary or a multi-class one), unchecked classes."""
    param_seed, data_seed = _checked_seeds(param_seed, data_seed)
    if x_test is None and y_test is not None or x_test is not None and y_test is None:
        raise ValueError("a test split needs both x_test and y_test")
    for xs, ys, names in ((x, y, "x and y"), (x_test, y_test, "x_test and y_test")):
        if ys is not None and (np.ndim(xs) < 1 or np.ndim(ys) != 1 or len(xs) != len(ys)):
            raise ValueError(f"{names} must be (N, ...) rows and (N,) labels, got shapes "
                             f"{np.shape(xs)} and {np.shape(ys)}")
    classes = list(classes)
    for i, label in enumerate(classes):
        if label in classes[:i]:
            raise ValueError(f"the classes must differ, got {label!r} twice")
    y = np.asarray(y).ravel()
    keep = _examples_of(y, classes, "y")
    rng = _rng(data_seed)
    if y_test is None:
        parts = [(x, y, keep, n_train + n_valid, "")]
    else:
        y_test = np.asarray(y_test).ravel()
        parts = [(x, y, keep, n_train, ""),
                 (x_test, y_test, _examples_of(y_test, classes, "y_test"), n_valid,
                  " in the test split")]
    shown = " and ".join(", ".join(repr(c) for c in classes).rsplit(", ", 1))
    rows, labels = [], []
    for xs, ys, kept, need, where in parts:
        if len(kept) < need:
            wanted = (f"n_train={n_train} + n_valid={n_valid}" if len(parts) == 1 else
                      f"n_train={n_train}" if not where else f"n_valid={n_valid}")
            raise ValueError(f"classes {shown} have {len(kept)} examples{where}, "
                             f"need {need} ({wanted})")
        kept = kept[rng.permutation(len(kept))[:need]]
        rows.append(np.asarray(xs)[kept].reshape(need, -1).astype(np.float64))
        labels.append(np.argmax(ys[kept][:, None] == np.array(classes)[None, :], axis=1)
                      .astype(np.float64))
    rows, labels = np.concatenate(rows), np.concatenate(labels)
    proj = _rng(param_seed).standard_normal((rows.shape[1], n_features)) / np.sqrt(rows.shape[1])
    feats = rows @ proj
    std = feats[:n_train].std(axis=0)
    std[std == 0] = 1.0
    feats = (feats - feats[:n_train].mean(axis=0)) / std
    test = "" if y_test is None else ",test"
    name = "projected(%s,param=%d,data=%d%s)" % ("v".join(str(c) for c in classes), param_seed,
                                                data_seed, test)
    return _split(name, feats, labels, n_train, classification=True,
                  n_classes=len(classes) if multiclass else 0)


def split_pairs(pairs: Sequence[Tuple[int, int]]) -> Tuple[list, list]:
    """(search pairs, select pairs): a fifth of the pairs (rounded, at least 1) for
    selection, the rest for search, by a fixed shuffle (RandomState(0)) of the sorted pairs,
    so every experiment and task group sees the same split; the paper's 36 / 9 of 45."""
    pairs = sorted({tuple(pair) for pair in pairs})
    if len(pairs) < 2:
        raise ValueError(f"splitting class pairs into search and select needs at least 2 "
                         f"pairs, got {len(pairs)}")
    order = [pairs[i] for i in np.random.RandomState(0).permutation(len(pairs))]
    n_select = max(1, round(len(pairs) / 5))
    return order[n_select:], order[:n_select]


def seeds_for(count, listed=(), defaults=DEFAULT_PARAM_SEEDS, name="seeds"):
    """Seeds of `count` tasks: `listed` (or `defaults` if none listed) in order, then
    previous seed + 1; reduced mod 2**32.  A listed seed outside 0..2**63-1 is an error
    naming it as ``name[i]``."""
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    seeds = [check_seed(s, "%s[%d]" % (name, i))
             for i, s in enumerate(list(listed) or list(defaults))][:count]
    while len(seeds) < count:
        seeds.append(seeds[-1] + 1)
    return [s % 2**32 for s in seeds]


def make_tasks(kind: str, count: int, n_features: int, n_train: int, n_valid: int,
               param_seeds: Sequence[int] = (), data_seeds: Sequence[int] = (),
               x: Optional[np.ndarray] = None, y: Optional[np.ndarray] = None,
               class_pairs: Optional[Sequence[Tuple[int, int]]] = None, pairs: str = "all",
               x_test: Optional[np.ndarray] = None, y_test: Optional[np.ndarray] = None,
               epochs: int = 1, classes=None) -> List[Task]:
    """`count` tasks of `kind` ("linear", "teacher" or "projected"), seeded by `seeds_for`.

    "projected" needs x and y; `class_pairs` (default: all pairs of the sorted classes of y)
    are cycled over the tasks; `pairs` "search" or "select" keeps only that part of them
    (`split_pairs`); with a test split (x_test, y_test) the validation examples come from it.
    `classes` (a list, or "all" for the sorted classes of y) makes every task a multi-class
    task of those classes instead (``projected_multiclass_classification``).
    Each task trains for `epochs` epochs, shuffled by its data seed (``Task.shuffle_seed``).
    """
    count = check_integer(count, "count", 0)
    for value, name in ((n_features, "n_features"), (n_train, "n_train"),
                        (n_valid, "n_valid"), (epochs, "epochs")):
        check_integer(value, name, 1)
    data = seeds_for(count, data_seeds, DEFAULT_DATA_SEEDS, "data_seeds")
    params = seeds_for(count, param_seeds, DEFAULT_PARAM_SEEDS, "param_seeds")
    tasks = _make_tasks(kind, n_features, n_train, n_valid, zip(params, data), x, y,
                        class_pairs, pairs, x_test, y_test, classes)
    return [dataclasses.replace(task, epochs=epochs, shuffle_seed=seed)
            for task, seed in zip(tasks, data)]


def _make_tasks(kind, n_features, n_train, n_valid, seeds, x, y, class_pairs, pairs, x_test,
                y_test, classes):
    """make_tasks without epochs, on (param seed, data seed) pairs."""
    if kind not in KINDS:
        raise ValueError(f"unknown task kind {kind!r}; expected one of {KINDS}")
    if kind != "projected":
        make = scalar_linear_regression if kind == "linear" else scalar_2layer_nn_regression
        return [make(n_features, n_train, n_valid, p, d) for p, d in seeds]
    if x is None or y is None:
        raise ValueError("projected tasks need labelled data x and y")
    if pairs not in PAIR_GROUPS:
        raise ValueError(f"unknown pairs {pairs!r}; expected one of {PAIR_GROUPS}")
    if classes is not None:
        if class_pairs is not None or pairs != "all":
            raise ValueError("multi-class tasks (classes) take no class_pairs or pairs")
        chosen = np.unique(y).tolist() if isinstance(classes, str) and classes == "all" else classes
        return [projected_multiclass_classification(x, y, chosen, n_features, n_train, n_valid,
                                                    p, d, x_test, y_test) for p, d in seeds]
    chosen = list(combinations(np.unique(y).tolist(), 2) if class_pairs is None else class_pairs)
    if pairs != "all":
        chosen = split_pairs(chosen)[PAIR_GROUPS.index(pairs) - 1]
    if not chosen:
        raise ValueError("projected tasks need at least one class pair")
    return [projected_binary_classification(x, y, chosen[i % len(chosen)], n_features, n_train,
                                            n_valid, p, d, x_test, y_test)
            for i, (p, d) in enumerate(seeds)]


def _sizes(task):
    return task.n_features, task.n_train, task.n_valid


def epoch_orders(task: Task) -> np.ndarray:
    """The training example order of each epoch of a task, (epochs, n_train) int64: epoch
    0 in natural order, each later one a permutation drawn in turn from
    ``np.random.RandomState(task.shuffle_seed mod 2**32)``."""
    orders = np.empty((task.epochs, task.n_train), np.int64)
    orders[0] = np.arange(task.n_train)
    rng = _rng(task.shuffle_seed)
    for epoch in range(1, task.epochs):
        orders[epoch] = rng.permutation(task.n_train)
    return orders


class TaskBatch:
    """Tasks of equal (n_features, n_train, n_valid) and epochs stacked with the task axis
    innermost: train_x (n_train, F, T), train_y (n_train, T), valid_x (n_valid, F, T),
    valid_y (n_valid, T), classification (T,) bool, n_classes (T,) int64 (0 for a task
    with a scalar label) and multiclass (whether any is not 0), order (epochs, n_train, T)
    int64 (each task's ``epoch_orders``), and the training examples of every epoch in its order,
    epoch after epoch, epoch_train_x (epochs * n_train, F, T) and epoch_train_y
    (epochs * n_train, T) (train_x and train_y themselves for one epoch); all
    C-contiguous."""

    def __init__(self, tasks):
        self.tasks = list(tasks)
        if not self.tasks:
            raise ValueError("a TaskBatch needs at least one task")
        first = self.tasks[0]
        for task in self.tasks[1:]:
            if _key(task) != _key(first):
                raise ValueError(
                    f"task {task.name!r} has (n_features, n_train, n_valid, epochs) = "
                    f"{_key(task)} but task {first.name!r} has {_key(first)}")
        self._fill(*(np.ascontiguousarray(np.stack([getattr(t, field) for t in self.tasks],
                                                   axis=-1)) for field in ARRAYS),
                   np.array([t.classification for t in self.tasks], dtype=np.bool_),
                   np.array([t.n_classes for t in self.tasks], dtype=np.int64),
                   np.ascontiguousarray(np.stack([epoch_orders(t) for t in self.tasks],
                                                 axis=-1)))

    def _fill(self, train_x, train_y, valid_x, valid_y, classification, n_classes, order):
        """Set the stacked arrays, the sizes they imply, and the epochs' examples."""
        self.train_x, self.train_y, self.valid_x, self.valid_y = (train_x, train_y, valid_x,
                                                                  valid_y)
        self.classification, self.n_classes, self.order = classification, n_classes, order
        self.multiclass = bool(n_classes.any())
        self.n_train, self.n_features, self.n_tasks = train_x.shape
        self.n_valid = len(valid_x)
        self.epochs = len(order)
        if self.epochs == 1:
            self.epoch_train_x, self.epoch_train_y = self.train_x, self.train_y
            return
        tasks = np.arange(self.n_tasks)
        x = self.train_x[self.order, :, tasks].transpose(0, 1, 3, 2)  # (E, N, F, T)
        self.epoch_train_x = np.ascontiguousarray(x.reshape(-1, self.n_features,
                                                            self.n_tasks))
        self.epoch_train_y = np.ascontiguousarray(
            self.train_y[self.order, tasks].reshape(-1, self.n_tasks))

    @classmethod
    def of_arrays(cls, train_x, train_y, valid_x, valid_y, classification, n_classes=None):
        """A batch of already stacked examples (train_x (N, F, T), train_y (N, T), ...),
        for the Learner, which also needs batches with no training or no validation
        examples; n_classes defaults to 0 for every task.  TypeError or ValueError, one
        line, unless the shapes agree and each n_classes is 0 or 2..F with the task's
        labels in 0..n_classes-1 (the other values are not checked)."""
        classification = np.ascontiguousarray(classification, np.bool_)
        given = np.zeros(len(classification), np.int64) if n_classes is None else n_classes
        if not all(is_integer(k) for k in np.ravel(given)):
            raise ValueError("TaskBatch.of_arrays: n_classes must be integers, got %r"
                             % (n_classes,))
        n_classes = np.ascontiguousarray(given, np.int64)
        for name, array, axes in (("train_x", train_x, ("rows", "features", "tasks")),
                                  ("train_y", train_y, ("rows", "tasks")),
                                  ("valid_x", valid_x, ("rows", "features", "tasks")),
                                  ("valid_y", valid_y, ("rows", "tasks"))):
            check_array(array, "TaskBatch.of_arrays: " + name, np.float64, axes)
        n_features, n_tasks = train_x.shape[1:]
        if not n_features or not n_tasks:
            raise ValueError("TaskBatch.of_arrays: needs at least 1 feature and 1 task, got "
                             "train_x of shape %s" % (train_x.shape,))
        for name, array, shape, axes in (
                ("train_y", train_y, (len(train_x), n_tasks), "rows, tasks"),
                ("valid_x", valid_x, (len(valid_x), n_features, n_tasks),
                 "rows, features, tasks"),
                ("valid_y", valid_y, (len(valid_x), n_tasks), "rows, tasks"),
                ("classification", classification, (n_tasks,), "tasks"),
                ("n_classes", n_classes, (n_tasks,), "tasks")):
            if array.shape != shape:
                raise ValueError("TaskBatch.of_arrays: %s must have shape %s (%s), got %s"
                                 % (name, shape, axes, array.shape))
        for t, k in enumerate(n_classes):
            labels = np.concatenate((train_y[:, t], valid_y[:, t]))
            if k and (k < 2 or k > n_features or not np.isin(labels, np.arange(k)).all()):
                raise ValueError("TaskBatch.of_arrays: task %d: n_classes must be 0 or 2..%d "
                                 "with labels 0..n_classes-1, got %d" % (t, n_features, k))
        batch = object.__new__(cls)
        batch.tasks = []
        order = np.zeros((1, len(train_x), n_tasks), np.int64)
        order[0] = np.arange(len(train_x))[:, None]
        batch._fill(train_x, train_y, valid_x, valid_y, classification | (n_classes > 0),
                    n_classes, order)
        return batch


def _key(task):
    return (*_sizes(task), task.epochs)


def group_tasks(tasks):
    """[(indices, TaskBatch)] grouping `tasks` by (n_features, n_train, n_valid, epochs), in
    order of first appearance; `indices` (list of int) are positions in `tasks`."""
    groups = {}
    for i, task in enumerate(tasks):
        groups.setdefault(_key(task), []).append(i)
    return [(idx, TaskBatch([tasks[i] for i in idx])) for idx in groups.values()]
