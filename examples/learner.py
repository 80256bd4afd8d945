"""Use an algorithm as a scikit-learn-style estimator on your own data: azdeap.Learner.

The algorithm here is the README's human-designed linear regressor (docs/design.md, "Notation"),
with learning rate s2 = 0.1: plain SGD on the squared error.  ``Learner.fit`` runs Setup
once, then Predict and Learn on each row in order (one pass); ``Learner.predict`` runs
Predict only.  The Learner's memory defaults to what the algorithm uses
(``Algorithm.memory_used()``): here s0..s4 and v0..v2 (5 scalars, 3 vectors, 0 matrices).

With ``kind="classification"`` (labels 0/1) the prediction s1 is replaced by
sigmoid(s1) before Learn runs, as in the original's ACCURACY tasks, so the very same
program becomes logistic regression trained by SGD; ``predict`` returns classes.
With more than two classes the Learner runs the algorithm as on a multi-class task
(docs/design.md, "Multi-class tasks"): the label is one-hot in v1, the prediction is the
vector v2 (its softmax in Learn), so ``reference.softmax_regression`` is multinomial
logistic regression trained by SGD.

Run:  python examples/learner.py [N_TRAIN] [--seed N]
"""
import argparse

import numpy as np

import azdeap
from azdeap import reference

LINEAR_REGRESSOR = reference.LINEAR_REGRESSOR.format(learning_rate="0.1")  # in the text notation


def regression(algorithm, n_train, rng):
    n_features = 5
    w = rng.normal(size=n_features)                  # the true weights
    X_train = rng.normal(size=(n_train, n_features))
    y_train = X_train @ w + 0.01 * rng.normal(size=n_train)
    X_test = rng.normal(size=(200, n_features))
    y_test = X_test @ w

    learner = azdeap.Learner(algorithm).fit(X_train, y_train)
    rmse = float(np.sqrt(np.mean((learner.predict(X_test) - y_test) ** 2)))
    print("regression: memory %s, test RMSE %.4f (label std %.2f)"
          % (tuple(learner.memory), rmse, y_test.std()))
    return rmse


def classification(algorithm, n_train, rng):
    # Two gaussian blobs in 2-D, not centred on the origin.  The algorithm has no bias
    # term (s1 = dot(v0, v1)), so append a constant-1 feature to learn one.
    def blobs(n):
        y = rng.integers(0, 2, size=n).astype(float)
        centres = np.where(y[:, None] == 1.0, [3.0, 1.0], [1.0, 3.0])
        x = centres + rng.normal(size=(n, 2))
        return np.hstack([x, np.ones((n, 1))]), y

    X_train, y_train = blobs(n_train)
    X_test, y_test = blobs(500)
    learner = azdeap.Learner(algorithm, kind="classification").fit(X_train, y_train)
    accuracy = learner.score(X_test, y_test)   # the fraction of predict(X_test) == y_test
    print("classification: test accuracy %.3f" % accuracy)
    return accuracy


def multiclass(n_train, rng):
    # Four Gaussian blobs in 4-D, labelled "a" to "d": the label vector needs at least as
    # many features as classes.
    centres = 2.0 * np.eye(4)

    def blobs(n):
        y = rng.integers(0, 4, size=n)
        return centres[y] + rng.normal(size=(n, 4)), np.array(list("abcd"))[y]

    X_train, y_train = blobs(n_train)
    X_test, y_test = blobs(500)
    codes = {label: float(i) for i, label in enumerate("abcd")}   # the Learner takes numbers
    learner = azdeap.Learner(reference.softmax_regression(0.05), kind="classification")
    learner.fit(X_train, [codes[label] for label in y_train])
    accuracy = learner.score(X_test, [codes[label] for label in y_test])
    print("multi-class: %d classes, memory %s, test accuracy %.3f"
          % (len(learner.classes_), tuple(learner.memory), accuracy))
    return accuracy


def main(n_train=1000, seed=0):
    algorithm = azdeap.Algorithm.from_text(LINEAR_REGRESSOR)
    print(algorithm)
    rng = np.random.default_rng(seed)
    return {"rmse": regression(algorithm, n_train, rng),
            "accuracy": classification(algorithm, n_train, rng),
            "multiclass_accuracy": multiclass(n_train, rng)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n_train", nargs="?", type=int, default=1000,
                        help="training examples (default 1000)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    main(args.n_train, args.seed)
