"""``Learner``: an evolved algorithm trained and used on a user's own data, a
scikit-learn estimator where scikit-learn is installed."""
import math
import warnings

import numpy as np

try:   # a real scikit-learn estimator where it is installed, a plain class otherwise
    from sklearn.base import BaseEstimator as _Base
    from sklearn.exceptions import NotFittedError
except ImportError:
    _Base = object

    class NotFittedError(ValueError, AttributeError):
        """A Learner used before fit (scikit-learn's exception, when it is installed)."""

from azdeap import interpreter
from azdeap.algorithm import Algorithm
from azdeap.evaluator import check_bytes, evaluation_bytes, raise_on_bad_status
from azdeap.programs import Programs
from azdeap.space import check_memory
from azdeap.tasks import TaskBatch, check_seed

# An |error| above the largest float is infinite: training stops on NaN or infinite errors.
_MAX_ERROR = np.finfo(np.float64).max


PARAMS = ("algorithm", "kind", "memory", "seed")
KINDS = ("regression", "classification", "multiclass")
CLASSES = np.array([0.0, 1.0])


def _classes_of(y, kind):
    """The sorted classes of labels y: for "classification" 0.0 and 1.0 if the labels are
    among them, as the binary tasks' (docs/design.md, "Tasks"); ValueError for fewer than
    2 classes."""
    classes = np.unique(y)
    if kind == "classification" and np.isin(classes, CLASSES).all():
        return CLASSES.copy()
    if len(classes) < 2:
        raise ValueError("classification needs at least 2 classes, got only %s" % classes[0])
    return classes


def _warn_if_bad(caller, bad, n):
    """A UserWarning if bad of the n predictions are NaN or infinite."""
    if bad:
        warnings.warn("Learner.%s: %d of %d predictions are NaN or infinite"
                      % (caller, bad, n), UserWarning, stacklevel=4)


def _multiclass_count(kind, classes):
    """The n_classes of a learner's tasks: its number of classes if it runs as on
    multi-class tasks (kind "multiclass", or more than two classes), else 0."""
    return len(classes) if kind == "multiclass" or len(classes) > 2 else 0


class Learner(_Base):
    """An evolved algorithm as a scikit-learn estimator.

    ``fit(X, y)`` runs Setup, then Predict and Learn over the rows in order;
    ``predict(X)`` runs Predict only and returns s1, or for classification a class of
    ``classes_``: with two classes the one that the probability sigmoid(s1) (which
    ``predict_proba`` gives) favours; with more, or with kind "multiclass", the
    algorithm runs as on a multi-class task (the label one-hot in v1, the prediction
    v2, docs/design.md, "Multi-class tasks") and the class is the largest entry of v2.
    Memory persists between calls, as in the original.
    """

    def __init__(self, algorithm, kind="regression", memory=None, seed=0):
        if kind not in KINDS:
            raise ValueError("kind must be 'regression', 'classification' or 'multiclass', "
                             "got %r" % (kind,))
        if not isinstance(algorithm, Algorithm):
            raise TypeError("Learner: algorithm must be an azdeap.algorithm.Algorithm, got %s"
                            % type(algorithm).__name__)
        self._params = {"algorithm": algorithm, "kind": kind, "memory": memory, "seed": seed}
        self.algorithm = algorithm
        self.kind = kind
        self.memory = check_memory(algorithm.memory_used() if memory is None else memory)
        self.seed = check_seed(seed, "seed")
        self.rng_state = np.array([self.seed], np.uint64)

    # -- scikit-learn's estimator protocol ----------------------------------------------
    def get_params(self, deep=True):
        """The constructor's arguments, as given (scikit-learn's ``clone`` rebuilds the
        learner from them)."""
        return dict(self._params)

    def set_params(self, **params):
        """Change constructor arguments: the learner is built again from them, checked,
        and unfitted. ValueError naming an unknown parameter."""
        for name in params:
            if name not in PARAMS:
                raise ValueError("Invalid parameter %r for estimator Learner. Valid parameters "
                                 "are: %s." % (name, list(PARAMS)))
        self.__init__(**dict(self._params, **params))
        return self

    @property
    def _estimator_type(self):
        return "regressor" if self.kind == "regression" else "classifier"

    def __sklearn_tags__(self):
        from sklearn.utils import ClassifierTags, RegressorTags
        tags = super().__sklearn_tags__()
        tags.estimator_type = self._estimator_type
        tags.target_tags.required = True
        if self.kind != "regression":
            tags.classifier_tags = ClassifierTags(multi_class=True)
        else:
            tags.regressor_tags = RegressorTags()
        return tags

    def __repr__(self):
        return "Learner(kind=%r, memory=%r, seed=%r, algorithm of %d instructions)" % (
            self.kind, tuple(self.memory), self.seed, len(self.algorithm))

    @property
    def n_features_(self):
        """The number of features fit saw (None before fit)."""
        return getattr(self, "n_features_in_", None)

    def _check(self, X, y=None):
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
            raise ValueError("X must be a non-empty 2-D array (examples, features), "
                             "got shape %r" % (X.shape,))
        if self.n_features_ is not None and X.shape[1] != self.n_features_:
            raise ValueError("X has %d features but the learner was fit on %d"
                             % (X.shape[1], self.n_features_))
        if not np.isfinite(X).all():
            raise ValueError("X contains NaN or infinite values")
        if y is None:
            return X, np.zeros(len(X))
        y = np.asarray(y, dtype=np.float64)
        if y.shape != (len(X),):
            raise ValueError("y must have shape (%d,) to match X, got %r" % (len(X), y.shape))
        if not np.isfinite(y).all():
            raise ValueError("y contains NaN or infinite values")
        return X, y

    @property
    def _n_classes(self):
        """The tasks' n_classes: the number of classes of a multi-class learner, else 0."""
        return _multiclass_count(self.kind, getattr(self, "classes_", CLASSES))

    def _run(self, X, y, training, fresh, cells=None, rng_state=None):
        """The RunResult of one kernel run on rows X (labels y): training (Predict, then
        Learn, on each row until an error is NaN or infinite) or Predict only, recording
        the predictions; fresh zeroes the memory and runs Setup first.  On the learner's
        memory and generator, or on the copies given."""
        x, labels = np.ascontiguousarray(X[:, :, None]), np.ascontiguousarray(y[:, None])
        examples = ((x, labels, x[:0], labels[:0]) if training
                    else (x[:0], labels[:0], x, labels))
        tasks = TaskBatch.of_arrays(*examples, [self.kind != "regression"],
                                    [self._n_classes])
        result = interpreter.run(
            Programs.stack([self.algorithm]), tasks, memory=self.memory,
            rng_state=self.rng_state if rng_state is None else rng_state,
            max_abs_error=_MAX_ERROR, cells=self._cells if cells is None else cells,
            fresh_memory=fresh, record_predictions=not training)
        raise_on_bad_status(result.status, [self.algorithm], self.memory)
        return result

    def _train(self, X, y):
        """Setup, then Predict and Learn on each row in order until an error |y -
        prediction| is NaN or infinite; returns that row (from 1), or 0."""
        n = len(X)
        if n > 1:
            steps = int(self._run(X[:-1], y[:-1], True, True).train_steps[0])
            if steps < n - 1:
                return steps
        # The kernel counts the last row whether or not its error stopped training: its
        # prediction is made first on copies of the memory and the generator.
        prediction = self._run(X[-1:], y[-1:], False, n == 1, self._cells.copy(),
                               self.rng_state.copy()).predictions[0, 0]
        self._run(X[-1:], y[-1:], True, n == 1)
        if self.kind != "regression":   # the error of sigmoid(s1), or of v2
            return n if math.isnan(prediction) else 0
        return 0 if abs(float(y[-1]) - prediction) <= _MAX_ERROR else n

    def fit(self, X, y):
        """Setup, then Predict and Learn on each row of X (labels y) in order, the random
        ops drawing from ``seed`` anew; a UserWarning if an error |y - prediction| was NaN
        or infinite, which stops training at that row (before its Learn).  More than two
        classes need at least as many features and 3 vectors of memory (ValueError)."""
        for name in ("n_features_in_", "classes_"):
            self.__dict__.pop(name, None)
        X, y = self._check(X, y)
        check_bytes(evaluation_bytes(self.memory, {(X.shape[1], len(X), 0): 1}), "Learner.fit",
                    "memory %r for %d features, and the examples"
                    % (tuple(self.memory), X.shape[1]))
        if self.kind != "regression":
            classes = _classes_of(y, self.kind)
            if _multiclass_count(self.kind, classes) and (len(classes) > X.shape[1]
                                                          or self.memory.vectors < 3):
                raise ValueError("%d classes need at least as many features and 3 vectors of "
                                 "memory (v1 the label, v2 the prediction), got %d features "
                                 "and memory %r" % (len(classes), X.shape[1],
                                                    tuple(self.memory)))
            self.classes_ = classes
            y = np.searchsorted(classes, y).astype(np.float64)   # the class indices
        self.n_features_in_ = X.shape[1]
        self.rng_state = np.array([self.seed], np.uint64)
        self._cells = np.zeros(interpreter.memory_size(self.memory, self.n_features_, 1))
        stopped = self._train(X, y)
        if stopped:
            warnings.warn("Learner.fit stopped at row %d of %d: its error |y - prediction| "
                          "was NaN or infinite" % (stopped, len(X)), UserWarning, stacklevel=2)
        return self

    def _predict(self, X, caller):
        """Predict on each row of X: s1, or sigmoid(s1) for two classes, or the index of
        the class for more; a UserWarning counts the predictions that are NaN or
        infinite."""
        X, y = self._fitted_check(X, caller)
        predictions = self._run(X, y, False, False).predictions[:, 0]
        if self.kind != "regression" and not self._n_classes:
            with np.errstate(over="ignore"):   # exp(1000) is inf: the probability 0
                predictions = 1.0 / (1.0 + np.exp(-predictions))
        _warn_if_bad(caller, np.count_nonzero(~np.isfinite(predictions)), len(predictions))
        return predictions

    def _fitted_check(self, X, caller):
        """X checked (and labels of zeros); NotFittedError before fit."""
        if self.n_features_ is None:
            raise NotFittedError("Learner: call fit before %s" % caller)
        return self._check(X)

    def _class_probabilities(self, X):
        """The softmax of the first K entries of v2 after Predict on each row of X (rows
        of NaN where one is NaN or infinite).  A run records the class only, so each row
        is one run, and v2 is read from the memory it leaves (the memory carries over as
        in predict)."""
        X, y = self._fitted_check(X, "predict_proba")
        K = self._n_classes
        v2 = self.memory.scalars + 2 * self.n_features_   # its first cell, of one task
        logits = np.empty((len(X), K))
        for row in range(len(X)):
            self._run(X[row:row + 1], y[row:row + 1], False, False)
            logits[row] = self._cells[v2:v2 + K]
        bad = ~np.isfinite(logits).all(axis=1)
        with np.errstate(invalid="ignore"):
            exp = np.exp(logits - logits.max(axis=1, keepdims=True))
            probabilities = exp / exp.sum(axis=1, keepdims=True)
        probabilities[bad] = np.nan
        _warn_if_bad("predict_proba", np.count_nonzero(bad), len(X))
        return probabilities

    def predict(self, X):
        """Predict each row of X: s1, or for classification its class of ``classes_``
        (with two classes, the second if its probability is above 0.5); NaN where the
        prediction is NaN (or, for more than two classes, not finite)."""
        predictions = self._predict(X, "predict")
        if self.kind != "regression":
            index = (predictions if self._n_classes else predictions > 0.5)
            known = ~np.isnan(predictions)
            predictions = np.full(len(index), np.nan)
            predictions[known] = self.classes_[index[known].astype(np.int64)]
        return predictions

    def predict_proba(self, X):
        """The probabilities (n, K) of the classes of each row of X, in the order of
        ``classes_``: from sigmoid(s1) with two classes, the softmax of the first K
        entries of v2 as on multi-class tasks; ``AttributeError`` for regression."""
        if self.kind == "regression":
            raise AttributeError("Learner.predict_proba is only for classification")
        if self._n_classes:
            return self._class_probabilities(X)
        probability = self._predict(X, "predict_proba")
        return np.column_stack([1.0 - probability, probability])

    def score(self, X, y):
        """Accuracy of predict (classification) or the coefficient of determination R^2
        (regression: 1 for a perfect fit; 0 where y is constant and not matched), as
        scikit-learn's classifiers and regressors score."""
        X, y = self._check(X, y)
        predictions = self.predict(X)
        if self.kind != "regression":
            return float(np.mean(predictions == y))
        residual = float(np.sum((y - predictions) ** 2))
        total = float(np.sum((y - y.mean()) ** 2))
        if total == 0.0:
            return 1.0 if residual == 0.0 else 0.0
        return 1.0 - residual / total
