"""Algorithm.simplified (docs/design.md, "Live code"): the paper's Figure S1a simplifies
to its Figure S1b, random programs predict the same simplified, and the printer marks
the roles it recognises."""
import pathlib
import warnings

import numpy as np
import pytest

from azdeap import ops, reference
from azdeap.algorithm import Algorithm, Individual
from azdeap.learner import Learner
from azdeap.notation import format_algorithm
from test_liveness import MEMORY, random_programs

DATA = pathlib.Path(__file__).resolve().parent / "data"


def paper(name):
    return Algorithm.from_text((DATA / name).read_text())


def test_figure_s1a_simplifies_to_figure_s1b():
    raw, simplified = paper("figure_s1a.txt"), paper("figure_s1b.txt")
    assert raw.sizes == (4, 6, 16) and simplified.sizes == (0, 5, 12)
    assert raw.simplified() == simplified
    # exact draws keep the dead random ops of Setup: v9's draws come after theirs
    exact = raw.simplified(exact_draws=True)
    assert exact.sizes == (4, 5, 12)
    assert Algorithm(exact.code[4:], exact.data[4:], (0, 5, 12)) == simplified


def test_simplified_keeps_the_type_and_is_idempotent():
    full = Individual.from_text("def Setup():\n  s2 = 0.5\n  s3 = 0.25\ndef Predict():\n"
                                "  s1 = s2 * s2\n  NoOp()\ndef Learn():\n  s3 = s0 + s1")
    full.fitness.values = (0.5,)
    simple = full.simplified()
    assert type(simple) is Individual and simple.fitness.values == (0.5,)
    assert str(simple) == "def Setup():\n  s2 = 0.5\ndef Predict():\n  s1 = s2 * s2\ndef Learn():"
    assert simple.simplified() == simple and full.sizes == (2, 2, 1)


def predictions(algorithm, x, y, seed=4):
    learner = Learner(algorithm, memory=MEMORY, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return learner.fit(x[:30], y[:30]).predict(x[30:])


def test_random_programs_predict_the_same_simplified():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3))
    y = x @ rng.normal(size=3)
    compared = drew = 0
    for algorithm in random_programs(seed=21, count=200):
        full = predictions(algorithm, x, y)
        exact = algorithm.simplified(exact_draws=True)
        assert predictions(exact, x, y).tobytes() == full.tobytes()
        simple = algorithm.simplified()
        if not ops.DRAWS_RANDOM[simple.code[:, 0]].any():
            assert predictions(simple, x, y).tobytes() == full.tobytes()
            compared += len(simple) < len(algorithm)
        elif simple != exact:   # fewer draws: the live random ops get other numbers
            drew += 1
    assert compared > 100 and drew > 5   # not vacuous


def test_roles_are_marked_where_clear():
    lines = format_algorithm(reference.neural_network(), roles=True).splitlines()
    assert lines[3] == "  s3 = 0.01  # learning rate"
    assert lines[9] == "  s1 = s1 + s2  # prediction"
    assert lines[8] == "  s1 = dot(v4, v2)"    # not the last write of s1
    assert lines[11] == "  s4 = s0 - s1  # reads the label s0"
    text = format_algorithm(reference.linear_regressor(), roles=True)
    assert "s2 = 0.001  # learning rate" in text
    assert Algorithm.from_text(text) == reference.linear_regressor()   # comments parse
    assert format_algorithm(reference.linear_regressor()) == str(reference.linear_regressor())


@pytest.mark.parametrize("learn", [
    "s4 = s3 * s2; s5 = s3 * s6",     # two constants scale: which is the rate is unclear
    "s4 = s3 * s2; s2 = s2 + s4",     # s2 changes: not a constant
])
def test_no_learning_rate_when_unclear(learn):
    text = ("def Setup():\n  s2 = 0.001\n  s6 = 0.5\ndef Predict():\n  s1 = dot(v0, v1)\n"
            "def Learn():\n" + "".join("  %s\n" % line.strip() for line in learn.split(";")))
    assert "learning rate" not in format_algorithm(Algorithm.from_text(text), roles=True)
