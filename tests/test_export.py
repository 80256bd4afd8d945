"""export_module and the export command: a standalone numpy module that predicts as
azdeap.Learner does, running where azdeap cannot be imported."""
import subprocess
import sys
import types
import warnings

import numpy as np
import pytest

from azdeap import ops, reference
from azdeap.algorithm import Algorithm
from azdeap.cli import main
from azdeap.export import export_module
from azdeap.learner import Learner

# Cells with values for every op to read: s2, s4 and s3 scalars, v1 and v3 vectors, m1
# and m3 matrices, all changing with the features; the op under test writes s5, v4 or
# m4, and Predict turns that into the prediction s1.  Learn changes v1 from row to row.
SETUP = ("s2 = 0.37", "s3 = -1.25", "s7 = 0.001", "v1 = bcast(s3)", "v1[0.0] = 0.5",
         "v1[0.5] = -2.0", "v2 = bcast(s2)", "v2[0.75] = 1.5", "m1 = outer(v1, v2)",
         "m1[0.25, 0.5] = 0.8")
PREPARE = ("s4 = mean(v0)", "v3 = v0 + v1", "m3 = outer(v0, v2)", "m3 = m3 + m1")
READOUT = {ops.SCALAR: ("v5 = s5 * v1", "s1 = dot(v5, v2)"), ops.VECTOR: ("s1 = dot(v4, v2)",),
           ops.MATRIX: ("v5 = dot(m4, v2)", "s1 = dot(v5, v1)")}
LEARN = ("s6 = s0 - s1", "s6 = s6 * s7", "v6 = s6 * v0", "v1 = v1 + v6")
INPUTS = {ops.SCALAR: ("s4", "s3"), ops.VECTOR: ("v3", "v1"), ops.MATRIX: ("m3", "m1")}
OUTPUTS = {ops.SCALAR: 5, ops.VECTOR: 4, ops.MATRIX: 4}


def listing(setup, predict, learn):
    return Algorithm.from_text("def Setup():\n%s\ndef Predict():\n%s\ndef Learn():\n%s" % tuple(
        "\n".join("  " + line for line in lines) for lines in (setup, predict, learn)))


def op_program(op):
    """A program whose prediction goes through op (inputs from INPUTS)."""
    spec = ops.OPS[op]
    row = [op, 0, 0, OUTPUTS[spec.output]]
    for column, kind, name in zip((1, 2), spec.inputs, ("first", "second")):
        row[column] = int(INPUTS[kind][column - 1][1:])
    data = [0.25, 0.75, -0.5] if spec.data in (ops.VECTOR_CONST, ops.MATRIX_CONST) \
        else [0.625, 0.0, 0.0]
    head = listing(SETUP, PREPARE, ())
    tail = listing((), READOUT[spec.output], LEARN)
    return Algorithm(np.vstack([head.code, [row], tail.code]),
                     np.vstack([head.data, [data], tail.data]),
                     (len(SETUP), len(PREPARE) + 1 + len(READOUT[spec.output]), len(LEARN)))


def load(source):
    """The exported module, imported from its source."""
    module = types.ModuleType("learner")
    exec(compile(source, "learner.py", "exec"), module.__dict__)
    return module


def both(algorithm, x, y, kind="regression"):
    """The predictions of a Learner and of the exported module, trained alike (for
    classification the probabilities, after checking that the classes are equal)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        learner = Learner(algorithm, kind).fit(x[:20], y[:20])
        exported = load(export_module(algorithm, kind)).EvolvedAlgorithm().fit(x[:20], y[:20])
        if kind == "classification":
            np.testing.assert_array_equal(exported.predict(x[20:]), learner.predict(x[20:]))
            return learner.predict_proba(x[20:]), exported.predict_proba(x[20:])
        return learner.predict(x[20:]), exported.predict(x[20:])


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(30, 4))
    return x, x @ rng.normal(size=4) + 0.1


DETERMINISTIC = [op for op in range(1, ops.NUM_OPS) if not ops.DRAWS_RANDOM[op]]


@pytest.mark.parametrize("op", DETERMINISTIC, ids=lambda op: ops.OPS[op].name)
def test_every_deterministic_op_predicts_as_the_learner(op, data):
    algorithm = op_program(op)
    assert op in algorithm.simplified().code[:, 0]   # the op is live
    want, got = both(algorithm, *data)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert np.isfinite(want).sum() >= 5 or op in (ops.op_code("SCALAR_LOG"),
                                                   ops.op_code("SCALAR_ARCSIN"),
                                                   ops.op_code("SCALAR_ARCCOS"))


@pytest.mark.parametrize("kind", ["regression", "classification"])
def test_reference_algorithms_predict_as_the_learner(kind, data):
    x, y = data
    labels = (y > np.median(y)).astype(float) if kind == "classification" else y
    want, got = both(reference.linear_regressor(0.01), x, labels, kind)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    deterministic = Algorithm.from_text(reference.NEURAL_NETWORK.format(learning_rate=0.01)
        .replace("v2 = gaussian(0.0, 0.1, n_features)", "s5 = 0.1\n  v2 = bcast(s5)\n"
                 "  v2[0.5] = -0.2")
        .replace("m0 = gaussian(0.0, 0.1, (n_features, n_features))", "m0 = outer(v2, v2)\n"
                 "  m0[0.25, 0.75] = 0.3"))
    want, got = both(deterministic, x, labels, kind)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert np.ptp(want) > 0.01


def test_multiclass_modules_predict_as_the_learner():
    """kind="multiclass": the one-hot label in v1, the softmax of v2 in Learn, the class
    the first largest entry of v2, as a Learner on more than two classes; the listing
    keeps what v2 needs (a binary export would drop Predict here)."""
    rng = np.random.default_rng(3)
    y = rng.integers(0, 4, 200).astype(float) * 10.0          # classes 0, 10, 20, 30
    x = 1.5 * np.eye(5)[(y / 10).astype(int)] + rng.normal(size=(200, 5))
    wide = Algorithm.from_text(reference.MULTICLASS_NEURAL_NETWORK.format(learning_rate=0.05)
        .replace("m0 = gaussian(0.0, 0.1, (n_features, n_features))",
                 "s5 = 0.1\n  v9 = bcast(s5)\n  v9[0.5] = -0.3\n  m0 = outer(v9, v9)\n"
                 "  m0[0.25, 0.75] = 0.2")
        .replace("m2 = gaussian(0.0, 0.1, (n_features, n_features))", "m2 = transpose(m0)"))
    accuracies = []
    for algorithm in (reference.softmax_regression(0.05), wide):
        learner = Learner(algorithm, "classification").fit(x[:150], y[:150])
        module = load(export_module(algorithm, "multiclass")).EvolvedAlgorithm()
        module.fit(x[:150], y[:150])
        np.testing.assert_array_equal(module.classes_, [0.0, 10.0, 20.0, 30.0])
        want = learner.predict(x[150:])
        np.testing.assert_array_equal(module.predict(x[150:]), want)
        learner.fit(x[:150], y[:150])        # the same memory for the probabilities
        module.fit(x[:150], y[:150])
        np.testing.assert_allclose(module.predict_proba(x[150:]),
                                   learner.predict_proba(x[150:]), rtol=1e-9, atol=1e-12)
        assert len(set(want)) >= 3                             # not vacuous
        accuracies.append(np.mean(want == y[150:]))
    assert accuracies[0] > 0.6                                 # chance: 0.25
    source = export_module(reference.softmax_regression(), "multiclass")
    assert "v2 = np.dot(m0, v0)" in source
    assert "def _learn(self, v0, s0, v1):" in source


def test_one_line_per_live_instruction_named_as_the_listing():
    source = export_module(Algorithm.from_text(
        "def Setup():\n  s2 = 0.001\n  s3 = 0.5\ndef Predict():\n  s1 = dot(v0, v1)\n"
        "def Learn():\n  s3 = s0 - s1\n  s4 = s3 * s2\n  v2 = s4 * v0\n  v1 = v1 + v2"))
    body = [line.strip() for line in source.split("def _setup")[1].splitlines()]
    for line in ("s2 = np.float64(0.001)  # learning rate", "s1 = np.dot(v0, v1)  # prediction",
                 "s3 = s0 - s1  # reads the label s0", "s4 = s3 * s2", "v2 = s4 * v0",
                 "v1 = v1 + v2"):
        assert body.count(line) == 1
    assert "s3 = np.float64(0.5)" not in source      # dead: simplified away
    imports = [line for line in source.splitlines() if line.startswith(("import", "from"))]
    assert imports == ["import warnings", "import numpy as np"]


def test_random_ops_draw_from_numpy(data):
    x, y = data
    module = load(export_module(reference.neural_network()))
    first = module.EvolvedAlgorithm(seed=1).fit(x, y).predict(x)
    assert np.isfinite(first).all()
    assert np.array_equal(module.EvolvedAlgorithm(seed=1).fit(x, y).predict(x), first)
    assert not np.array_equal(module.EvolvedAlgorithm(seed=2).fit(x, y).predict(x), first)


def test_training_stops_at_a_nan_error_as_the_learner_does(data):
    x, y = data
    blowup = listing(("s2 = 1e10",), ("s1 = dot(v0, v1)",),
                     ("s3 = s0 - s1", "s3 = s3 * s2", "v2 = s3 * v0", "v1 = v1 + v2"))
    want, got = both(blowup, x * 100, y)
    np.testing.assert_array_equal(np.isfinite(got), np.isfinite(want))
    with pytest.warns(UserWarning, match="fit stopped at row"):
        load(export_module(blowup)).EvolvedAlgorithm().fit(x * 100, y)


@pytest.mark.parametrize("call, error, message", [
    (lambda: export_module("s1 = 1"), TypeError, "algorithm must be an azdeap"),
    (lambda: export_module(Algorithm(), "ranking"), ValueError, "kind must be"),
])
def test_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()


RUN_WITHOUT_AZDEAP = """
import sys
for name in ("azdeap", "numba", "deap", "yaml", "scoop"):
    sys.modules[name] = None      # as if not installed: importing them fails
try:
    import azdeap
except ImportError:
    pass
else:
    raise SystemExit("azdeap is importable")
import numpy as np
sys.path.insert(0, ".")
from learner import EvolvedAlgorithm
data = np.load("data.npz")
model = EvolvedAlgorithm().fit(data["x"], data["y"])
np.save("predictions.npy", model.predict(data["test"]))
"""


def test_the_export_command_writes_a_module_that_runs_without_azdeap(tmp_path, data, capsys):
    x, y = data
    algorithm = reference.linear_regressor(0.01)
    (tmp_path / "best.txt").write_text(str(algorithm) + "\n")
    assert main(["export", str(tmp_path / "best.txt"), "-o", str(tmp_path / "learner.py")]) == 0
    assert "learner.py" in capsys.readouterr().out
    np.savez(tmp_path / "data.npz", x=x[:20], y=y[:20], test=x[20:])
    subprocess.run([sys.executable, "-c", RUN_WITHOUT_AZDEAP], cwd=tmp_path, check=True,
                   timeout=60)
    want = Learner(algorithm).fit(x[:20], y[:20]).predict(x[20:])
    np.testing.assert_allclose(np.load(tmp_path / "predictions.npy"), want, rtol=1e-12)


@pytest.mark.parametrize("text, output, message", [
    (None, "learner.py", "best.txt: no such file"),
    ("def Setup():\n  s1 = foo(s2)\n", "learner.py", "best.txt: line 2: unknown instruction"),
    (str(reference.linear_regressor()), "missing/learner.py", "-o "),
])
def test_export_command_errors_are_one_line(tmp_path, capsys, text, output, message):
    if text is not None:
        (tmp_path / "best.txt").write_text(text)
    status = main(["export", str(tmp_path / "best.txt"), "-o", str(tmp_path / output)])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and message in err
    assert not (tmp_path / output).exists()
