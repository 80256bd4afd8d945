"""``Learner``: an evolved algorithm trained and used on a user's own data."""
import math
import warnings

import numpy as np

from azdeap import interpreter
from azdeap.algorithm import Algorithm
from azdeap.evaluator import check_bytes, evaluation_bytes, raise_on_bad_status
from azdeap.programs import Programs
from azdeap.space import check_memory
from azdeap.tasks import TaskBatch, check_seed

# An |error| above the largest float is infinite: training stops on NaN or infinite errors.
_MAX_ERROR = np.finfo(np.float64).max


class Learner:
    """An evolved algorithm as a scikit-learn-style estimator.

    ``fit(X, y)`` runs Setup, then Predict and Learn over the rows in order;
    ``predict(X)`` runs Predict only and returns s1 (for classification the
    probability sigmoid(s1)).  Memory persists between calls, as in the original.
    """

    def __init__(self, algorithm, kind="regression", memory=None, seed=0):
        if kind not in ("regression", "classification"):
            raise ValueError("kind must be 'regression' or 'classification', got %r" % (kind,))
        if not isinstance(algorithm, Algorithm):
            raise TypeError("Learner: algorithm must be an azdeap.algorithm.Algorithm, got %s"
                            % type(algorithm).__name__)
        self.algorithm = algorithm
        self.kind = kind
        self.memory = check_memory(algorithm.memory_used() if memory is None else memory)
        self.rng_state = np.array([check_seed(seed, "seed")], np.uint64)
        self.n_features_ = None

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
        if self.kind == "classification" and not np.isin(y, (0.0, 1.0)).all():
            raise ValueError("classification labels must be 0 or 1")
        return X, y

    def _run(self, X, y, training, fresh, cells=None, rng_state=None):
        """The RunResult of one kernel run on rows X (labels y): training (Predict, then
        Learn, on each row until an error is NaN or infinite) or Predict only, recording
        the predictions; fresh zeroes the memory and runs Setup first.  On the learner's
        memory and generator, or on the copies given."""
        x, labels = np.ascontiguousarray(X[:, :, None]), np.ascontiguousarray(y[:, None])
        examples = ((x, labels, x[:0], labels[:0]) if training
                    else (x[:0], labels[:0], x, labels))
        tasks = TaskBatch.of_arrays(*examples, [self.kind == "classification"])
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
        if self.kind == "classification":   # the error of sigmoid(prediction)
            return n if math.isnan(prediction) else 0
        return 0 if abs(float(y[-1]) - prediction) <= _MAX_ERROR else n

    def fit(self, X, y):
        """Setup, then Predict and Learn on each row of X (labels y) in order; a
        UserWarning if an error |y - prediction| was NaN or infinite, which stops
        training at that row (before its Learn)."""
        self.n_features_ = None
        X, y = self._check(X, y)
        check_bytes(evaluation_bytes(self.memory, {(X.shape[1], len(X), 0): 1}), "Learner.fit",
                    "memory %r for %d features, and the examples"
                    % (tuple(self.memory), X.shape[1]))
        self.n_features_ = X.shape[1]
        self._cells = np.zeros(interpreter.memory_size(self.memory, self.n_features_, 1))
        stopped = self._train(X, y)
        if stopped:
            warnings.warn("Learner.fit stopped at row %d of %d: its error |y - prediction| "
                          "was NaN or infinite" % (stopped, len(X)), UserWarning, stacklevel=2)
        return self

    def predict(self, X):
        """Predict each row of X (probabilities of class 1 for classification); a
        UserWarning counts the predictions that are NaN or infinite."""
        if self.n_features_ is None:
            raise ValueError("call fit before predict")
        X, y = self._check(X)
        predictions = self._run(X, y, False, False).predictions[:, 0]
        if self.kind == "classification":
            with np.errstate(over="ignore"):   # exp(1000) is inf: the probability 0
                predictions = 1.0 / (1.0 + np.exp(-predictions))
        bad = len(predictions) - np.count_nonzero(np.isfinite(predictions))
        if bad:
            warnings.warn("Learner.predict: %d of %d predictions are NaN or infinite"
                          % (bad, len(predictions)), UserWarning, stacklevel=2)
        return predictions
