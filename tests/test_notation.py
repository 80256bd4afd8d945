import pathlib

import numpy as np
import pytest

from azdeap import ops
from azdeap import reference
from azdeap.algorithm import Algorithm
from azdeap.space import Memory
from azdeap.notation import (NotationError, format_algorithm, format_instruction,
                             parse_algorithm)

README = reference.LINEAR_REGRESSOR.format(learning_rate="0.001")


def random_instruction(rng, op):
    """A valid (code row, data row) for op: unused fields 0, index fractions in [0, 1)."""
    spec = ops.OPS[op]
    code = [op, 0, 0, 0]
    for column, _ in zip((1, 2), spec.inputs):
        code[column] = rng.integers(0, 20)
    if spec.output != ops.NO_KIND:
        code[3] = rng.integers(0, 20)
    data = [0.0, 0.0, 0.0]
    for i in range(ops.N_DATA[op]):
        data[i] = rng.normal() * 10.0 ** rng.integers(-12, 12)
    if spec.data in (ops.VECTOR_CONST, ops.MATRIX_CONST):
        data[0] = rng.random()
    if spec.data == ops.MATRIX_CONST:
        data[1] = rng.random()
    return code, data


def random_algorithm(rng, max_size=8):
    sizes = tuple(int(s) for s in rng.integers(0, max_size, size=3))
    rows = [random_instruction(rng, rng.integers(0, ops.NUM_OPS)) for _ in range(sum(sizes))]
    code = np.array([r[0] for r in rows], np.int32).reshape(-1, 4)
    data = np.array([r[1] for r in rows], np.float64).reshape(-1, 3)
    return Algorithm(code, data, sizes)


def assert_same(parsed, alg):
    code, data, sizes = parsed
    assert code.dtype == np.int32 and code.shape == alg.code.shape
    assert data.dtype == np.float64 and data.shape == alg.data.shape
    assert sizes == alg.sizes
    np.testing.assert_array_equal(code, alg.code)
    # bit-exact (catches -0.0 vs 0.0); NaN payloads need not survive
    nan = np.isnan(alg.data)
    assert np.array_equal(np.isnan(data), nan)
    assert np.array_equal(data[~nan].view(np.int64), alg.data[~nan].view(np.int64))


def single(op_text, component=0):
    bodies = ["", "", ""]
    bodies[component] = "\n  " + op_text
    return "def Setup():%s\ndef Predict():%s\ndef Learn():%s" % tuple(bodies)


@pytest.mark.parametrize("op", range(ops.NUM_OPS))
def test_round_trip_every_op(op):
    rng = np.random.default_rng(op)
    for component in range(3):
        sizes = [0, 0, 0]
        sizes[component] = 1
        code, data = random_instruction(rng, op)
        alg = Algorithm(np.array([code]), np.array([data]), sizes)
        text = format_algorithm(alg)
        assert text.splitlines()[1 + component] == "  " + format_instruction(code, data)
        assert_same(parse_algorithm(text), alg)


def test_round_trip_random_algorithms():
    rng = np.random.default_rng(12345)
    for _ in range(300):
        alg = random_algorithm(rng)
        text = format_algorithm(alg)
        assert_same(parse_algorithm(text), alg)
        assert format_algorithm(Algorithm.from_text(text)) == text


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan"), -0.0, 0.0,
                                   5e-324, 1.7976931348623157e308, 0.1 + 0.2, -1e-300])
def test_round_trip_special_constants(value):
    alg = Algorithm(np.array([[56, 0, 0, 2], [59, 0, 0, 1], [58, 0, 0, 0]]),
                    np.array([[value, 0, 0], [value, value, 0], [0.5, 0.0, value]]), (3, 0, 0))
    assert_same(parse_algorithm(format_algorithm(alg)), alg)


def test_readme_regressor():
    code, data, sizes = parse_algorithm(README)
    assert sizes == (1, 1, 4)
    assert code.tolist() == [[56, 0, 0, 2], [27, 0, 1, 1], [2, 0, 1, 3], [3, 3, 2, 4],
                             [18, 4, 0, 2], [23, 1, 2, 1]]
    assert data[0, 0] == 0.001 and not data[1:].any() and not data[0, 1:].any()
    assert format_algorithm(Algorithm(code, data, sizes)) == README
    assert str(Algorithm.from_text(README)) == README


def test_empty_components():
    alg = Algorithm(sizes=(0, 0, 0))
    assert format_algorithm(alg) == "def Setup():\ndef Predict():\ndef Learn():"
    assert_same(parse_algorithm(format_algorithm(alg)), alg)
    code, data, sizes = parse_algorithm(single("s1 = s2 + s3", 1))
    assert sizes == (0, 1, 0) and code.tolist() == [[1, 2, 3, 1]]


@pytest.mark.parametrize("text, op, in1, in2, out", [
    ("s1 = s2 + s3", 1, 2, 3, 1),
    ("v1 = v2 + v3", 23, 2, 3, 1),
    ("m1 = m2 + m3", 39, 2, 3, 1),
    ("v1 = s2 * v3", 18, 2, 3, 1),
    ("m1 = s2 * m3", 29, 2, 3, 1),
    ("v1 = v2 * v3", 25, 2, 3, 1),
    ("v1 = dot(m0, v2)", 31, 0, 2, 1),
    ("s1 = dot(v0, v1)", 27, 0, 1, 1),
    ("s1 = norm(v2)", 21, 2, 0, 1),
    ("s1 = norm(m2)", 34, 2, 0, 1),
    ("v1 = norm(m2, axis=1)", 36, 2, 0, 1),
    ("m1 = bcast(v2, axis=0)", 32, 2, 0, 1),
    ("v3 = 1 / v2", 20, 2, 0, 3),
    ("NoOp()", 0, 0, 0, 0),
])
def test_kinds_select_op(text, op, in1, in2, out):
    code, _, _ = parse_algorithm(single(text))
    assert code.tolist() == [[op, in1, in2, out]]


@pytest.mark.parametrize("relaxed, full", [
    ("v12= v1 + v2", "v12 = v1 + v2"),
    ("s1=s2/s3", "s1 = s2 / s3"),
    ("  s1   =   dot( v0 ,v1 )  ", "s1 = dot(v0, v1)"),
    ("m2 = heaviside(m2)", "m2 = heaviside(m2, 1.0)"),
    ("s2 = heaviside(s3)", "s2 = heaviside(s3, 1.0)"),
    ("v4 = uniform(0.6, 0.2)", "v4 = uniform(0.6, 0.2, n_features)"),
    ("m1 = uniform(0.6, 0.2)", "m1 = uniform(0.6, 0.2, (n_features, n_features))"),
    ("v4 = gaussian(0.2, 0.6)", "v4 = gaussian(0.2, 0.6, n_features)"),
    ("m1 = gaussian(0.2, 0.6)", "m1 = gaussian(0.2, 0.6, (n_features, n_features))"),
    ("s2 = 2e-3", "s2 = 0.002"),
    ("s2 = -.5", "s2 = -0.5"),
    ("s2 = 1E+2", "s2 = 100.0"),
    ("v1[.25]=-5e-1", "v1[0.25] = -0.5"),
    ("m0[0.25,0.75] = 3", "m0[0.25, 0.75] = 3.0"),
    ("v7 = max(v1, v15)", "v7 = maximum(v1, v15)"),
    ("s1 = min(s0, s1)", "s1 = minimum(s0, s1)"),
    ("m2 = max(m0,m1)", "m2 = maximum(m0, m1)"),
    ("s1 =\n        uniform(-0.1, -0.2)", "s1 = uniform(-0.1, -0.2)"),
    ("v9 =  # drawn\n\n  uniform(2e-3, 0.7)", "v9 = uniform(0.002, 0.7, n_features)"),
])
def test_relaxed_forms(relaxed, full):
    a, b = parse_algorithm(single(relaxed)), parse_algorithm(single(full))
    assert a[2] == b[2] == (1, 0, 0)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    # the printer keeps writing the full form
    assert format_algorithm(Algorithm(*a)).splitlines()[1] == "  " + full


def test_comments_and_blank_lines():
    text = "# a comment\n\n" + README.replace("s2 = 0.001", "s2 = 0.001  # lr") + "\n\n"
    code, data, sizes = parse_algorithm(text)
    ref = parse_algorithm(README)
    assert sizes == ref[2]
    np.testing.assert_array_equal(code, ref[0])
    np.testing.assert_array_equal(data, ref[1])


@pytest.mark.parametrize("text, line, words", [
    (README.replace("s4 = s3 * s2", "v1 = foo(v2)"), 7, "unknown instruction 'v1 = foo(v2)'"),
    ("s1 = s2 + s3\n" + README, 1, "before 'def Setup():'"),
    ("def Setup():\ndef Predict():\n  s1 = s2 + s3", 3, "missing 'def Learn():'"),
    ("def Setup():\ndef Learn():\ndef Predict():", 2, "'def Predict():'"),
    (README + "\ndef Setup():", 10, "after 'def Learn():'"),
    (README.replace("s3 = s0 - s1", "x9 = s0 - s1"), 6, "address 'x9' is not s/v/m<number>"),
    (README.replace("s3 = s0 - s1", "s3 = v0 - s1"), 6, "'s3 = v0 - s1'"),
    (README.replace("s2 = 0.001", "s2 = 0.0.1"), 2, "unknown instruction"),
    (single("v1[1.0] = 2.0"), 2, "index fraction"),
    (single("v1[-0.5] = 2.0"), 2, "index fraction"),
    (single("m1[0.5, 1.5] = 2.0"), 2, "index fraction"),
    ("", 1, "missing 'def Setup():'"),
    (single("s1 = maxi(s2, s3)"), 2, "unknown instruction 's1 = maxi(s2, s3)'"),
    (single("s1 =\n  s2 ++ s3"), 2, "unknown instruction 's1 = s2 ++ s3'"),
    ("def Setup():\n  s1 =\ndef Predict():\ndef Learn():", 2, "'s1 =' continues on no"),
    (README + "\n  s3 =", 10, "'s3 =' continues on no instruction line"),
])
def test_errors(text, line, words):
    with pytest.raises(NotationError) as info:
        parse_algorithm(text)
    message = str(info.value)
    assert message.startswith("line %d: " % line) and "\n" not in message
    assert words in message
    assert info.value.line == line
    assert isinstance(info.value, ValueError)


def test_memory_bounds(demo_memory):
    code = parse_algorithm(single("v2 = dot(m0, v1)"), memory=demo_memory)[0]
    assert code.tolist() == [[31, 0, 1, 2]]
    with pytest.raises(NotationError,
                       match=r"^line 2: address v7 out of range: memory has 3 vectors$"):
        parse_algorithm(single("v2 = dot(m0, v7)"), memory=demo_memory)
    with pytest.raises(NotationError, match=r"^line 2: address s4 out of range"):
        parse_algorithm(single("s4 = 0.5"), memory=demo_memory)
    with pytest.raises(NotationError,
                       match=r"^line 10: address m1 out of range: memory has 1 matrix$"):
        parse_algorithm(README + "\n  m1 = transpose(m0)", memory=Memory(5, 3, 1))
    # README uses s4, so it needs 5 scalars
    with pytest.raises(NotationError, match=r"^line 7: address s4"):
        parse_algorithm(README, memory=demo_memory)
    assert parse_algorithm(README, memory=Memory(5, 3, 1))[2] == (1, 1, 4)


def test_format_instruction_forms():
    assert format_instruction([56, 0, 0, 2], [0.001, 0, 0]) == "s2 = 0.001"
    assert format_instruction([58, 0, 0, 1], [0.25, 0.75, -0.5]) == "m1[0.25, 0.75] = -0.5"
    assert format_instruction([31, 0, 2, 1], [0, 0, 0]) == "v1 = dot(m0, v2)"
    assert format_instruction([18, 3, 0, 2], [0, 0, 0]) == "v2 = s3 * v0"
    assert format_instruction([61, 0, 0, 0], [-1.0, 2e-3, 0]) == \
        "m0 = uniform(-1.0, 0.002, (n_features, n_features))"
    assert format_instruction(np.array([0, 0, 0, 0], np.int32), np.zeros(3)) == "NoOp()"


@pytest.mark.parametrize("name, sizes", [("figure_s1a.txt", (4, 6, 16)),
                                         ("figure_s1b.txt", (0, 5, 12)),
                                         ("figure_s2c.txt", (7, 19, 26))])
def test_paper_listings_parse_as_printed(name, sizes):
    """The paper's supplementary listings (tests/data), pasted as printed: wrapped lines,
    max/min, v12= and 2e-3; printing and parsing gives the same algorithm back."""
    alg = Algorithm.from_text((pathlib.Path(__file__).parent / "data" / name).read_text())
    assert alg.sizes == sizes
    assert Algorithm.from_text(str(alg)) == alg
