"""The numba interpreter (``interpreter.run``) against plain numpy, op by op.

Each op runs as the only Predict instruction of an algorithm on random,
preloaded memory (``fresh_memory=False``, no training, one validation example),
so the kernel loads the example into v0, sets s0 = 0, runs the instruction once
and leaves the memory for us to compare with a per-task numpy reference.
"""
import ast
import inspect

import numpy as np
import pytest

from azdeap import interpreter, ops
from azdeap.programs import Programs
from azdeap.space import Memory
from azdeap.tasks import TaskBatch

N_SCALARS, N_VECTORS, N_MATRICES = 5, 4, 3
T = 3
RANDOM_OPS = tuple(range(59, 65))
DETERMINISTIC_OPS = tuple(range(1, 59))
# (in1, in2, out): distinct; reading s0/v0; out == in1; out == in2; all equal; in1 == in2.
ADDRESS_SETS = ((1, 2, 0), (0, 1, 2), (2, 1, 2), (1, 2, 2), (1, 1, 1), (2, 2, 1))


# -- running the kernel --------------------------------------------------------------

def random_memory(rng, F, t=T, scale=2.0):
    """s (n_s, T), v (n_v, F, T), m (n_m, F, F, T), valid_x (1, F, T): uniform(-scale, scale)."""
    s = rng.uniform(-scale, scale, (N_SCALARS, t))
    v = rng.uniform(-scale, scale, (N_VECTORS, F, t))
    m = rng.uniform(-scale, scale, (N_MATRICES, F, F, t))
    valid_x = rng.uniform(-scale, scale, (1, F, t))
    return s, v, m, valid_x


def programs_of(code, data, sizes):
    """Programs of the algorithms of ``sizes`` (one row of 3 per algorithm) stacked in
    code/data."""
    sizes = np.array(sizes, np.int64).reshape(-1, 3)
    offsets = np.zeros(len(sizes), np.int64)
    np.cumsum(sizes.sum(axis=1)[:-1], out=offsets[1:])
    return Programs(np.ascontiguousarray(code, np.int32),
                    np.ascontiguousarray(data, np.float64), offsets, sizes)


def task_batch(train_x, train_y, valid_x, valid_y, classification=None):
    """The TaskBatch of stacked examples: train_x (N, F, T), train_y (N, T)..."""
    flags = np.zeros(train_y.shape[1], bool) if classification is None else classification
    return TaskBatch.of_arrays(*(np.ascontiguousarray(a, np.float64)
                                 for a in (train_x, train_y, valid_x, valid_y)), flags)


def kernel(code, data, sizes, train_x, train_y, valid_x, valid_y, S, V, M, *,
           rng_state=None, **options):
    """``interpreter.run`` of the algorithms of ``sizes`` stacked in code/data, with the
    memory given as flat S, V, M arrays (updated in place); returns the RunResult."""
    n_tasks = train_y.shape[1]
    F = train_x.shape[1]
    memory = Memory(len(S) // n_tasks, len(V) // (F * n_tasks), len(M) // (F * F * n_tasks))
    cells = np.concatenate((S, V, M))  # the kernel's flat memory; copied back below
    result = interpreter.run(
        programs_of(code, data, sizes),
        task_batch(train_x, train_y, valid_x, valid_y, options.pop("classification", None)),
        memory=memory, rng_state=np.array([0], np.uint64) if rng_state is None else rng_state,
        cells=cells, **options)
    S[:], V[:], M[:] = np.split(cells, [len(S), len(S) + len(V)])
    return result


def instruction(op, in1=0, in2=0, out=0, d=(0.0, 0.0, 0.0)):
    return [op, in1, in2, out], list(d)


def run_program(instructions, s, v, m, valid_x, sizes=None, rng_state=None,
                valid_y=None, classification=None):
    """Run one algorithm (default: all instructions in Predict) with n_train=0, n_valid=1
    on a copy of the memory; returns (s, v, m after, status, fitness (T,))."""
    n_tasks = s.shape[1]
    F = v.shape[1]
    code = np.array([c for c, _ in instructions], np.int32).reshape(-1, 4)
    data = np.array([d for _, d in instructions], np.float64).reshape(-1, 3)
    sizes = (0, len(instructions), 0) if sizes is None else sizes
    S, V, M = s.copy().ravel(), v.copy().ravel(), m.copy().ravel()
    out = kernel(code, data, sizes, np.zeros((0, F, n_tasks)), np.zeros((0, n_tasks)),
                 np.ascontiguousarray(valid_x),
                 np.zeros((1, n_tasks)) if valid_y is None else valid_y, S, V, M,
                 classification=classification, n_train=0, n_valid=1, max_abs_error=np.inf,
                 fresh_memory=False,
                 rng_state=np.array([7], np.uint64) if rng_state is None else rng_state)
    return (S.reshape(s.shape), V.reshape(v.shape), M.reshape(m.shape),
            int(out.status[0]), out.fitness[0])


# -- the numpy reference -------------------------------------------------------------

def _std(x, axis=None):
    mean = x.mean(axis=axis)
    return np.sqrt((x * x).mean(axis=axis) - mean * mean)


def _min(a, b):  # std::min(a, b) = b < a ? b : a
    return np.where(b < a, b, a)


def _max(a, b):  # std::max(a, b) = a < b ? b : a
    return np.where(a < b, b, a)


def reference_task(op, a, b, o, d, s, v, m):
    """Apply one instruction to the memory of one task (s (n_s,), v (n_v, F), m (n_m, F, F))."""
    F = v.shape[1]
    S = lambda x: np.float64(x)  # noqa: E731
    scalar_unary = {5: np.abs, 7: np.sin, 8: np.cos, 9: np.tan, 10: np.arcsin,
                    11: np.arccos, 12: np.arctan, 13: np.exp, 14: np.log,
                    6: lambda x: S(1.0) / x, 15: lambda x: S(1.0 if x >= 0.0 else 0.0)}
    binary = {1: np.add, 2: np.subtract, 3: np.multiply, 4: np.divide,
              23: np.add, 24: np.subtract, 25: np.multiply, 26: np.divide,
              39: np.add, 40: np.subtract, 41: np.multiply, 42: np.divide,
              44: _min, 45: _min, 46: _min, 47: _max, 48: _max, 49: _max}
    with np.errstate(all="ignore"):
        if op == 0:
            return
        if op in scalar_unary:
            s[o] = scalar_unary[op](s[a])
        elif op in (1, 2, 3, 4, 44, 47):
            s[o] = binary[op](s[a], s[b])
        elif op in (23, 24, 25, 26, 45, 48):
            v[o] = binary[op](v[a], v[b])
        elif op in (39, 40, 41, 42, 46, 49):
            m[o] = binary[op](m[a], m[b])
        elif op == 16:
            v[o] = (v[a] > 0.0).astype(float)
        elif op == 17:
            m[o] = (m[a] > 0.0).astype(float)
        elif op == 18:
            v[o] = s[a] * v[b]
        elif op == 19:
            v[o] = np.full(F, s[a])
        elif op == 20:
            v[o] = 1.0 / v[a]
        elif op == 21:
            s[o] = np.sqrt(np.sum(v[a] ** 2))
        elif op == 22:
            v[o] = np.abs(v[a])
        elif op == 27:
            s[o] = np.dot(v[a], v[b])
        elif op == 28:
            m[o] = np.outer(v[a], v[b])
        elif op == 29:
            m[o] = s[a] * m[b]
        elif op == 30:
            m[o] = 1.0 / m[a]
        elif op == 31:
            v[o] = m[a] @ v[b]
        elif op == 32:
            m[o] = np.array([[v[a][i] for _ in range(F)] for i in range(F)])
        elif op == 33:
            m[o] = np.array([[v[a][j] for j in range(F)] for _ in range(F)])
        elif op == 34:
            s[o] = np.sqrt(np.sum(m[a] ** 2))
        elif op == 35:
            v[o] = np.array([np.sqrt(np.sum(m[a][:, j] ** 2)) for j in range(F)])
        elif op == 36:
            v[o] = np.array([np.sqrt(np.sum(m[a][i, :] ** 2)) for i in range(F)])
        elif op == 37:
            m[o] = m[a].T.copy()
        elif op == 38:
            m[o] = np.abs(m[a])
        elif op == 43:
            m[o] = m[a] @ m[b]
        elif op == 50:
            s[o] = v[a].mean()
        elif op == 51:
            s[o] = m[a].mean()
        elif op == 52:
            v[o] = m[a].mean(axis=1)
        elif op == 53:
            v[o] = _std(m[a], axis=1)
        elif op == 54:
            s[o] = _std(v[a])
        elif op == 55:
            s[o] = _std(m[a])
        elif op == 56:
            s[o] = d[0]
        elif op == 57:
            v[o][int(F * d[0])] = d[1]
        elif op == 58:
            m[o][int(F * d[0]), int(F * d[1])] = d[2]
        else:
            raise AssertionError("no reference for op %d" % op)


def reference(instructions, s, v, m, valid_x):
    """Expected memory after running the instructions as Predict on one validation example."""
    s, v, m = s.copy(), v.copy(), m.copy()
    s[0] = 0.0
    v[0] = valid_x[0]
    for t in range(s.shape[1]):
        st, vt, mt = s[:, t].copy(), v[:, :, t].copy(), m[:, :, :, t].copy()
        for (op, a, b, o), d in instructions:
            reference_task(op, a, b, o, d, st, vt, mt)
        s[:, t], v[:, :, t], m[:, :, :, t] = st, vt, mt
    return s, v, m


def assert_memory_equal(got, expected):
    for name, g, e in zip("svm", got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-11, atol=1e-12, equal_nan=True,
                                   err_msg="%s memory differs" % name)


def check(instructions, s, v, m, valid_x):
    """Run the program and compare all memory with the reference; returns memory after."""
    if not isinstance(instructions, list):
        instructions = [instructions]
    *got, status, _ = run_program(instructions, s, v, m, valid_x)
    assert status == interpreter.OK
    assert_memory_equal(got, reference(instructions, s, v, m, valid_x))
    return got


def random_data(rng, op):
    if op == 56:
        return (rng.normal(), 0.0, 0.0)
    if op == 57:
        return (rng.uniform(0, 1), rng.normal(), 0.0)
    if op == 58:
        return (rng.uniform(0, 1), rng.uniform(0, 1), rng.normal())
    return (0.0, 0.0, 0.0)


# -- every op ------------------------------------------------------------------------

@pytest.mark.parametrize("n_tasks", [1, T])  # the one-task kernels and the general one
@pytest.mark.parametrize("F", [1, 4, 5])
@pytest.mark.parametrize("op", DETERMINISTIC_OPS)
def test_op_matches_numpy(op, F, n_tasks):
    rng = np.random.default_rng(1000 * op + F)
    for in1, in2, out in ADDRESS_SETS:
        s, v, m, valid_x = random_memory(rng, F, t=n_tasks)
        check(instruction(op, in1, in2, out, random_data(rng, op)), s, v, m, valid_x)


@pytest.mark.parametrize("F", [1, 4, 5])
def test_no_op_changes_only_the_example_slots(F):
    rng = np.random.default_rng(F)
    s, v, m, valid_x = random_memory(rng, F)
    s2, v2, m2 = check(instruction(0, 3, 2, 1, (0.5, 0.5, 0.5)), s, v, m, valid_x)
    np.testing.assert_array_equal(s2[1:], s[1:])
    np.testing.assert_array_equal(v2[1:], v[1:])
    np.testing.assert_array_equal(m2, m)
    np.testing.assert_array_equal(s2[0], 0.0)
    np.testing.assert_array_equal(v2[0], valid_x[0])


def test_reference_is_not_vacuous():
    """The reference itself must tell ops apart (a broken helper could pass anything)."""
    rng = np.random.default_rng(0)
    s, v, m, valid_x = random_memory(rng, 4)
    *got, _, _ = run_program([instruction(1, 1, 2, 3)], s, v, m, valid_x)
    with pytest.raises(AssertionError):
        assert_memory_equal(got, reference([instruction(2, 1, 2, 3)], s, v, m, valid_x))
    np.testing.assert_allclose(got[0][3], s[1] + s[2])


def test_sequence_of_ops_per_task():
    """A longer program mixing kinds and tasks with different values."""
    rng = np.random.default_rng(5)
    program = [instruction(43, 1, 2, 0), instruction(31, 0, 0, 2), instruction(27, 2, 0, 3),
               instruction(18, 3, 2, 1), instruction(28, 1, 2, 1), instruction(55, 1, 0, 4),
               instruction(57, 0, 0, 3, (0.5, -2.0, 0.0)), instruction(53, 0, 0, 1)]
    for F in (1, 4, 5):
        s, v, m, valid_x = random_memory(rng, F, t=4)
        check(program, s, v, m, valid_x)


# -- aliasing ------------------------------------------------------------------------

@pytest.mark.parametrize("F", [1, 4, 5])
def test_aliasing(F):
    rng = np.random.default_rng(10 + F)
    cases = [instruction(43, 1, 2, 1), instruction(43, 1, 2, 2), instruction(43, 1, 1, 1),
             instruction(31, 1, 2, 2), instruction(31, 0, 3, 3), instruction(37, 2, 0, 2),
             instruction(28, 2, 2, 0), instruction(28, 3, 3, 1), instruction(18, 2, 2, 2),
             instruction(29, 2, 1, 1)]
    for case in cases:
        s, v, m, valid_x = random_memory(rng, F)
        check(case, s, v, m, valid_x)


def test_aliasing_values_explicitly():
    s, v, m, valid_x = random_memory(np.random.default_rng(3), 3, t=2)
    a, b, x = m[1].copy(), m[2].copy(), v[2].copy()
    s2, v2, m2, _, _ = run_program([instruction(43, 1, 2, 1)], s, v, m, valid_x)
    np.testing.assert_allclose(m2[1], np.einsum("ikt,kjt->ijt", a, b), rtol=1e-12)
    s2, v2, m2, _, _ = run_program([instruction(31, 1, 2, 2)], s, v, m, valid_x)
    np.testing.assert_allclose(v2[2], np.einsum("ijt,jt->it", a, x), rtol=1e-12)
    s2, v2, m2, _, _ = run_program([instruction(37, 1, 0, 1)], s, v, m, valid_x)
    np.testing.assert_array_equal(m2[1], a.transpose(1, 0, 2))
    s2, v2, m2, _, _ = run_program([instruction(28, 2, 2, 0)], s, v, m, valid_x)
    np.testing.assert_allclose(m2[0], np.einsum("it,jt->ijt", x, x), rtol=1e-12)


# -- special values ------------------------------------------------------------------

def test_heaviside_at_zero():
    rng = np.random.default_rng(4)
    s, v, m, valid_x = random_memory(rng, 4)
    s[1] = [0.0, -0.0, -1e-300]
    v[1][:, 0] = [0.0, -0.0, 1e-300, -1e-300]
    m[1][:, :, 1] = 0.0
    m[1][0, 0, 1] = 1e-300
    s2, _, _ = check(instruction(15, 1, 0, 2), s, v, m, valid_x)
    np.testing.assert_array_equal(s2[2], [1.0, 1.0, 0.0])
    _, v2, _ = check(instruction(16, 1, 0, 2), s, v, m, valid_x)
    np.testing.assert_array_equal(v2[2][:, 0], [0.0, 0.0, 1.0, 0.0])
    _, _, m2 = check(instruction(17, 1, 0, 2), s, v, m, valid_x)
    expected = np.zeros((4, 4))
    expected[0, 0] = 1.0
    np.testing.assert_array_equal(m2[2][:, :, 1], expected)


def test_min_max_nan_order():
    nan = np.nan
    s, v, m, valid_x = random_memory(np.random.default_rng(6), 2)
    s[1], s[2] = [1.0, nan, nan], [nan, 1.0, nan]
    v[1][:, 0], v[2][:, 0] = [1.0, nan], [nan, 1.0]
    m[1][0, :, 0], m[2][0, :, 0] = [1.0, nan], [nan, 1.0]
    for scalar_op, vector_op, matrix_op in ((44, 45, 46), (47, 48, 49)):
        s2, _, _ = check(instruction(scalar_op, 1, 2, 3), s, v, m, valid_x)
        np.testing.assert_array_equal(s2[3], [1.0, nan, nan])  # op(a, NaN) = a
        _, v2, _ = check(instruction(vector_op, 1, 2, 3), s, v, m, valid_x)
        np.testing.assert_array_equal(v2[3][:, 0], [1.0, nan])
        _, _, m2 = check(instruction(matrix_op, 1, 2, 0), s, v, m, valid_x)
        np.testing.assert_array_equal(m2[0][0, :, 0], [1.0, nan])
    s[1], s[2] = [1.0, 2.0, -0.0], [2.0, 1.0, 0.0]
    assert check(instruction(44, 1, 2, 3), s, v, m, valid_x)[0][3].tolist() == [1.0, 1.0, -0.0]
    assert check(instruction(47, 1, 2, 3), s, v, m, valid_x)[0][3].tolist() == [2.0, 2.0, -0.0]


def test_ieee_results_without_exceptions():
    s, v, m, valid_x = random_memory(np.random.default_rng(7), 2)
    s[1], s[2] = [1.0, -1.0, 0.0], [0.0, 0.0, 0.0]
    v[1][:, 0], v[2][:, 0] = [1.0, -1.0], [0.0, 0.0]
    m[1][0, :, 0], m[2][0, :, 0] = [1.0, 0.0], [0.0, 0.0]
    assert check(instruction(4, 1, 2, 3), s, v, m, valid_x)[0][3][:2].tolist() == [np.inf, -np.inf]
    assert np.isnan(check(instruction(4, 1, 2, 3), s, v, m, valid_x)[0][3][2])
    assert check(instruction(6, 2, 0, 3), s, v, m, valid_x)[0][3].tolist() == [np.inf] * 3
    assert check(instruction(26, 1, 2, 3), s, v, m, valid_x)[1][3][:, 0].tolist() == [np.inf, -np.inf]
    assert check(instruction(20, 2, 0, 3), s, v, m, valid_x)[1][3][:, 0].tolist() == [np.inf] * 2
    m_div = check(instruction(42, 1, 2, 0), s, v, m, valid_x)[2][0][0, :, 0]
    assert m_div[0] == np.inf and np.isnan(m_div[1])
    assert check(instruction(30, 2, 0, 0), s, v, m, valid_x)[2][0][0, :, 0].tolist() == [np.inf] * 2
    s[1] = [-1.0, 0.0, 2.0]
    logs = check(instruction(14, 1, 0, 3), s, v, m, valid_x)[0][3]
    assert np.isnan(logs[0]) and logs[1] == -np.inf and logs[2] == pytest.approx(np.log(2.0))
    assert np.isnan(check(instruction(10, 1, 0, 3), s, v, m, valid_x)[0][3][2])  # arcsin(2)
    s[1] = [1000.0, -1000.0, 0.0]
    assert check(instruction(13, 1, 0, 3), s, v, m, valid_x)[0][3].tolist() == [np.inf, 0.0, 1.0]


def test_std_and_norms_known_values():
    F = 4
    s, v, m, valid_x = random_memory(np.random.default_rng(8), F, t=1)
    v[1][:, 0] = [1.0, 2.0, 3.0, 4.0]
    m[1][:, :, 0] = np.arange(16.0).reshape(4, 4)
    got = check([instruction(54, 1, 0, 1), instruction(21, 1, 0, 2), instruction(50, 1, 0, 3),
                 instruction(55, 1, 0, 4)], s, v, m, valid_x)[0]
    assert got[1, 0] == pytest.approx(np.sqrt(1.25))  # population std of 1..4
    assert got[2, 0] == pytest.approx(np.sqrt(30.0))
    assert got[3, 0] == 2.5
    assert got[4, 0] == pytest.approx(np.arange(16.0).std())
    rows = np.arange(16.0).reshape(4, 4)
    v2 = check([instruction(35, 1, 0, 1), instruction(36, 1, 0, 2), instruction(52, 1, 0, 3)],
               s, v, m, valid_x)[1]
    np.testing.assert_allclose(v2[1][:, 0], np.sqrt((rows ** 2).sum(axis=0)))  # column norms
    np.testing.assert_allclose(v2[2][:, 0], np.sqrt((rows ** 2).sum(axis=1)))  # row norms
    np.testing.assert_allclose(v2[3][:, 0], [1.5, 5.5, 9.5, 13.5])             # row means
    m[1][:, :, 0] = [[1, 1, 1, 1], [0, 2, 0, 2], [1, 2, 3, 4], [5, 5, 5, 9]]
    v3 = check(instruction(53, 1, 0, 2), s, v, m, valid_x)[1]
    np.testing.assert_allclose(v3[2][:, 0], [0.0, 1.0, np.sqrt(1.25), np.sqrt(3.0)], atol=1e-7)
    m_norm = check(instruction(34, 1, 0, 1), s, v, m, valid_x)[0]
    assert m_norm[1, 0] == pytest.approx(np.sqrt(np.sum(m[1][:, :, 0] ** 2)))


def test_broadcast_orientation():
    s, v, m, valid_x = random_memory(np.random.default_rng(9), 3, t=1)
    v[1][:, 0] = [1.0, 2.0, 3.0]
    m2 = check(instruction(32, 1, 0, 0), s, v, m, valid_x)[2]
    np.testing.assert_array_equal(m2[0][:, :, 0], [[1, 1, 1], [2, 2, 2], [3, 3, 3]])  # m[i][j] = v[i]
    m2 = check(instruction(33, 1, 0, 0), s, v, m, valid_x)[2]
    np.testing.assert_array_equal(m2[0][:, :, 0], [[1, 2, 3], [1, 2, 3], [1, 2, 3]])  # m[i][j] = v[j]
    v[1][:, 0] = [1.0, 0.0, 0.0]
    v[2][:, 0] = [0.0, 2.0, 0.0]
    m2 = check(instruction(28, 1, 2, 0), s, v, m, valid_x)[2]
    assert m2[0][0, 1, 0] == 2.0 and m2[0][1, 0, 0] == 0.0  # outer: m[i][j] = a[i] * b[j]
    m[1][:, :, 0] = np.arange(9.0).reshape(3, 3)
    v2 = check(instruction(31, 1, 1, 3), s, v, m, valid_x)[1]
    np.testing.assert_array_equal(v2[3][:, 0], [0.0, 3.0, 6.0])  # M @ v, not v @ M


@pytest.mark.parametrize("F", [1, 4, 5])
def test_const_sets(F):
    rng = np.random.default_rng(20 + F)
    for f0 in (0.0, 0.2, 0.25, 0.5, 0.6, 0.999, np.nextafter(1.0, 0.0)):
        for f1 in (0.0, 0.4, 0.75, 0.999):
            s, v, m, valid_x = random_memory(rng, F)
            _, v2, _ = check(instruction(57, 0, 0, 2, (f0, -7.5, 0.0)), s, v, m, valid_x)
            i = int(F * f0)
            np.testing.assert_array_equal(v2[2][i], -7.5)
            np.testing.assert_array_equal(np.delete(v2[2], i, axis=0), np.delete(v[2], i, axis=0))
            _, _, m2 = check(instruction(58, 0, 0, 1, (f0, f1, 3.25)), s, v, m, valid_x)
            j = int(F * f1)
            np.testing.assert_array_equal(m2[1][i, j], 3.25)
            changed = np.zeros((F, F), bool)
            changed[i, j] = True
            np.testing.assert_array_equal(m2[1][~changed], m[1][~changed])
    s, v, m, valid_x = random_memory(rng, F)
    s2 = check(instruction(56, 0, 0, 4, (-0.125, 0.0, 0.0)), s, v, m, valid_x)[0]
    np.testing.assert_array_equal(s2[4], -0.125)


# -- random ops ----------------------------------------------------------------------

def run_random(op, low, high, F=4, t=T, seed=7, out=1):
    rng = np.random.default_rng(op)
    s, v, m, valid_x = random_memory(rng, F, t=t)
    state = np.array([seed], np.uint64)
    s2, v2, m2, status, _ = run_program([instruction(op, 0, 0, out, (low, high, 0.0))],
                                        s, v, m, valid_x, rng_state=state)
    assert status == interpreter.OK
    kind = (op - 59) % 3
    before, after = (s, v, m)[kind], (s2, v2, m2)[kind]
    # Every other cell is as the reference of a no-op says.
    expect_s, expect_v, expect_m = reference([], s, v, m, valid_x)
    for k, (got, exp) in enumerate(zip((s2, v2, m2), (expect_s, expect_v, expect_m))):
        if k == kind:
            got, exp = np.delete(got, out, axis=0), np.delete(exp, out, axis=0)
        np.testing.assert_array_equal(got, exp)
    assert not np.array_equal(after[out], before[out])
    return after[out], state


@pytest.mark.parametrize("op", [59, 60, 61])
@pytest.mark.parametrize("low, high", [(-0.5, 0.25), (0.6, 0.2), (3.0, 3.001)])
def test_uniform_sets(op, low, high):
    F, t = (64, 64) if op == 60 else ((64, 2) if op == 61 else (1, 4096))
    values, _ = run_random(op, low, high, F=F, t=t)
    lo, hi = min(low, high), max(low, high)
    assert values.size >= 4096
    assert np.all(values > lo) and np.all(values < hi)
    # Spread over the whole interval, independently per cell and per task.
    u = (values.ravel() - lo) / (hi - lo)
    assert abs(u.mean() - 0.5) < 0.03 and abs(u.std() - np.sqrt(1 / 12)) < 0.02
    assert u.min() < 0.01 and u.max() > 0.99
    assert len(np.unique(values)) > 0.99 * values.size


@pytest.mark.parametrize("op", [62, 63, 64])
def test_gaussian_sets(op):
    F, t = (64, 64) if op == 63 else ((64, 2) if op == 64 else (1, 4096))
    values, _ = run_random(op, 0.3, 0.6, F=F, t=t)
    n = values.size
    assert n >= 4096
    assert abs(values.mean() - 0.3) < 4 * 0.6 / np.sqrt(n)
    assert abs(values.std() - 0.6) < 0.05 * 0.6
    z = (values.ravel() - 0.3) / 0.6
    assert abs(np.mean(np.abs(z) < 1.0) - 0.6827) < 0.03  # shape, not just moments
    assert len(np.unique(values)) > 0.99 * n


@pytest.mark.parametrize("op", RANDOM_OPS)
def test_random_ops_are_reproducible_per_seed(op):
    first, state1 = run_random(op, -1.0, 1.0, seed=123)
    again, state2 = run_random(op, -1.0, 1.0, seed=123)
    other, state3 = run_random(op, -1.0, 1.0, seed=124)
    np.testing.assert_array_equal(first, again)
    assert state1[0] == state2[0] and state1[0] != 123
    assert not np.any(np.isin(first, other))
    assert state3[0] != state1[0]
    # Different tasks draw different numbers.
    assert len(np.unique(first)) == first.size


def test_rng_state_advances_between_calls():
    s, v, m, valid_x = random_memory(np.random.default_rng(0), 4)
    state = np.array([99], np.uint64)
    program = [instruction(63, 0, 0, 2, (0.0, 1.0, 0.0))]
    first = run_program(program, s, v, m, valid_x, rng_state=state)[1][2]
    after_first = state[0]
    second = run_program(program, s, v, m, valid_x, rng_state=state)[1][2]
    assert after_first != 99 and state[0] != after_first
    assert not np.any(np.isin(first, second))


# -- status codes --------------------------------------------------------------------

@pytest.mark.parametrize("row, data, expected", [
    ([1, 5, 0, 1], (0, 0, 0), interpreter.BAD_ADDRESS),      # in1 beyond 5 scalars
    ([1, 0, 5, 1], (0, 0, 0), interpreter.BAD_ADDRESS),      # in2
    ([1, 0, 0, 5], (0, 0, 0), interpreter.BAD_ADDRESS),      # out
    ([1, -1, 0, 1], (0, 0, 0), interpreter.BAD_ADDRESS),     # negative
    ([23, 4, 0, 1], (0, 0, 0), interpreter.BAD_ADDRESS),     # 4 vectors
    ([18, 4, 0, 1], (0, 0, 0), interpreter.OK),              # in1 of 18 is a scalar: s4 exists
    ([18, 0, 4, 1], (0, 0, 0), interpreter.BAD_ADDRESS),     # in2 of 18 is a vector
    ([43, 0, 3, 0], (0, 0, 0), interpreter.BAD_ADDRESS),     # 3 matrices
    ([27, 0, 0, 4], (0, 0, 0), interpreter.OK),              # scalar out 4 is fine
    ([56, 9, 9, 4], (0.5, 0, 0), interpreter.OK),            # unused input fields are ignored
    ([64, 0, 0, 3], (0, 1, 0), interpreter.BAD_ADDRESS),
    ([70, 0, 0, 0], (0, 0, 0), interpreter.BAD_OP),
    ([65, 0, 0, 0], (0, 0, 0), interpreter.BAD_OP),
    ([-1, 0, 0, 0], (0, 0, 0), interpreter.BAD_OP),
    ([57, 0, 0, 1], (1.0, 0.5, 0), interpreter.BAD_INDEX),
    ([57, 0, 0, 1], (-0.25, 0.5, 0), interpreter.BAD_INDEX),
    ([57, 0, 0, 1], (0.5, 1.5, 0), interpreter.OK),          # f1 is the value
    ([58, 0, 0, 1], (0.5, 1.0, 0), interpreter.BAD_INDEX),
    ([58, 0, 0, 1], (1.0, 0.5, 0), interpreter.BAD_INDEX),
    ([58, 0, 0, 1], (0.5, 0.5, 7.0), interpreter.OK),        # f2 is the value
    ([58, 0, 0, 1], (np.nan, 0.5, 0), interpreter.BAD_INDEX),
])
def test_status_codes(row, data, expected):
    s, v, m, valid_x = random_memory(np.random.default_rng(0), 4)
    for component in range(3):  # checked wherever the instruction is, even if never run
        sizes = [0, 0, 0]
        sizes[component] = 1
        s2, v2, m2, status, fitness = run_program([(row, list(data))], s, v, m, valid_x,
                                                  sizes=tuple(sizes))
        assert status == expected
        if expected != interpreter.OK:
            np.testing.assert_array_equal(fitness, 0.0)
            np.testing.assert_array_equal(s2, s)  # nothing ran
            np.testing.assert_array_equal(v2, v)
        else:
            assert np.all(fitness > 0.0)  # prediction |0 - s1| finite, label 0


def test_bad_algorithm_in_a_batch_leaves_the_others_alone():
    rng = np.random.default_rng(1)
    F, n_tasks, n_train, n_valid = 3, 2, 20, 10
    train_x = rng.normal(size=(n_train, F, n_tasks))
    valid_x = rng.normal(size=(n_valid, F, n_tasks))
    w = rng.normal(size=(F, n_tasks))
    train_y = np.einsum("nft,ft->nt", train_x, w)
    valid_y = np.einsum("nft,ft->nt", valid_x, w)
    good = [[56, 0, 0, 2], [27, 0, 1, 1], [2, 0, 1, 3], [3, 3, 2, 4], [18, 4, 0, 2],
            [23, 1, 2, 1]]
    good_data = [[0.05, 0, 0]] + [[0, 0, 0]] * 5
    bad = [[1, 0, 0, 9]]
    code = np.array(good + bad + good, np.int32)
    data = np.array(good_data + [[0, 0, 0]] + good_data, np.float64)
    S, V, M = np.zeros(5 * n_tasks), np.zeros(3 * F * n_tasks), np.zeros(F * F * n_tasks)
    out = kernel(code, data, [[1, 1, 4], [0, 1, 0], [1, 1, 4]], train_x, train_y, valid_x,
                 valid_y, S, V, M)
    fitness, steps, status = out.fitness, out.train_steps, out.status
    assert status.tolist() == [interpreter.OK, interpreter.BAD_ADDRESS, interpreter.OK]
    assert steps.tolist() == [n_train * n_tasks, 0, n_train * n_tasks]
    np.testing.assert_array_equal(fitness[1], 0.0)
    np.testing.assert_array_equal(fitness[0], fitness[2])
    assert np.all(fitness[0] > 0.3)


# -- the example loop ----------------------------------------------------------------

def test_example_loop_memory_and_predictions():
    """Fresh memory, Setup once, s0 = label only in Learn, v0 = features, no Learn in
    validation, predictions recorded, memory kept from training to validation."""
    rng = np.random.default_rng(2)
    F, n_tasks, n_train, n_valid = 3, 2, 7, 5
    train_x = rng.normal(size=(n_train, F, n_tasks))
    valid_x = rng.normal(size=(n_valid, F, n_tasks))
    train_y = rng.normal(size=(n_train, n_tasks))
    valid_y = rng.normal(size=(n_valid, n_tasks))
    program = """def Setup():
  s4 = s4 + s5
  s5 = 1.0
def Predict():
  s3 = s3 + s0
  s4 = s4 + s5
  v2 = v2 + v0
  s1 = mean(v2)
def Learn():
  s2 = s2 + s0
  v1 = v1 + v0
  s1 = s1 + s5"""
    from azdeap import Algorithm
    alg = Algorithm.from_text(program)
    S, V, M = np.full(6 * n_tasks, 9.0), np.full(3 * F * n_tasks, 9.0), np.full(F * F * n_tasks, 9.0)
    out = kernel(alg.code, alg.data, alg.sizes, train_x, train_y, valid_x, valid_y, S, V, M,
                 max_abs_error=1e9, record_predictions=True)
    fitness, steps, status = out.fitness, out.train_steps, out.status
    predictions = out.predictions
    assert status[0] == interpreter.OK and steps[0] == n_train * n_tasks
    s = S.reshape(6, n_tasks)
    v = V.reshape(3, F, n_tasks)
    np.testing.assert_array_equal(s[3], 0.0)                      # s0 is 0 in Predict
    np.testing.assert_allclose(s[2], train_y.sum(axis=0))         # s0 is the label in Learn
    np.testing.assert_array_equal(s[4], n_train + n_valid)        # zeroed, Setup ran once
    np.testing.assert_allclose(v[1], train_x.sum(axis=0))         # Learn only in training
    np.testing.assert_allclose(v[2], train_x.sum(axis=0) + valid_x.sum(axis=0))
    np.testing.assert_array_equal(v[0], valid_x[-1])
    np.testing.assert_array_equal(s[0], 0.0)
    v2_path = train_x.sum(axis=0) + np.cumsum(valid_x, axis=0)    # v2 during validation
    expected_predictions = v2_path.mean(axis=1)
    np.testing.assert_allclose(predictions, expected_predictions)
    np.testing.assert_allclose(s[1], expected_predictions[-1])
    rms = np.sqrt(np.mean((valid_y - expected_predictions) ** 2, axis=0))
    np.testing.assert_allclose(fitness[0], 1 - 2 / np.pi * np.arctan(rms))


def test_classification_sigmoid_in_memory_during_training_only():
    """In a classification task Learn sees sigmoid(s1); validation predictions are raw."""
    rng = np.random.default_rng(3)
    F, n_train, n_valid = 2, 3, 2
    train_x = rng.normal(size=(n_train, F, 2))
    valid_x = rng.normal(size=(n_valid, F, 2))
    train_y = np.array([[1.0, 1.0], [0.0, 0.0], [1.0, 1.0]])
    valid_y = np.array([[1.0, 1.0], [0.0, 0.0]])
    code = np.array([[56, 0, 0, 1], [5, 1, 0, 2]], np.int32)   # Predict s1 = 2; Learn s2 = |s1|
    data = np.array([[2.0, 0, 0], [0, 0, 0]])
    S, V, M = np.zeros(3 * 2), np.zeros(F * 2), np.zeros(0)
    out = kernel(code, data, [0, 1, 1], train_x, train_y, valid_x, valid_y, S, V, M,
                 classification=[True, False], record_predictions=True)
    fitness, predictions = out.fitness, out.predictions
    s = S.reshape(3, 2)
    assert s[2, 0] == pytest.approx(1 / (1 + np.exp(-2.0)))  # classification task
    assert s[2, 1] == 2.0                                   # regression task
    np.testing.assert_array_equal(predictions, 2.0)
    assert fitness[0, 0] == 0.5  # predicts class 1 on labels [1, 0]
    assert fitness[0, 1] == pytest.approx(1 - 2 / np.pi * np.arctan(np.sqrt((1 + 4) / 2)))


def test_fingerprint_hashes_errors():
    rng = np.random.default_rng(4)
    F, n_tasks, n = 2, 3, 10
    train_x = rng.normal(size=(n, F, n_tasks))
    valid_x = rng.normal(size=(n, F, n_tasks))
    train_y = rng.normal(size=(n, n_tasks))
    valid_y = rng.normal(size=(n, n_tasks))

    def hashes_of(constants):
        code = np.array([[56, 0, 0, 1]] * len(constants), np.int32)
        data = np.array([[c, 0, 0] for c in constants])
        return kernel(code, data, [[0, 1, 0]] * len(constants), train_x, train_y, valid_x,
                      valid_y, np.zeros(2 * n_tasks), np.zeros(F * n_tasks), np.zeros(0),
                      fingerprint=True).hashes

    h = hashes_of([0.5, 0.5, 0.25])
    np.testing.assert_array_equal(h[0], h[1])
    assert np.all(h[0] != h[2])
    assert len(set(h[0].tolist())) == n_tasks  # per-task hashes differ


def test_rng_reseed_restarts_the_random_ops_per_algorithm():
    rng = np.random.default_rng(5)
    F, n_tasks, n = 2, 3, 10
    train_x, valid_x = rng.normal(size=(n, F, n_tasks)), rng.normal(size=(n, F, n_tasks))
    train_y, valid_y = rng.normal(size=(n, n_tasks)), rng.normal(size=(n, n_tasks))
    code = np.array([[62, 0, 0, 1]] * 2, np.int32)   # Setup s1 = gaussian(0, 1); twice
    data = np.array([[0.0, 1.0, 0.0]] * 2)

    def fitness(reseed, seed=0):
        state = np.array([seed], np.uint64)
        out = kernel(code, data, [[1, 0, 0]] * 2, train_x, train_y, valid_x, valid_y,
                     np.zeros(2 * n_tasks), np.zeros(F * n_tasks), np.zeros(0),
                     rng_state=state, rng_reseed=reseed)
        assert (state[0] == seed) == (reseed >= 0)  # a reseeded run leaves the state alone
        return out.fitness

    free = fitness(-1)
    assert np.all(free[0] != free[1])            # the generator moved on
    reseeded = fitness(5)
    np.testing.assert_array_equal(reseeded[0], reseeded[1])
    np.testing.assert_array_equal(fitness(5, seed=77), reseeded)  # state is not used
    assert np.all(fitness(6)[0] != reseeded[0])


# -- the entry point -----------------------------------------------------------------

def linear_batch(n_tasks=2, F=3, n_train=20, n_valid=10, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_train + n_valid, F, n_tasks))
    y = np.einsum("nft,ft->nt", x, rng.normal(size=(F, n_tasks)))
    return task_batch(x[:n_train], y[:n_train], x[n_train:], y[n_train:])


def test_run_result_fields():
    from azdeap import reference
    batch = linear_batch()
    programs = Programs.stack([reference.linear_regressor(0.05)] * 3)
    state = np.array([1], np.uint64)
    result = interpreter.run(programs, batch, memory=Memory(5, 3, 0), rng_state=state)
    assert isinstance(result, interpreter.RunResult)
    assert result.fitness.shape == (3, 2) and np.all(result.fitness > 0.3)
    assert result.train_steps.tolist() == [20 * 2] * 3
    assert result.status.tolist() == [interpreter.OK] * 3
    assert result.hashes is None and result.predictions is None
    recorded = interpreter.run(programs, batch, memory=Memory(5, 3, 0), rng_state=state,
                               n_train=5, n_valid=99, fingerprint=True, record_predictions=True)
    assert recorded.train_steps.tolist() == [5 * 2] * 3       # n_train limits training
    assert recorded.predictions.shape == (10, 2)               # n_valid is capped at 10
    assert recorded.hashes.shape == (3, 2) and recorded.hashes.dtype == np.uint64
    np.testing.assert_array_equal(recorded.hashes[0], recorded.hashes[2])


def test_run_continues_from_kept_cells():
    """fresh_memory=False skips Setup and continues from the caller's cells."""
    from azdeap import Algorithm
    counter = Algorithm.from_text("def Setup():\n  s2 = 5.0\ndef Predict():\n"
                                  "  s3 = s3 + s2\n  s1 = s3 + s0\ndef Learn():\n")
    batch = linear_batch(n_tasks=1, n_train=0, n_valid=4)
    memory = Memory(4, 1, 0)
    cells = np.zeros(interpreter.memory_size(memory, batch.n_features, batch.n_tasks))
    state = np.zeros(1, np.uint64)
    first = interpreter.run(Programs.stack([counter]), batch, memory=memory, rng_state=state,
                            max_abs_error=np.inf, cells=cells, record_predictions=True)
    again = interpreter.run(Programs.stack([counter]), batch, memory=memory, rng_state=state,
                            max_abs_error=np.inf, cells=cells, fresh_memory=False,
                            record_predictions=True)
    np.testing.assert_array_equal(first.predictions[:, 0], [5.0, 10.0, 15.0, 20.0])
    np.testing.assert_array_equal(again.predictions[:, 0], [25.0, 30.0, 35.0, 40.0])


def test_run_checks_its_memory_cells():
    batch = linear_batch()
    programs = Programs.stack([])
    state = np.zeros(1, np.uint64)
    with pytest.raises(ValueError, match="fresh_memory"):
        interpreter.run(programs, batch, memory=Memory(), rng_state=state, fresh_memory=False)
    size = interpreter.memory_size(Memory(), batch.n_features, batch.n_tasks)
    for cells in (np.zeros(3), np.zeros(2 * size)[::2], [0.0] * size):
        with pytest.raises(ValueError, match=r"^cells must be %d contiguous float64 values for "
                                             r"memory \(4, 3, 1\), 3 features and 2 tasks$"
                                             % size):
            interpreter.run(programs, batch, memory=Memory(), rng_state=state, cells=cells)


def run_with(**changes):
    """interpreter.run of the README regressor on linear_batch(), with arguments changed."""
    from azdeap import reference
    arguments = dict(programs=Programs.stack([reference.linear_regressor()]),
                     tasks=linear_batch(), memory=Memory(5, 3, 0),
                     rng_state=np.zeros(1, np.uint64))
    arguments.update(changes)
    return interpreter.run(arguments.pop("programs"), arguments.pop("tasks"), **arguments)


@pytest.mark.parametrize("changes, error, message", [
    ({"memory": Memory(1, 3, 0)}, ValueError, "memory needs at least 2 scalars (s0 label, s1 "
                                               "prediction) and 1 vector (v0 features), got "
                                               "1 scalars, 3 vectors"),
    ({"memory": (5, 0, 0)}, ValueError, "memory needs at least 2 scalars"),
    ({"memory": Memory(5, 3, -1)}, ValueError, "memory sizes must be integers >= 0"),
    ({"memory": Memory(5.0, 3, 0)}, ValueError, "memory sizes must be integers >= 0"),
    ({"memory": 5}, TypeError, "memory must be a Memory (scalars, vectors, matrices), got 5"),
    ({"rng_state": np.zeros(1)}, TypeError, "rng_state must be a C-contiguous uint64 array of "
                                            "shape (1,), got a float64 array of shape (1,)"),
    ({"rng_state": np.zeros(0, np.uint64)}, TypeError,
     "rng_state must be a C-contiguous uint64 array of shape (1,), got a uint64 array of "
     "shape (0,)"),
    ({"rng_state": [0]}, TypeError, "rng_state must be a C-contiguous uint64 array of shape "
                                    "(1,), got list"),
    ({"programs": [1, 2]}, TypeError, "programs must be an azdeap.programs.Programs, got list"),
    ({"tasks": "tasks"}, TypeError, "tasks must be an azdeap.tasks.TaskBatch, got str"),
    ({"n_valid": -1}, ValueError, "n_valid must be >= 0, got -1"),
    ({"n_train": 2.5}, TypeError, "n_train must be an integer, got 2.5"),
    ({"epochs": 0}, ValueError, "epochs must be >= 1, got 0"),
])
def test_run_checks_its_arguments(changes, error, message):
    with pytest.raises(error) as raised:
        run_with(**changes)
    assert str(raised.value).startswith(message) and "\n" not in str(raised.value)


def test_run_accepts_numpy_counts_in_its_memory():
    assert run_with(memory=Memory(*np.array([5, 3, 0]))).status.tolist() == [interpreter.OK]


def raw_programs(**changes):
    """The arrays of one 3-instruction program (sizes 1, 1, 1), with changes."""
    arrays = dict(code=np.zeros((3, 4), np.int32), data=np.zeros((3, 3)),
                  offsets=np.zeros(1, np.int64), sizes=np.ones((1, 3), np.int64))
    arrays.update(changes)
    return arrays


@pytest.mark.parametrize("changes, error, message", [
    ({"offsets": np.array([1])}, ValueError, "Programs: program 0 (offset 1, sizes [1, 1, 1]) "
                                             "is not within the 3 rows of code"),
    ({"offsets": np.array([-3])}, ValueError, "Programs: program 0 (offset -3, sizes"),
    ({"sizes": np.array([[2, 2, -1]])}, ValueError, "Programs: program 0 (offset 0, sizes "
                                                    "[2, 2, -1]) is not within"),
    ({"sizes": np.ones((2, 3), np.int64)}, ValueError,
     "Programs: offsets and sizes must have one row per program, got shapes (1,) and (2, 3)"),
    ({"data": np.zeros((2, 3))}, ValueError,
     "Programs: code and data must have one row per instruction, got shapes (3, 4) and (2, 3)"),
    ({"code": np.zeros((3, 4))}, TypeError,
     "Programs: code must be a C-contiguous int32 array of shape (n, 4), got a float64 array "
     "of shape (3, 4)"),
    ({"data": np.zeros((3, 3), np.float32)}, TypeError, "Programs: data must be a "
                                                         "C-contiguous float64 array"),
    ({"code": np.zeros((4, 3), np.int32).T}, TypeError, "Programs: code must be a C-contig"),
    ({"sizes": [[1, 1, 1]]}, TypeError, "Programs: sizes must be a C-contiguous int64 array "
                                        "of shape (programs, 3), got list"),
])
def test_programs_check_their_arrays(changes, error, message):
    with pytest.raises(error) as raised:
        Programs(**raw_programs(**changes))
    assert str(raised.value).startswith(message) and "\n" not in str(raised.value)


def test_programs_stack_checks_its_algorithms():
    from azdeap import Algorithm
    with pytest.raises(TypeError, match=r"^algorithms\[1\] must be an "
                                        r"azdeap.algorithm.Algorithm, got str$"):
        Programs.stack([Algorithm(), "text"])
    broken = Algorithm(sizes=(1, 1, 1))
    broken.sizes = (5, 1, 1)
    for algorithms in ([broken], [Algorithm(), broken]):
        with pytest.raises(ValueError, match=r"^algorithms\[%d\]: sizes \(5, 1, 1\) do not "
                                             r"match 3 rows of code and data$"
                                             % (len(algorithms) - 1)):
            Programs.stack(algorithms)


@pytest.mark.parametrize("index, array, message", [
    (1, np.zeros((20, 3)), "train_y must have shape (20, 2) (rows, tasks), got (20, 3)"),
    (2, np.zeros((10, 4, 2)), "valid_x must have shape (10, 3, 2) (rows, features, tasks), "
                              "got (10, 4, 2)"),
    (3, np.zeros((9, 2)), "valid_y must have shape (10, 2) (rows, tasks), got (9, 2)"),
    (4, [False], "classification must have shape (2,) (tasks), got (1,)"),
    (0, np.zeros((20, 3, 2), np.float32), "train_x must be a C-contiguous float64 array of "
                                          "shape (rows, features, tasks), got a float32 "
                                          "array of shape (20, 3, 2)"),
    (2, np.zeros((2, 3, 10)).T, "valid_x must be a C-contiguous float64 array of shape (rows, "
                                "features, tasks), got a non-contiguous float64 array of "
                                "shape (10, 3, 2)"),
    (0, np.zeros((20, 3)), "train_x must be a C-contiguous float64 array of shape (rows, "
                           "features, tasks), got a float64 array of shape (20, 3)"),
    (0, np.zeros((20, 0, 2)), "needs at least 1 feature and 1 task, got train_x of shape "
                              "(20, 0, 2)"),
])
def test_task_batch_of_arrays_checks_the_shapes(index, array, message):
    good = linear_batch()   # 20 + 10 rows of 3 features, 2 tasks
    arrays = [good.train_x, good.train_y, good.valid_x, good.valid_y, good.classification]
    arrays[index] = array
    with pytest.raises((TypeError, ValueError)) as raised:
        TaskBatch.of_arrays(*arrays)
    assert str(raised.value) == "TaskBatch.of_arrays: " + message


# -- dispatch from the op table ------------------------------------------------------

def test_every_op_has_a_kernel_routine():
    assert interpreter.FAMILY.shape == interpreter.FUNCTION.shape == (ops.NUM_OPS,)
    assert np.all(interpreter.FAMILY >= 0)
    assert set(interpreter._FAMILY_IDS) == {op.family for op in ops.OPS}  # none unused
    assert set(interpreter._FUNCTION_IDS) == {op.function for op in ops.OPS} - {None}
    for op in ops.OPS:
        assert (interpreter.FUNCTION[op.code] >= 0) == (op.function is not None), op.name


def test_dispatch_tables_follow_the_op_table():
    """Ops share a routine (and a function) exactly when the op table says so."""
    for a in ops.OPS:
        for b in ops.OPS:
            assert ((interpreter.FAMILY[a.code] == interpreter.FAMILY[b.code])
                    == (a.family == b.family))
            if a.function is not None and b.function is not None:
                assert ((interpreter.FUNCTION[a.code] == interpreter.FUNCTION[b.code])
                        == (a.function == b.function))
    assert [interpreter.N_INDICES[op.code] for op in ops.OPS if op.family == "const_set"] \
        == [0, 1, 2]


def test_a_family_without_routine_is_refused(monkeypatch):
    unknown = ops.OPS[1]._replace(family="unheard_of")
    monkeypatch.setattr(ops, "OPS", ops.OPS[:1] + (unknown,) + ops.OPS[2:])
    with pytest.raises(ValueError, match="unheard_of"):
        interpreter._op_table("family", interpreter._FAMILY_IDS)


def test_interpreter_source_has_no_op_numbers():
    """The kernel compares families and functions by name, never op codes by number."""
    tree = ast.parse(inspect.getsource(interpreter))
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left] + node.comparators
            names = [n.id for n in operands if isinstance(n, ast.Name)]
            numbers = [n for n in operands if isinstance(n, ast.Constant)
                       and isinstance(n.value, int) and n.value not in (0, 1, 2)]
            assert not (numbers and any("op" in name or "family" in name for name in names)), \
                ast.unparse(node)


# -- algorithms side by side (lanes) --------------------------------------------------

LANE_MEMORY = Memory(7, 5, 2)
# The outputs that random Predict and Learn instructions may write: not those the core
# (LANE_CORE) learns with, but s2, which it adds to its prediction.
SIDE_OUTPUTS = ((2, 5, 6), (3, 4), (0, 1))


def random_rows(rng, n, op_codes, outputs=None):
    """n random instructions of op_codes that fit LANE_MEMORY: code (n, 4), data (n, 3);
    outputs: the output addresses allowed per kind (default: any writable)."""
    code, data = np.zeros((n, 4), np.int32), np.zeros((n, 3))
    for k in range(n):
        op = int(rng.choice(op_codes))
        spec = ops.OPS[op]
        code[k, 0] = op
        for column, kind in zip((1, 2), spec.inputs):
            code[k, column] = rng.integers(0, LANE_MEMORY[kind])
        code[k, 3] = (rng.integers(1 if spec.output != ops.MATRIX else 0,
                                   LANE_MEMORY[spec.output]) if outputs is None
                      else rng.choice(outputs[spec.output]))
        data[k] = rng.uniform(0, 1, 3) if spec.data in (ops.VECTOR_CONST, ops.MATRIX_CONST) \
            else rng.uniform(-1, 1, 3)
        if spec.data == ops.MATRIX_CONST:
            data[k, 2] = rng.uniform(-1, 1)
        elif spec.data == ops.VECTOR_CONST:
            data[k, 1] = rng.uniform(-1, 1)
    return code, data


LANE_CORE = """def Setup():
def Predict():
  s1 = dot(v1, v0)
  s1 = s1 + s2
def Learn():
  s3 = s0 - s1
  s3 = s4 * s3
  v2 = s3 * v0
  v1 = v1 + v2"""


def random_setup(rng, all_ops):
    """A random Setup that also sets the core's learning rate s4 (often large enough to
    diverge) and weights v1, by a constant or a random op."""
    code, data = random_rows(rng, int(rng.integers(0, 4)), all_ops)
    rate, rate_data = random_rows(rng, 1, np.array([56, 59, 62]))
    weights, weights_data = random_rows(rng, 1, np.array([57, 60, 63]))
    rate[0, 3], weights[0, 3] = 4, 1
    rate_data[0, :2] = np.abs(rate_data[0, :2]) * rng.choice([0.2, 1.5, 3.0])
    order = rng.permutation(len(code) + 2)
    return (np.concatenate((code, rate, weights))[order],
            np.concatenate((data, rate_data, weights_data))[order])


def programs_sharing_predict_learn(rng, n_kinds=3, per_kind=6, n_mixed=4):
    """Programs in a shuffled order: n_kinds Predict-and-Learn pairs without random ops
    (random instructions before a linear regressor's), each with per_kind random Setups
    (random ops included), plus n_mixed programs whose Predict draws random numbers, and
    one bad program."""
    from azdeap import Algorithm
    core = Algorithm.from_text(LANE_CORE)
    all_ops = np.arange(1, 65)
    deterministic = np.arange(1, 59)
    parts = []
    for _ in range(n_kinds):
        n_predict, n_learn = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        predict = random_rows(rng, n_predict, deterministic, SIDE_OUTPUTS)
        learn = random_rows(rng, n_learn, deterministic, SIDE_OUTPUTS)
        shared = (np.concatenate((predict[0], core.code[:2], learn[0], core.code[2:])),
                  np.concatenate((predict[1], core.data[:2], learn[1], core.data[2:])))
        for _ in range(per_kind):
            setup = random_setup(rng, all_ops)
            parts.append((np.concatenate((setup[0], shared[0])),
                          np.concatenate((setup[1], shared[1])),
                          (len(setup[0]), n_predict + 2, n_learn + 4)))
    for _ in range(n_mixed):
        setup = random_setup(rng, all_ops)
        parts.append((np.concatenate((setup[0], [[62, 0, 0, 2]], core.code)),
                      np.concatenate((setup[1], [[0.0, 0.1, 0.0]], core.data)),
                      (len(setup[0]), 3, 4)))   # s2 = gaussian(0, 0.1) in Predict
    code, data, sizes = parts[0]
    bad = code.copy()
    bad[0, 3] = 99       # address out of range, in Setup: the others of its kind run on
    parts.append((bad, data, sizes))
    order = rng.permutation(len(parts))
    parts = [parts[i] for i in order]
    return programs_of(np.concatenate([p[0] for p in parts]),
                       np.concatenate([p[1] for p in parts]), [p[2] for p in parts])


def one_by_one(programs, batch, rng_state, **options):
    """interpreter.run of each program alone, in order, on the same generator state."""
    runs = [interpreter.run(programs.take([b]), batch, memory=LANE_MEMORY, rng_state=rng_state,
                            **options) for b in range(len(programs))]
    return [np.concatenate([getattr(r, field) for r in runs])
            for field in ("fitness", "train_steps", "status")] + [
        np.concatenate([r.hashes for r in runs]) if options.get("fingerprint") else None]


@pytest.mark.parametrize("n_tasks", [1, 3])
@pytest.mark.parametrize("options", [{}, {"fingerprint": True, "n_train": 7, "n_valid": 5},
                                     {"rng_reseed": 11, "fingerprint": True},
                                     {"max_abs_error": 3.0}])
def test_lanes_equal_one_by_one(n_tasks, options):
    """Algorithms sharing Predict and Learn run side by side give each the fitness, train
    steps, fingerprints and random draws it gets alone, bit for bit; so do the others of
    the batch, whose random draws come in the same order."""
    rng = np.random.default_rng(21 + n_tasks)
    programs = programs_sharing_predict_learn(rng)
    batch = linear_batch(n_tasks=n_tasks, F=3, n_train=12, n_valid=6, seed=n_tasks)
    together_state, alone_state = np.array([5], np.uint64), np.array([5], np.uint64)
    together = interpreter.run(programs, batch, memory=LANE_MEMORY, rng_state=together_state,
                               **options)
    fitness, steps, status, hashes = one_by_one(programs, batch, alone_state, **options)
    np.testing.assert_array_equal(together.fitness, fitness)
    np.testing.assert_array_equal(together.train_steps, steps)
    np.testing.assert_array_equal(together.status, status)
    if options.get("fingerprint"):  # a bad program's hashes are not set
        np.testing.assert_array_equal(together.hashes[status == 0], hashes[status == 0])
    assert together_state[0] == alone_state[0]
    # not vacuous: bad, stopped and surviving programs, and distinct fitnesses
    assert (status != interpreter.OK).sum() == 1
    assert len(np.unique(fitness)) >= 4 and (fitness == 0).any()
    _, _, start, members = interpreter.lane_groups(programs, n_tasks)
    assert len(start) == 4  # the 3 kinds, one of them with a bad member
    assert any(len(set(steps[members[i:j]])) > 1 for i, j in zip(start, start[1:]))


def test_lane_groups_pick_equal_predict_learn_without_random_ops():
    from azdeap import Algorithm
    core = Algorithm.from_text(LANE_CORE)

    def program(setup_value, predict_data=0.0, draw=False):
        code = np.concatenate(([[56, 0, 0, 4]], core.code))
        data = np.concatenate(([[setup_value, 0, 0]], core.data))
        data[1, 0] = predict_data   # an unused field of Predict's first instruction
        if draw:
            code[2] = [62, 0, 0, 2]
        return code, data

    def groups(kinds, n_tasks):
        parts = [program(i * 0.01, *kind) for i, kind in enumerate(kinds)]
        programs = programs_of(np.concatenate([c for c, _ in parts]),
                               np.concatenate([d for _, d in parts]), [(1, 2, 4)] * len(kinds))
        found = interpreter.lane_groups(programs, n_tasks)
        if found is None:
            return None
        group, member, start, members = found
        for b in range(len(kinds)):   # the arrays agree with each other
            assert group[b] < 0 or (members[member[b]] == b
                                    and start[group[b]] <= member[b] < start[group[b] + 1])
        return group.tolist()

    # Setup may differ; Predict and Learn must be equal bit for bit, without random ops
    assert groups([(0.0,), (0.0,), (-0.0,), (0.0, True), (0.0,), (-0.0,)], 2) == [
        0, 0, 1, -1, 0, 1]
    assert groups([(0.0,)] * 2, interpreter.LANE_TASKS + 1) is None
    assert groups([(0.0, True)] * 2, 2) is None
    # one task: kinds of at least 4, holding 80% of the programs
    assert groups([(0.0,)] * 3 + [(1.0,)] * 3, 1) is None
    assert groups([(0.0,)] * 4 + [(1.0,)], 1) == [0, 0, 0, 0, -1]
    assert groups([(0.0,)] * 4 + [(1.0,), (2.0,)], 1) is None
    # at most LANES lanes: a kind splits into groups as equal as can be
    most = interpreter.LANES // 4
    assert groups([(0.0,)] * (most + 2), 4) == [0] * (most // 2 + 1) + [1] * (most // 2 + 1)
