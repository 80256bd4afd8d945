"""``Learner``: an evolved algorithm trained and used on a user's own data."""
import warnings

import numpy as np

from azdeap import interpreter
from azdeap.algorithm import Algorithm
from azdeap.evaluator import check_bytes, evaluation_bytes, raise_on_bad_status
from azdeap.programs import Programs
from azdeap.space import check_memory
from azdeap.tasks import TaskBatch, check_seed


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

    def _run(self, X, y, training):
        """Fit (training) or predict on rows X with labels y; predict returns the (n, 1)
        predictions."""
        x, labels = np.ascontiguousarray(X[:, :, None]), np.ascontiguousarray(y[:, None])
        examples = ((x, labels, x[:0], labels[:0]) if training
                    else (x[:0], labels[:0], x, labels))
        tasks = TaskBatch.of_arrays(*examples, [self.kind == "classification"])
        result = interpreter.run(Programs.stack([self.algorithm]), tasks,
                                 memory=self.memory, rng_state=self.rng_state,
                                 max_abs_error=np.inf, cells=self._cells,
                                 fresh_memory=training, record_predictions=not training)
        raise_on_bad_status(result.status, [self.algorithm], self.memory)
        if training and result.train_steps[0] < len(X):
            warnings.warn("Learner.fit stopped at row %d of %d: the prediction was NaN or "
                          "infinite" % (result.train_steps[0], len(X)), RuntimeWarning,
                          stacklevel=3)
        return result.predictions

    def fit(self, X, y):
        """Setup, then Predict and Learn on each row of X (labels y) in order."""
        self.n_features_ = None
        X, y = self._check(X, y)
        check_bytes(evaluation_bytes(self.memory, {(X.shape[1], len(X), 0): 1}), "Learner.fit",
                    "memory %r for %d features, and the examples"
                    % (tuple(self.memory), X.shape[1]))
        self.n_features_ = X.shape[1]
        self._cells = np.zeros(interpreter.memory_size(self.memory, self.n_features_, 1))
        self._run(X, y, training=True)
        return self

    def predict(self, X):
        """Predict each row of X (probabilities of class 1 for classification)."""
        if self.n_features_ is None:
            raise ValueError("call fit before predict")
        X, y = self._check(X)
        predictions = self._run(X, y, training=False)[:, 0]
        if self.kind == "classification":
            return 1.0 / (1.0 + np.exp(-predictions))
        return predictions
