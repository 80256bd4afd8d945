"""Learner: an evolved algorithm fit and used on one's own data (docs/design.md,
"Execution")."""
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
    expected = 1.0 / (1.0 + np.exp(-raw)) if kind == "classification" else raw
    np.testing.assert_allclose(learner.predict(X[:1]), [expected], rtol=1e-12)
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
    p = learner.predict(X[500:])
    assert np.all((p >= 0.0) & (p <= 1.0))
    assert p.min() < 0.1 and p.max() > 0.9
    assert np.mean((p > 0.5) == y[500:]) > 0.85


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
    with pytest.raises(ValueError, match="0 or 1"):
        Learner(readme_regressor(), kind="classification").fit(X, (y > 0) * 2.0)
    with pytest.raises(ValueError, match="kind"):
        Learner(readme_regressor(), kind="ranking")
    with pytest.raises(ValueError, match="address out of range"):   # the README uses s4
        Learner(readme_regressor(), memory=demo_memory).fit(X, y)


def test_learner_warns_when_training_stops_on_nan():
    diverging = Algorithm.from_text(
        "def Setup():\ndef Predict():\n  s1 = log(s2)\ndef Learn():\n  s2 = s2 - s0\n")
    X = np.ones((20, 2))
    with pytest.warns(RuntimeWarning, match="stopped at row"):
        Learner(diverging, memory=Memory(3, 1, 0)).fit(X, np.ones(20))


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
     "kind must be 'regression' or 'classification', got 'ranking'"),
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
