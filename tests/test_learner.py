"""Learner: an evolved algorithm fit and used on one's own data (docs/design.md,
"Execution")."""
import warnings

import numpy as np
import pytest

from azdeap import Algorithm, Learner, Memory
from azdeap.tasks import make_tasks

# Setup s3 = 2; Predict s1 = s3 - s2; Learn s2 = s1 + s4 (s4 = 0): Learn feeds back
# what Predict left in s1.
FEEDBACK = """def Setup():
  s3 = 2.0
def Predict():
  s1 = s3 - s2
def Learn():
  s2 = s1 + s4"""


def simulate_feedback(kind, n, s3=2.0):
    """FEEDBACK trained on n rows, in Python: the raw s1 that Predict then gives."""
    s2 = 0.0
    for _ in range(n):
        s1 = s3 - s2
        if kind == "classification":
            s1 = 1.0 / (1.0 + np.exp(-s1))
        s2 = s1
    return s3 - s2


@pytest.mark.parametrize("kind", ["classification", "regression"])
def test_learn_sees_the_sigmoid_in_classification(kind):
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(5, 2)), np.array([1.0, 0.0, 1.0, 1.0, 0.0])
    learner = Learner(Algorithm.from_text(FEEDBACK), kind=kind).fit(X, y)
    raw = simulate_feedback(kind, 5)
    if kind == "classification":
        probability = learner.predict_proba(X[:1])
        np.testing.assert_allclose(probability, [[1.0 / (1.0 + np.exp(raw)),
                                                  1.0 / (1.0 + np.exp(-raw))]], rtol=1e-12)
    else:
        np.testing.assert_allclose(learner.predict(X[:1]), [raw], rtol=1e-12)
    other = simulate_feedback("regression" if kind == "classification" else "classification", 5)
    assert abs(raw - other) > 0.1  # the two rules give clearly different answers


def test_learner_regression_reproduces_a_linear_function(readme_regressor):
    rng = np.random.default_rng(3)
    w = np.array([0.5, -1.5, 2.0])
    X = rng.normal(size=(1000, 3))
    learner = Learner(readme_regressor(0.1)).fit(X, X @ w)
    X_new = rng.normal(size=(50, 3))
    prediction = learner.predict(X_new)
    assert prediction.shape == (50,)
    np.testing.assert_allclose(prediction, X_new @ w, atol=1e-8)
    np.testing.assert_array_equal(learner.predict(X_new), prediction)  # no learning in predict
    assert learner.fit(X[:5], (X @ w)[:5]) is learner  # refit restarts from Setup
    assert np.abs(learner.predict(X_new) - X_new @ w).max() > 0.1


def test_learner_classification_probabilities(readme_regressor):
    rng = np.random.default_rng(4)
    X = rng.normal(size=(600, 4))
    y = (X @ np.array([1.0, -2.0, 0.5, 1.0]) > 0).astype(float)
    learner = Learner(readme_regressor(0.1), kind="classification").fit(X[:500], y[:500])
    p = learner.predict_proba(X[500:])[:, 1]
    assert np.all((p >= 0.0) & (p <= 1.0))
    assert p.min() < 0.1 and p.max() > 0.9
    assert np.mean((p > 0.5) == y[500:]) > 0.85
    np.testing.assert_array_equal(learner.predict(X[500:]), (p > 0.5).astype(float))


def test_learner_memory_is_what_the_algorithm_uses_by_default(readme_regressor):
    assert Learner(readme_regressor()).memory == Memory(5, 3, 0)
    assert Learner(readme_regressor(), memory=(6, 4, 2)).memory == Memory(6, 4, 2)
    with pytest.raises(ValueError, match="memory needs at least 2 scalars"):
        Learner(readme_regressor(), memory=(1, 3, 0))


def test_learner_input_errors(readme_regressor, demo_memory):
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(20, 3)), rng.normal(size=20)
    learner = Learner(readme_regressor(0.1))
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
    with pytest.raises(ValueError, match="^classification needs at least 2 classes, got "
                                         "only 2.0$"):
        Learner(readme_regressor(), kind="classification").fit(X, np.full(len(X), 2.0))
    with pytest.raises(ValueError, match="kind"):
        Learner(readme_regressor(), kind="ranking")
    with pytest.raises(ValueError, match="address out of range"):   # the README uses s4
        Learner(readme_regressor(), memory=demo_memory).fit(X, y)


def test_learner_warns_when_training_stops_on_an_infinite_error():
    """log(0) = -inf on row 1 (before, training went on to the NaN log(-1) of row 2)."""
    diverging = Algorithm.from_text(
        "def Setup():\ndef Predict():\n  s1 = log(s2)\ndef Learn():\n  s2 = s2 - s0\n")
    X = np.ones((20, 2))
    with pytest.warns(UserWarning, match="^Learner.fit stopped at row 1 of 20: "):
        Learner(diverging, memory=Memory(3, 1, 0)).fit(X, np.ones(20))


# Predict: s1 = log(mean(x)) (NaN where the mean is < 0) or 1 / mean(x) (inf where it is 0)
LOG_OF_MEAN = "def Setup():\ndef Predict():\n  s2 = mean(v0)\n  s1 = log(s2)\ndef Learn():\n"
ONE_OVER_MEAN = "def Setup():\ndef Predict():\n  s2 = mean(v0)\n  s1 = 1 / s2\ndef Learn():\n"
FIT_STOPPED = ("Learner.fit stopped at row %d of 10: its error |y - prediction| was NaN or "
               "infinite")


def azdeap_warnings(call):
    """The messages of the warnings call() gives; fails on any warning not azdeap's."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    assert all(w.category is UserWarning for w in caught), [str(w.message) for w in caught]
    return [str(w.message) for w in caught]


@pytest.mark.parametrize("listing", [LOG_OF_MEAN, ONE_OVER_MEAN])
@pytest.mark.parametrize("bad_row", [3, 10])
def test_fit_stops_on_a_nan_or_infinite_error_and_says_so(listing, bad_row):
    """Infinite errors stop training as NaN ones do, on the last row too."""
    X = np.ones((10, 2))
    X[bad_row - 1] = (-1.0, 1.0 - 2 * (listing == LOG_OF_MEAN))   # mean 0 or -1
    learner = Learner(Algorithm.from_text(listing), memory=Memory(3, 1, 0))
    assert azdeap_warnings(lambda: learner.fit(X, np.ones(10))) == [FIT_STOPPED % bad_row]
    assert azdeap_warnings(lambda: learner.fit(X[:bad_row - 1], np.ones(bad_row - 1))) == []


def test_fit_that_completes_says_nothing_though_learn_leaves_nan_in_s1():
    """The last row's prediction is good; Learn then writes NaN into s1."""
    listing = ("def Setup():\ndef Predict():\n  s1 = mean(v0)\n"
               "def Learn():\n  s2 = s2 - s2\n  s1 = s2 / s2\n")
    learner = Learner(Algorithm.from_text(listing), memory=Memory(3, 1, 0))
    assert azdeap_warnings(lambda: learner.fit(np.ones((10, 2)), np.ones(10))) == []


@pytest.mark.parametrize("kind", ["regression", "classification"])
def test_fit_in_pieces_equals_one_kernel_run(readme_regressor, kind):
    """fit runs the last row apart (its prediction first on copies): the memory and the
    random ops' generator end as after one run over all rows."""
    from azdeap import interpreter
    from azdeap.programs import Programs
    from azdeap.tasks import TaskBatch
    noisy = Algorithm.from_text(str(readme_regressor(0.05)).replace(
        "def Learn():", "  s4 = gaussian(0.0, 0.01)\n  s1 = s1 + s4\ndef Learn():"))
    rng = np.random.default_rng(6)
    X = rng.normal(size=(30, 3))
    y = (X @ [1.0, -1.0, 0.5] > 0).astype(float)
    learner = Learner(noisy, kind=kind, seed=7).fit(X, y)
    cells = np.zeros(interpreter.memory_size(learner.memory, 3, 1))
    x, labels = X[:, :, None].copy(), y[:, None].copy()
    state = np.array([7], np.uint64)
    interpreter.run(Programs.stack([noisy]), TaskBatch.of_arrays(
        x, labels, x[:0], labels[:0], [kind == "classification"]), memory=learner.memory,
        rng_state=state, max_abs_error=np.inf, cells=cells)
    assert learner._cells.tobytes() == cells.tobytes() and learner.rng_state == state


def test_fit_of_one_row_that_fails():
    learner = Learner(Algorithm.from_text(LOG_OF_MEAN), memory=Memory(3, 1, 0))
    assert azdeap_warnings(lambda: learner.fit(-np.ones((1, 2)), np.ones(1))) == [
        "Learner.fit stopped at row 1 of 1: its error |y - prediction| was NaN or infinite"]


@pytest.mark.parametrize("listing", [LOG_OF_MEAN, ONE_OVER_MEAN])
def test_predict_counts_nan_or_infinite_predictions(listing):
    learner = Learner(Algorithm.from_text(listing), memory=Memory(3, 1, 0))
    learner.fit(np.ones((5, 2)), np.ones(5))
    X = np.ones((10, 2))
    X[[1, 4, 7]] = (-1.0, 1.0 - 2 * (listing == LOG_OF_MEAN))
    assert azdeap_warnings(lambda: learner.predict(X)) == [
        "Learner.predict: 3 of 10 predictions are NaN or infinite"]


def test_classification_probabilities_of_huge_predictions_leak_no_numpy_warning():
    """sigmoid(-1000) is 0 after exp(1000) overflows: a fine probability."""
    listing = "def Setup():\n  s2 = -1000.0\ndef Predict():\n  s1 = s2 + s3\ndef Learn():\n"
    learner = Learner(Algorithm.from_text(listing), kind="classification",
                      memory=Memory(4, 1, 0))
    X, y = np.ones((4, 2)), np.array([0.0, 1.0, 0.0, 1.0])
    assert azdeap_warnings(lambda: learner.fit(X, y)) == []
    probabilities = []
    assert azdeap_warnings(lambda: probabilities.append(learner.predict_proba(X))) == []
    assert probabilities[0].tolist() == [[1.0, 0.0]] * 4


def test_wide_features_up_to_256():
    """F is a run-time setting: matrix ops on F=256 match numpy (s1 = norm(outer(x, x)))."""
    task = make_tasks("linear", 1, 256, 5, 3)[0]
    algorithm = Algorithm.from_text("def Setup():\ndef Predict():\n"
                                    "  m0 = outer(v0, v0)\n  s1 = norm(m0)\ndef Learn():\n")
    learner = Learner(algorithm, memory=Memory(2, 1, 1)).fit(task.train_x, task.train_y)
    x = task.valid_x
    expected = np.linalg.norm(np.einsum("ni,nj->nij", x, x), axis=(1, 2))
    assert np.allclose(learner.predict(x), expected)


# -- arguments: one error line naming the argument ----------------------------------------
@pytest.mark.parametrize("args, kwargs, error, message", [
    (("text",), {}, TypeError,
     "Learner: algorithm must be an azdeap.algorithm.Algorithm, got str"),
    ((None,), {}, TypeError,
     "Learner: algorithm must be an azdeap.algorithm.Algorithm, got NoneType"),
    ((), {"seed": -1}, ValueError, "seed must be an integer in 0..2**63-1, got -1"),
    ((), {"seed": "1"}, TypeError, "seed must be an integer in 0..2**63-1, got '1'"),
    ((), {"memory": 3}, TypeError,
     "memory must be a Memory (scalars, vectors, matrices), got 3"),
    ((), {"kind": "ranking"}, ValueError,
     "kind must be 'regression', 'classification' or 'multiclass', got 'ranking'"),
])
def test_bad_arguments_are_one_clear_line(readme_regressor, args, kwargs, error, message):
    with pytest.raises(error) as raised:
        Learner(*(args or (readme_regressor(),)), **kwargs)
    assert str(raised.value) == message


def test_a_huge_memory_is_refused_before_allocating(readme_regressor):
    learner = Learner(readme_regressor(), memory=Memory(10**12, 3, 0))
    with pytest.raises(ValueError, match=r"^Learner.fit needs about [\d.]+ GiB \(memory "
                                         r"\(1000000000000, 3, 0\) for 3 features, and the "
                                         r"examples\), more than the limit of [\d.]+ GiB "):
        learner.fit(np.ones((4, 3)), np.zeros(4))


# -- a scikit-learn estimator ---------------------------------------------------------------
def blobs_3d(n, seed):
    rng = np.random.default_rng(seed)
    y = (np.arange(n) % 2).astype(float)
    return rng.normal(size=(n, 3)) + np.where(y[:, None] == 1.0, 1.5, -1.5), y


def test_learner_params_follow_scikit_learns_protocol(readme_regressor):
    from sklearn.base import clone
    algorithm = readme_regressor(0.1)
    learner = Learner(algorithm, kind="classification", seed=3)
    assert learner.get_params() == {"algorithm": algorithm, "kind": "classification",
                                    "memory": None, "seed": 3}
    copy = clone(learner)
    assert copy is not learner and copy.get_params()["seed"] == 3
    assert copy.memory == Memory(5, 3, 0) and copy.algorithm == algorithm
    assert learner.set_params(kind="regression", memory=(6, 3, 0)) is learner
    assert learner.kind == "regression" and learner.memory == Memory(6, 3, 0)
    with pytest.raises(ValueError, match=r"^Invalid parameter 'rate' for estimator Learner. "
                                         r"Valid parameters are: \['algorithm', 'kind', "):
        learner.set_params(rate=1.0)
    with pytest.raises(ValueError,
                       match="kind must be 'regression', 'classification' or 'multiclass'"):
        learner.set_params(kind="ranking")


def test_learner_is_fitted_only_after_fit(readme_regressor):
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted
    learner = Learner(readme_regressor(0.1), kind="classification")
    with pytest.raises(NotFittedError, match="^Learner: call fit before predict$"):
        learner.predict(np.ones((2, 3)))
    with pytest.raises(NotFittedError):
        check_is_fitted(learner)
    X, y = blobs_3d(100, 1)
    check_is_fitted(learner.fit(X, y))
    np.testing.assert_array_equal(learner.classes_, [0.0, 1.0])
    assert learner.n_features_in_ == 3
    assert not hasattr(Learner(readme_regressor(0.1)).fit(X, y), "classes_")
    with pytest.raises(AttributeError, match="only for classification"):
        Learner(readme_regressor(0.1)).fit(X, y).predict_proba(X)


def test_learner_scores_as_scikit_learn_does(readme_regressor):
    from sklearn.metrics import accuracy_score, r2_score
    X, y = blobs_3d(300, 2)
    classifier = Learner(readme_regressor(0.1), kind="classification").fit(X[:200], y[:200])
    labels = classifier.predict(X[200:])
    assert classifier.score(X[200:], y[200:]) == accuracy_score(y[200:], labels) > 0.9
    w = np.array([1.0, -2.0, 0.5])
    regressor = Learner(readme_regressor(0.01)).fit(X[:50], X[:50] @ w)
    prediction = regressor.predict(X[200:])
    assert regressor.score(X[200:], X[200:] @ w) == pytest.approx(
        r2_score(X[200:] @ w, prediction), rel=1e-12)


def test_learner_works_in_pipelines_and_cross_validation(readme_regressor):
    from sklearn.base import is_classifier, is_regressor
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    X, y = blobs_3d(120, 3)
    classifier = Learner(readme_regressor(0.1), kind="classification")
    assert is_classifier(classifier) and is_regressor(Learner(readme_regressor()))
    pipeline = make_pipeline(StandardScaler(), classifier).fit(X, y)
    assert pipeline.score(X, y) > 0.9
    scores = cross_val_score(classifier, X, y, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.85
    w = np.array([0.5, 1.0, -1.0])
    r2 = cross_val_score(make_pipeline(StandardScaler(), Learner(readme_regressor(0.05))),
                         X, X @ w, cv=4)
    assert r2.shape == (4,) and r2.min() > 0.9


def test_fit_twice_gives_the_same_learner(readme_regressor):
    noisy = Algorithm.from_text(str(readme_regressor(0.05)).replace(
        "def Learn():", "  s4 = gaussian(0.0, 0.5)\n  s1 = s1 + s4\ndef Learn():"))
    X, y = blobs_3d(50, 4)
    learner = Learner(noisy, seed=9)
    first = learner.fit(X, y).predict(X)
    np.testing.assert_array_equal(learner.fit(X, y).predict(X), first)


def test_learner_and_datasets_work_without_scikit_learn():
    import subprocess
    import sys
    code = ("import sys; sys.modules['sklearn'] = None\n"
            "import numpy as np\n"
            "from azdeap import Algorithm, Learner\n"
            "from azdeap.datasets import DatasetError, load_dataset\n"
            "alg = Algorithm.from_text('def Setup():\\ndef Predict():\\n  s1 = mean(v0)\\n"
            "def Learn():\\n')\n"
            "learner = Learner(alg, kind='classification').fit(np.ones((4, 2)), np.ones(4))\n"
            "print(learner.score(np.ones((4, 2)), np.ones(4)), learner.get_params()['kind'])\n"
            "try:\n    Learner(alg).predict(np.ones((1, 2)))\n"
            "except ValueError as error:\n    print(type(error).__name__, error)\n"
            "try:\n    load_dataset('digits')\n"
            "except DatasetError as error:\n    print(error)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out == ["1.0 classification", "NotFittedError Learner: call fit before predict",
                   "dataset digits: needs scikit-learn (pip install scikit-learn, or the "
                   "'data' extra of azdeap)"]


def test_learner_classifies_any_labels_and_more_than_two_classes():
    """Two classes of any labels run as a binary task; ten, as a multi-class task (the
    label one-hot in v1, the prediction v2): softmax regression learns the digits in a
    pipeline and in cross-validation, and predict returns the dataset's own labels."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from azdeap import reference
    X, y = blobs_3d(200, 6)
    binary = Learner(reference.logistic_regression(0.1), kind="classification")
    labels = np.where(y > 0, 7.0, -3.0)
    binary.fit(X[:150], labels[:150])
    np.testing.assert_array_equal(binary.classes_, [-3.0, 7.0])
    assert set(binary.predict(X[150:])) <= {-3.0, 7.0}
    assert binary.score(X[150:], labels[150:]) > 0.9
    digits = load_digits()
    X, y = digits.data, digits.target + 10.0   # labels 10..19
    learner = Learner(reference.softmax_regression(0.01), kind="classification")
    pipeline = make_pipeline(StandardScaler(), learner).fit(X[:1200], y[:1200])
    np.testing.assert_array_equal(learner.classes_, np.arange(10, 20))
    assert set(pipeline.predict(X[1200:])) <= set(range(10, 20))
    assert pipeline.score(X[1200:], y[1200:]) > 0.85
    scores = cross_val_score(make_pipeline(StandardScaler(), learner), X[:900], y[:900], cv=3)
    assert scores.min() > 0.8
    classes = pipeline.fit(X[:1200], y[:1200]).predict(X[1200:])
    probabilities = pipeline.fit(X[:1200], y[:1200]).predict_proba(X[1200:])  # the same memory
    assert probabilities.shape == (len(X) - 1200, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    np.testing.assert_array_equal(learner.classes_[probabilities.argmax(axis=1)], classes)
    assert 0.05 < probabilities.max(axis=1).mean() < 0.999   # not one-hot: softmax values
    # kind "multiclass" runs two classes as a multi-class task, as evolved on one
    two = (y == 15.0) | (y == 16.0)
    pair = make_pipeline(StandardScaler(), Learner(reference.softmax_regression(0.01),
                                                   kind="multiclass"))
    pair.fit(X[two][:250], y[two][:250])
    assert pair.score(X[two][250:], y[two][250:]) > 0.9
    as_binary = make_pipeline(StandardScaler(), Learner(reference.softmax_regression(0.01),
                                                        kind="classification"))
    assert as_binary.fit(X[two][:250], y[two][:250]).score(X[two][250:], y[two][250:]) < 0.7
    with pytest.raises(ValueError, match="^10 classes need at least as many features and 3 "
                                         "vectors of memory"):
        Learner(reference.softmax_regression(), kind="classification").fit(X[:50, :8], y[:50])
