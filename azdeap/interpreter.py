"""The numba interpreter: runs algorithms on all tasks of a batch side by side.

``run(programs, tasks, ...)`` is the entry point; it returns a ``RunResult``.

The memory of all tasks is one flat float64 array: the scalars, then the vectors,
then the matrices, each cell holding its T task values contiguously.  Scalar
``a`` of task ``t`` is ``mem[a*T + t]``; vector entry ``i`` is
``mem[vectors + (a*F + i)*T + t]``; matrix entry ``(i, j)`` is
``mem[matrices + ((a*F + i)*F + j)*T + t]``.  Each instruction is dispatched once
for all T tasks, and the per-task loops run over contiguous cells with unsigned
indices, which LLVM vectorizes.  An elementwise op is one loop written once for all
three kinds: only its width (T, F*T or F*F*T cells) differs.

Dispatch is data: each op's ``family`` in ``azdeap.ops`` names the routine of
``_execute`` that computes it, and its ``function`` the function that routine
applies; the integer tables below are built from ``ops.OPS`` at import.  Each
component is decoded once per algorithm into rows the dispatch loop reads
(``_decode``).  The dispatch loop is written once: a small state machine walks
through Setup, then per epoch Predict/Learn per training example and Predict per
validation example.  One source gives four kernels: for one task of 4 features, one task of
any F, any T and F, and any T and F with multi-class tasks among them (docs/design.md,
"Execution").  The last also runs algorithms that
share Predict and Learn side by side: each lane is then one (algorithm, task) pair
(``lane_groups``).
"""
from typing import NamedTuple, Optional

import numpy as np
from numba import njit

from azdeap import ops
from azdeap.programs import Programs
from azdeap.space import Memory, check_array, check_integer, check_memory
from azdeap.tasks import TaskBatch

U = np.uint64

# Status codes returned per algorithm.
OK, BAD_OP, BAD_ADDRESS, BAD_INDEX = 0, 1, 2, 3

# -- dispatch tables from the op table ---------------------------------------------
# The compiled kernel holds these tables as constants, and numba's cache only watches
# this file: after editing ops.py, delete azdeap/__pycache__/interpreter.*.nb[ci].

_FAMILY_IDS = {}
_FUNCTION_IDS = {}


def _family(name):
    """The id of the kernel routine for the op family ``name`` (``ops.Op.family``)."""
    return _FAMILY_IDS.setdefault(name, len(_FAMILY_IDS))


def _function(name):
    """The id of a function a routine applies (``ops.Op.function``)."""
    return _FUNCTION_IDS.setdefault(name, len(_FUNCTION_IDS))


_NO_OP = _family("no_op")
_ADD = _family("add")
_SUBTRACT = _family("subtract")
_MULTIPLY = _family("multiply")
_DIVIDE = _family("divide")
_MINIMUM = _family("minimum")
_MAXIMUM = _family("maximum")
_ABS = _family("abs")
_RECIPROCAL = _family("reciprocal")
_IS_NONNEGATIVE = _family("is_nonnegative")
_IS_POSITIVE = _family("is_positive")
_TRANSCENDENTAL = _family("transcendental")
_SCALE = _family("scale")
_BROADCAST = _family("broadcast")
_COLUMN_BROADCAST = _family("column_broadcast")
_ROW_BROADCAST = _family("row_broadcast")
_REDUCE = _family("reduce")
_COLUMN_REDUCE = _family("column_reduce")
_ROW_REDUCE = _family("row_reduce")
_DOT = _family("dot")
_OUTER = _family("outer")
_MATVEC = _family("matvec")
_TRANSPOSE = _family("transpose")
_MATMUL = _family("matmul")
_CONST_SET = _family("const_set")
_UNIFORM_SET = _family("uniform_set")
_GAUSSIAN_SET = _family("gaussian_set")
# Decoded, an elementwise op (families _ADD to _TRANSCENDENTAL) runs as routine
# family + (kind + 1) * _BY_KIND: the trip count of its cell loop is then T, F*T or F*F*T
# by routine, not a number read per instruction (constants in a specialized kernel).
_BY_KIND = len(_FAMILY_IDS)

_SIN = _function("sin")
_COS = _function("cos")
_TAN = _function("tan")
_ARCSIN = _function("arcsin")
_ARCCOS = _function("arccos")
_ARCTAN = _function("arctan")
_EXP = _function("exp")
_LOG = _function("log")
_NORM = _function("norm")
_MEAN = _function("mean")
_STD = _function("std")


def _op_table(field, ids):
    """int64 per op code: the id of the op's ``field`` (-1 where it is None)."""
    names = [getattr(op, field) for op in ops.OPS]
    unknown = sorted(set(names) - set(ids) - {None})
    if unknown:
        raise ValueError("the kernel has no routine for op %s %s" % (field, unknown))
    return np.array([-1 if name is None else ids[name] for name in names], np.int64)


FAMILY = _op_table("family", _FAMILY_IDS)
FUNCTION = _op_table("function", _FUNCTION_IDS)
# Index fractions in the data fields before the value: v[int(F*d0)] = d1, m[..][..] = d2.
N_INDICES = np.array([{ops.VECTOR_CONST: 1, ops.MATRIX_CONST: 2}.get(op.data, 0)
                      for op in ops.OPS], np.int64)
_IN1_KIND = ops.IN1_KIND.copy()
_IN2_KIND = ops.IN2_KIND.copy()
_OUT_KIND = ops.OUT_KIND.copy()

# Phases of the state machine.
_SETUP, _TRAIN_PREDICT, _TRAIN_LEARN, _VALID_PREDICT, _DONE = 0, 1, 2, 3, 4

_HASH_SEED = U(42)
_NO_HASHES = np.zeros((0, 0), np.uint64)
_NO_PREDICTIONS = np.zeros((0, 0))
_UINT64 = np.dtype(U)
# The memory and rng_state of the last run: a Memory cannot change, nor can the size of an
# array, so they need no new check when passed again (an Evaluator's are, at every call).
_PASSED = [None, None]


def _inline(function):
    """Compile a kernel helper that LLVM inlines into its callers (``forceinline``).

    Helpers allocate nothing and hold no references, so they run without numba's
    reference counting (``_nrt=False``): with it, every array argument costs an atomic
    increment and decrement per call, which numba cannot prune across the dispatch
    branches, and an instruction would cost several times as much.  For the same reason
    the helpers are not inlined by numba itself (``inline="always"``)."""
    return njit(cache=True, forceinline=True, error_model="numpy", _nrt=False,
                no_cpython_wrapper=True, no_cfunc_wrapper=True)(function)


# -- random numbers and hashes -----------------------------------------------------

@_inline
def _next_u64(state):
    """splitmix64: a small, fast generator whose whole state is one uint64."""
    state[0] += U(0x9E3779B97F4A7C15)
    z = state[0]
    z = (z ^ (z >> U(30))) * U(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> U(27))) * U(0x94D049BB133111EB)
    return z ^ (z >> U(31))


@_inline
def _uniform01(state):
    """Uniform on the open interval (0, 1)."""
    return ((_next_u64(state) >> U(11)) + 0.5) * (1.0 / 9007199254740992.0)


@_inline
def _gaussian(state):
    """Standard normal (Box-Muller)."""
    return np.sqrt(-2.0 * np.log(_uniform01(state))) * np.cos(
        2.0 * np.pi * _uniform01(state))


@_inline
def _mix(h, value):
    """Combine a 64-bit value into a running hash (boost-style, 64-bit)."""
    return h ^ (value + U(0x9E3779B97F4A7C15) + (h << U(6)) + (h >> U(2)))


@_inline
def _mix_float(h, x, bits):
    """_mix of the bits of float x; bits is a float64[1] scratch cell."""
    bits[0] = x
    return _mix(h, bits.view(np.uint64)[0])


@_inline
def _sigmoid(x):
    """The probability of class 1 for a classification task's prediction x."""
    return 1.0 / (1.0 + np.exp(-x))


# -- checking and decoding programs --------------------------------------------------

@njit(cache=True)
def _check_program(code, data, start, stop, n_scalars, n_vectors, n_matrices):
    """OK, or the status of the first out-of-range op, address or index fraction."""
    sizes = (n_scalars, n_vectors, n_matrices)
    for k in range(start, stop):
        op = code[k, 0]
        if op < 0 or op >= _OUT_KIND.shape[0]:
            return BAD_OP
        for column, kind in ((1, _IN1_KIND[op]), (2, _IN2_KIND[op]), (3, _OUT_KIND[op])):
            if kind >= 0 and (code[k, column] < 0 or code[k, column] >= sizes[kind]):
                return BAD_ADDRESS
        for f in range(N_INDICES[op]):
            if not (0.0 <= data[k, f] < 1.0):
                return BAD_INDEX
    return OK


# A decoded instruction is ROW uint64 fields of ``program``: the routine (family), the
# first cells of out, in1 and in2, the cell counts of out and in1, and the function; and
# two float64 ``values``: the constant (const_set), low and high (uniform_set), or mean
# and std (gaussian_set).
ROW = 7


@_inline
def _decode(code, data, start, stop, first_cell, cells, F, program, values, row):
    """Decode code[start:stop] into program and values from decoded row ``row`` on,
    leaving out the no-ops; returns the row after the last.  An index fraction of a
    const_set is resolved here to the cell it sets."""
    for k in range(start, stop):
        op = code[k, 0]
        family = FAMILY[op]
        if family == _NO_OP:
            continue
        out_kind = _OUT_KIND[op]
        in1_kind = _IN1_KIND[op]
        in2_kind = _IN2_KIND[op]
        po = first_cell[out_kind] + U(code[k, 3]) * cells[out_kind]
        n_indices = N_INDICES[op]
        if n_indices == 1:
            po += U(int(float(F) * data[k, 0])) * cells[0]
        elif n_indices == 2:
            po += (U(int(float(F) * data[k, 0])) * F
                   + U(int(float(F) * data[k, 1]))) * cells[0]
        base = row * ROW
        program[base] = (family + (out_kind + 1) * _BY_KIND if family <= _TRANSCENDENTAL
                         else family)
        program[base + 1] = po
        program[base + 2] = (first_cell[in1_kind] + U(code[k, 1]) * cells[in1_kind]
                             if in1_kind >= 0 else U(0))
        program[base + 3] = (first_cell[in2_kind] + U(code[k, 2]) * cells[in2_kind]
                             if in2_kind >= 0 else U(0))
        program[base + 4] = cells[0] if n_indices else cells[out_kind]
        program[base + 5] = cells[in1_kind] if in1_kind >= 0 else U(0)
        program[base + 6] = FUNCTION[op]
        values[2 * row] = data[k, n_indices]
        values[2 * row + 1] = data[k, 1]
        row += 1
    return row


# -- the routines ------------------------------------------------------------------

@_inline
def _transcendental(function, x):
    """sin, cos, tan, arcsin, arccos, arctan, exp or log of x."""
    if function == _SIN:
        return np.sin(x)
    if function == _COS:
        return np.cos(x)
    if function == _TAN:
        return np.tan(x)
    if function == _ARCSIN:
        return np.arcsin(x)
    if function == _ARCCOS:
        return np.arccos(x)
    if function == _ARCTAN:
        return np.arctan(x)
    if function == _EXP:
        return np.exp(x)
    return np.log(x)  # _LOG


@_inline
def _statistic(function, squares, mean, mean_square):
    """The norm, mean or std of some values, from their sum of squares, mean and mean
    square."""
    if function == _NORM:
        return np.sqrt(squares)
    if function == _MEAN:
        return mean
    return np.sqrt(mean_square - mean * mean)  # _STD


@_inline
def _reduce(mem, tmp, function, po, pa, n_in, T):
    """Norm, mean or std of a whole vector or matrix (n_in cells) per task."""
    for t in range(T):
        tmp[t] = 0.0       # sum
        tmp[T + t] = 0.0   # sum of squares
    for c in range(U(0), n_in, T):
        for t in range(T):
            x = mem[pa + c + t]
            tmp[t] += x
            tmp[T + t] += x * x
    count = float(n_in // T)
    for t in range(T):
        mem[po + t] = _statistic(function, tmp[T + t], tmp[t] / count, tmp[T + t] / count)


@_inline
def _axis_reduce(mem, tmp, function, per_row, po, pa, T, F):
    """Norm, mean or std of each row (or column) of a matrix, into a vector."""
    FT = F * T
    for c in range(2 * FT):
        tmp[c] = 0.0       # sums, then sums of squares, per row/column
    for i in range(F):
        for j in range(F):
            r = i if per_row else j
            for t in range(T):
                x = mem[pa + (i * F + j) * T + t]
                tmp[r * T + t] += x
                tmp[FT + r * T + t] += x * x
    inv_F = 1.0 / float(F)  # rounds unlike _reduce's division: results keep their bits
    for c in range(FT):
        mem[po + c] = _statistic(function, tmp[FT + c], tmp[c] * inv_F, tmp[FT + c] * inv_F)


@_inline
def _matvec(mem, tmp, po, pa, pb, T, F):
    """Matrix @ vector (the output may alias the input)."""
    for c in range(F * T):
        tmp[c] = 0.0
    for i in range(F):
        for j in range(F):
            for t in range(T):
                tmp[i * T + t] += mem[pa + (i * F + j) * T + t] * mem[pb + j * T + t]
    for c in range(F * T):
        mem[po + c] = tmp[c]


@_inline
def _matmul(mem, tmp, po, pa, pb, T, F):
    """Matrix product (the output may alias an input)."""
    FFT = F * F * T
    for c in range(FFT):
        tmp[c] = 0.0
    for i in range(F):
        for m in range(F):
            for j in range(F):
                for t in range(T):
                    tmp[(i * F + j) * T + t] += (mem[pa + (i * F + m) * T + t]
                                                 * mem[pb + (m * F + j) * T + t])
    for c in range(FFT):
        mem[po + c] = tmp[c]


@_inline
def _transpose(mem, tmp, po, pa, T, F):
    """Transpose (the output may alias the input)."""
    for c in range(F * F * T):
        tmp[c] = mem[pa + c]
    for i in range(F):
        for j in range(F):
            for t in range(T):
                mem[po + (i * F + j) * T + t] = tmp[(j * F + i) * T + t]


@_inline
def _elementwise(family, function, mem, po, pa, pb, n):
    """The elementwise routines (families _ADD to _TRANSCENDENTAL): n cells of out from
    the cells of in1 and in2 at the same places."""
    if family == _ADD:
        for c in range(n):
            mem[po + c] = mem[pa + c] + mem[pb + c]
    elif family == _SUBTRACT:
        for c in range(n):
            mem[po + c] = mem[pa + c] - mem[pb + c]
    elif family == _MULTIPLY:
        for c in range(n):
            mem[po + c] = mem[pa + c] * mem[pb + c]
    elif family == _DIVIDE:
        for c in range(n):
            mem[po + c] = mem[pa + c] / mem[pb + c]
    elif family == _MINIMUM:  # std::min(a, b) = b < a ? b : a
        for c in range(n):
            x1 = mem[pa + c]
            x2 = mem[pb + c]
            mem[po + c] = x2 if x2 < x1 else x1
    elif family == _MAXIMUM:  # std::max(a, b) = a < b ? b : a
        for c in range(n):
            x1 = mem[pa + c]
            x2 = mem[pb + c]
            mem[po + c] = x2 if x1 < x2 else x1
    elif family == _ABS:
        for c in range(n):
            mem[po + c] = abs(mem[pa + c])
    elif family == _RECIPROCAL:
        for c in range(n):
            mem[po + c] = 1.0 / mem[pa + c]
    elif family == _IS_NONNEGATIVE:
        for c in range(n):
            mem[po + c] = 1.0 if mem[pa + c] >= 0.0 else 0.0
    elif family == _IS_POSITIVE:
        for c in range(n):
            mem[po + c] = 1.0 if mem[pa + c] > 0.0 else 0.0
    else:  # _TRANSCENDENTAL
        for c in range(n):
            mem[po + c] = _transcendental(function, mem[pa + c])


@_inline
def _execute(program, values, row, mem, tmp, T, F, rng_state):
    """Run decoded instruction ``row`` for all T tasks: n cells of out from in1 (n_in
    cells) and in2, starting at cells po, pa, pb."""
    base = row * U(ROW)
    family = np.int64(program[base])
    po = program[base + U(1)]
    pa = program[base + U(2)]
    pb = program[base + U(3)]
    n = program[base + U(4)]
    n_in = program[base + U(5)]
    function = np.int64(program[base + U(6)])
    if family >= 3 * _BY_KIND:
        _elementwise(family - 3 * _BY_KIND, function, mem, po, pa, pb, F * F * T)
    elif family >= 2 * _BY_KIND:
        _elementwise(family - 2 * _BY_KIND, function, mem, po, pa, pb, F * T)
    elif family >= _BY_KIND:
        _elementwise(family - _BY_KIND, function, mem, po, pa, pb, T)
    elif family == _SCALE:  # scalar * vector or matrix
        for c in range(U(0), n, T):
            for t in range(T):
                mem[po + c + t] = mem[pa + t] * mem[pb + c + t]
    elif family == _BROADCAST:  # a scalar to a vector
        for c in range(U(0), n, T):
            for t in range(T):
                mem[po + c + t] = mem[pa + t]
    elif family == _COLUMN_BROADCAST or family == _ROW_BROADCAST:
        for i in range(F):
            for j in range(F):
                source = pa + (i if family == _COLUMN_BROADCAST else j) * T
                for t in range(T):
                    mem[po + (i * F + j) * T + t] = mem[source + t]
    elif family == _REDUCE:
        _reduce(mem, tmp, function, po, pa, n_in, T)
    elif family == _COLUMN_REDUCE or family == _ROW_REDUCE:
        _axis_reduce(mem, tmp, function, family == _ROW_REDUCE, po, pa, T, F)
    elif family == _DOT:  # the output scalar cannot alias the input vectors
        for t in range(T):
            mem[po + t] = mem[pa + t] * mem[pb + t]
        for i in range(U(1), F):
            for t in range(T):
                mem[po + t] += mem[pa + i * T + t] * mem[pb + i * T + t]
    elif family == _OUTER:
        for i in range(F):
            for j in range(F):
                for t in range(T):
                    mem[po + (i * F + j) * T + t] = mem[pa + i * T + t] * mem[pb + j * T + t]
    elif family == _MATVEC:
        _matvec(mem, tmp, po, pa, pb, T, F)
    elif family == _TRANSPOSE:
        _transpose(mem, tmp, po, pa, T, F)
    elif family == _MATMUL:
        _matmul(mem, tmp, po, pa, pb, T, F)
    elif family == _CONST_SET:  # the cell of an index fraction was found by _decode
        value = values[U(2) * row]
        for c in range(n):
            mem[po + c] = value
    elif family == _UNIFORM_SET:
        low = values[U(2) * row]
        high = values[U(2) * row + U(1)]
        for c in range(n):
            mem[po + c] = low + (high - low) * _uniform01(rng_state)
    elif family == _GAUSSIAN_SET:
        mean = values[U(2) * row]
        std = values[U(2) * row + U(1)]
        for c in range(n):
            mem[po + c] = mean + std * _gaussian(rng_state)


# -- examples and scores -------------------------------------------------------------

@_inline
def _load_example(mem, v0, features, labels, label, example, with_labels, T, F, L):
    """Copy example's features into v0 of every lane and, with_labels, its labels into
    label; lane l holds task l % T (L lanes, a multiple of T)."""
    base = U(example) * F * T
    if L == T:  # the lanes are the tasks: one copy
        for c in range(F * T):
            mem[v0 + c] = features[base + c]
    else:
        for i in range(F):
            for r in range(U(0), L, T):
                for t in range(T):
                    mem[v0 + i * L + r + t] = features[base + i * T + t]
    if with_labels:
        label_base = U(example) * T
        if L == T:
            for t in range(T):
                label[t] = labels[label_base + t]
        else:
            for r in range(U(0), L, T):
                for t in range(T):
                    label[r + t] = labels[label_base + t]


@_inline
def _score_training_step(mem, label, alive, n_alive, classification, any_classification,
                         max_abs_error, fingerprint, task_hashes, bits, T):
    """After Predict on a training example: s1 becomes sigmoid(s1) in classification
    tasks; a task whose |error| exceeds max_abs_error stops; the errors are fingerprinted.
    Returns the number of tasks still alive."""
    if any_classification:
        for t in range(T):
            if classification[t]:
                mem[T + t] = _sigmoid(mem[T + t])
    n_bad = 0  # a branch-free pass first: failures are rare
    for t in range(T):
        n_bad += not abs(label[t] - mem[T + t]) <= max_abs_error
    if n_bad or fingerprint:
        for t in range(T):
            error = abs(label[t] - mem[T + t])
            n_alive = _stop_if_bad(error, t, alive, n_alive, max_abs_error)
            if fingerprint and alive[t]:
                task_hashes[t] = _mix_float(task_hashes[t], error, bits)
    return n_alive


@_inline
def _stop_if_bad(error, t, alive, n_alive, max_abs_error):
    """Stop task t if its training error is NaN or above max_abs_error; returns the number
    of tasks still alive."""
    if not error <= max_abs_error:
        if alive[t]:
            n_alive -= U(1)
        alive[t] = False
    return n_alive


@_inline
def _place_labels(mem, v1, label, lane_classes, learn, F, L):
    """Before Predict, zero v1 of every multi-class lane; before Learn (learn), make it
    the one-hot vector of the lane's label (docs/design.md, "Multi-class tasks").  Task
    and TaskBatch.of_arrays check the labels, but the arrays stay writable: a label
    outside 0..k-1 writes nothing here and stops its task in _multiclass_outcome."""
    for lane in range(L):
        k = lane_classes[lane]
        if k:
            for i in range(F):
                mem[v1 + i * L + lane] = 0.0
            if learn and 0.0 <= label[lane] < k:
                mem[v1 + U(label[lane]) * L + lane] = 1.0


@_inline
def _multiclass_outcome(mem, v2, lane, k, label, training, F, L):
    """(error, predicted class) of a multi-class lane after Predict: the class is the first
    largest of v2's first k entries.  In training they become their softmax, the rest of
    v2 zeros, and the error is 1 - p(label); in validation it is 0 or 1.  Both are NaN
    if one of the entries is NaN or infinite, or the label is outside 0..k-1 (memory then
    left alone)."""
    if not 0.0 <= label < k:   # NaN too: never an index outside v2
        return np.nan, np.nan
    top = mem[v2 + lane]
    predicted = U(0)
    finite = True
    for i in range(U(k)):
        x = mem[v2 + i * L + lane]
        finite &= np.isfinite(x)
        if x > top:
            top = x
            predicted = i
    if not finite:
        return np.nan, np.nan
    if not training:
        return 0.0 if predicted == label else 1.0, float(predicted)
    total = 0.0
    for i in range(U(k)):
        p = np.exp(mem[v2 + i * L + lane] - top)
        mem[v2 + i * L + lane] = p
        total += p
    for i in range(U(k)):
        mem[v2 + i * L + lane] /= total
    for i in range(U(k), F):
        mem[v2 + i * L + lane] = 0.0
    return 1.0 - mem[v2 + U(label) * L + lane], float(predicted)


@_inline
def _score_multiclass_training_step(mem, label, alive, n_alive, classification, lane_classes,
                                    v2, max_abs_error, fingerprint, task_hashes, bits, F, T):
    """_score_training_step for lanes of which some are multi-class, one lane at a time:
    those get _multiclass_outcome's softmax and error, and their fingerprint hashes the
    probabilities."""
    for t in range(T):
        k = lane_classes[t]
        if k:
            error = _multiclass_outcome(mem, v2, t, k, label[t], True, F, T)[0]
        else:
            if classification[t]:
                mem[T + t] = _sigmoid(mem[T + t])
            error = abs(label[t] - mem[T + t])
        n_alive = _stop_if_bad(error, t, alive, n_alive, max_abs_error)
        if fingerprint and alive[t]:
            if k:
                for i in range(U(k)):
                    task_hashes[t] = _mix_float(task_hashes[t], mem[v2 + i * T + t], bits)
            else:
                task_hashes[t] = _mix_float(task_hashes[t], error, bits)
    return n_alive


@_inline
def _score_regression_example(mem, label, loss, alive, n_alive, max_abs_error, T):
    """After Predict on a validation example of regression tasks, without fingerprints
    or recorded predictions: add the squared errors to loss; a task whose |error|
    exceeds max_abs_error stops.  Returns the number of tasks still alive."""
    n_bad = 0
    for t in range(T):
        error = label[t] - mem[T + t]
        loss[t] += error * error  # dead tasks accumulate harmlessly
        n_bad += not abs(error) <= max_abs_error
    if n_bad:
        for t in range(T):
            if alive[t] and not abs(label[t] - mem[T + t]) <= max_abs_error:
                alive[t] = False
                n_alive -= U(1)
    return n_alive


@_inline
def _score_validation_example(mem, label, loss, alive, n_alive, classification,
                              any_classification, lane_classes, any_multiclass, v2,
                              max_abs_error, fingerprint, task_hashes, bits, record, predictions,
                              example, F, T):
    """After Predict on a validation example, in general: records the predictions (the
    class, in multi-class lanes), adds the squared errors (0/1 errors of sigmoid(s1) or of
    the class in classification tasks) to loss, fingerprints them, stops tasks as
    _score_regression_example does."""
    for t in range(T):
        error = label[t] - mem[T + t]
        if record:
            predictions[example, t] = mem[T + t]
        if any_multiclass and lane_classes[t]:
            error, predicted = _multiclass_outcome(mem, v2, t, lane_classes[t], label[t], False,
                                                   F, T)
            if record:
                predictions[example, t] = predicted
        elif any_classification and classification[t]:
            error = 0.0 if (label[t] > 0.5) == (_sigmoid(mem[T + t]) > 0.5) else 1.0
        if abs(error) <= max_abs_error:  # dead tasks accumulate harmlessly
            loss[t] += error * error
            if fingerprint and alive[t]:
                task_hashes[t] = _mix_float(task_hashes[t], abs(error), bits)
        elif alive[t]:
            alive[t] = False
            n_alive -= U(1)
    return n_alive


@_inline
def _task_fitness(alive, classification, loss, n_valid):
    """One task's fitness from its summed validation loss (docs/design.md, "Fitness");
    0 without validation examples."""
    if not alive or n_valid == 0:
        return 0.0
    if classification:
        return 1.0 - loss / n_valid
    squashed = 1.0 - (2.0 / np.pi) * np.arctan(np.sqrt(loss / n_valid))
    return squashed if np.isfinite(squashed) else 0.0


# -- the kernel ----------------------------------------------------------------------

def _make_kernel(n_tasks, n_features, multiclass=False):
    """The kernel for n_tasks tasks of n_features features; 0 means any number.
    multiclass: it runs batches with multi-class tasks, whose code the others leave out.

    A kernel with constants T = 1 (and F) has no per-task loops, and the cell loops of
    its elementwise routines have constant trip counts that LLVM unrolls, where the
    general kernel reads T and F from the arrays (docs/design.md, "Execution").  Only the
    general kernel runs the algorithms of a group side by side (``group``): in the others
    the lanes are always the T tasks.  Numba compiles each kernel on first use and caches
    it in files of its own, named by its qualified name: kernels sharing one cache index
    could, compiled at the same time by two processes, be saved under each other's entry."""
    grouping = n_tasks == 0

    def kernel(code, data, offsets, sizes, train_x, train_y, valid_x, valid_y,
               classification, n_classes, n_train, n_valid, max_abs_error, mem, n_scalars,
               n_vectors, n_matrices, fresh_memory, rng_state, rng_reseed, fingerprint,
               n_epochs, lanes, fitness, train_steps, hashes, status, predictions, record):
        """Run B algorithms on T tasks side by side; ``run`` documents the arguments."""
        T = U(train_y.shape[1]) if n_tasks == 0 else U(n_tasks)
        F = U(train_x.shape[1]) if n_features == 0 else U(n_features)
        n_programs = offsets.shape[0]
        group = member = group_start = group_members = lanes[:0]
        if grouping:
            if lanes.shape[0]:  # lane_groups' arrays, packed by run
                group = lanes[:n_programs]
                member = lanes[n_programs:2 * n_programs]
                n_groups = lanes[2 * n_programs]
                group_start = lanes[2 * n_programs + 1:2 * n_programs + 2 + n_groups]
                group_members = lanes[2 * n_programs + 2 + n_groups:]
        train_features = train_x.reshape(-1)
        train_labels = train_y.reshape(-1)
        valid_features = valid_x.reshape(-1)
        valid_labels = valid_y.reshape(-1)
        any_classification = classification.any()
        any_multiclass = multiclass  # a constant: the other kernels drop its code
        fast_validation = not (any_classification or record or fingerprint)
        per_lane = U(n_scalars) + U(n_vectors) * F + U(n_matrices) * F * F
        widest = T  # the most lanes of a run: T tasks, or a group's members x T tasks
        for k in range(group_start.shape[0] - 1):
            widest = max(widest, U(group_start[k + 1] - group_start[k]) * T)
        tmp = np.empty(F * F * widest + 2 * F * widest)  # scratch for aliasing-safe ops
        longest = 0
        for b in range(sizes.shape[0]):
            longest = max(longest, sizes[b, 0] + sizes[b, 1] + sizes[b, 2])
        program = np.empty(longest * ROW, np.uint64)
        values = np.empty(2 * longest)
        # per lane (few allocations: each costs more than a view)
        floats = np.empty(3 * widest + 1)
        loss = floats[:widest]
        label = floats[widest:2 * widest]
        best = floats[2 * widest:3 * widest]  # the best fitness of the epochs so far
        bits = floats[3 * widest:]            # a float64 cell, hashed as uint64
        flags = np.empty(3 * widest + group_members.shape[0], np.bool_)
        alive = flags[:widest]
        trained = flags[widest:2 * widest]    # alive after the epoch's training
        lane_classification = flags[2 * widest:3 * widest]
        member_ok = flags[3 * widest:]        # per member of a group, its status is OK
        counts = np.empty(3 * widest, np.uint64)
        task_hashes = counts[:widest]
        steps = counts[widest:2 * widest]
        lane_classes = counts[2 * widest:]
        store = np.zeros(U(group_members.shape[0]) * T * per_lane if grouping else U(0))
        if n_train > 0:
            first_phase = _TRAIN_PREDICT
        elif n_valid > 0:
            first_phase = _VALID_PREDICT
        else:
            first_phase = _DONE

        for b in range(offsets.shape[0]):
            k = -1  # b's group, or -1 when it runs alone
            if grouping:  # a constant: numba drops the grouping code of the other kernels
                if group.shape[0]:
                    k = group[b]
            status[b] = _check_program(code, data, offsets[b],
                                       offsets[b] + sizes[b, 0] + sizes[b, 1] + sizes[b, 2],
                                       n_scalars, n_vectors, n_matrices)
            ok = status[b] == OK
            train_steps[b] = 0
            if not ok:
                fitness[b, :] = 0.0
            last = True   # whether the lanes run after b's Setup
            source = b    # the program whose Predict and Learn they run
            if grouping:
                if k >= 0:
                    member_ok[member[b]] = ok
                    last = group_members[group_start[k + 1] - 1] == b
                    if last:
                        for j in range(group_start[k], group_start[k + 1]):
                            if member_ok[j]:
                                source = group_members[j]
                        ok = ok or member_ok[member[source]]
            if not ok:
                continue
            # Setup runs on mem as T lanes; the examples too, or for the last member of a
            # group as L lanes: the group's members x T tasks (mem has room for them).
            L = T
            setup_rows = 0
            first_part = 1
            if status[b] == OK:
                setup_rows = _decode(code, data, offsets[b], offsets[b] + sizes[b, 0],
                                     (U(0), U(n_scalars) * T,
                                      U(n_scalars) * T + U(n_vectors) * F * T),
                                     (T, F * T, F * F * T), F, program, values, 0)
                if rng_reseed >= 0:
                    rng_state[0] = U(rng_reseed)
                if fresh_memory:
                    for c in range(per_lane * T):
                        mem[c] = 0.0
                    first_part = 0
            n_alive = U(0)
            predict_row = learn_row = learn_stop_row = 0
            v0 = U(n_scalars) * T
            stopped = False  # every lane failed in training
            for part in range(first_part, 1 + n_epochs):  # 0: Setup; 1, 2...: the epochs
                epoch = part - 1
                if part == 0:
                    phase = _SETUP
                elif part > 1:  # keep the best fitness; train again from where it stopped
                    if stopped:
                        break
                    n_alive = U(0)
                    for lane in range(L):
                        fit = _task_fitness(alive[lane], lane_classification[lane], loss[lane],
                                            n_valid)
                        if fit > best[lane]:
                            best[lane] = fit
                        loss[lane] = 0.0
                        alive[lane] = trained[lane]
                        if alive[lane]:
                            n_alive += U(1)
                    if n_alive == 0:
                        break
                    phase = _TRAIN_PREDICT
                else:  # the lanes of the run, their Predict and Learn
                    if grouping:
                        if k >= 0:
                            first = group_start[k]
                            L = U(group_start[k + 1] - first) * T
                            block = U(first) * T * per_lane
                            for c in range(L * per_lane):
                                mem[c] = store[block + c]
                    first_cell = (U(0), U(n_scalars) * L, U(n_scalars) * L + U(n_vectors) * F * L)
                    cells = (L, F * L, F * F * L)
                    v0 = first_cell[1]
                    start = offsets[source] + sizes[source, 0]
                    predict_row = setup_rows
                    learn_row = _decode(code, data, start, start + sizes[source, 1], first_cell,
                                        cells, F, program, values, predict_row)
                    learn_stop_row = _decode(code, data, start + sizes[source, 1],
                                             start + sizes[source, 1] + sizes[source, 2],
                                             first_cell, cells, F, program, values, learn_row)
                    n_alive = U(0)
                    for r in range(U(0), L, T):  # the lanes of one member: T tasks
                        ok = True
                        if grouping:
                            if k >= 0:
                                ok = member_ok[group_start[k] + np.int64(r // T)]
                        for t in range(T):
                            lane = r + t
                            alive[lane] = ok
                            if ok:
                                n_alive += U(1)
                            loss[lane] = 0.0
                            task_hashes[lane] = _HASH_SEED
                            steps[lane] = 0
                            best[lane] = 0.0
                            lane_classification[lane] = classification[t]
                            lane_classes[lane] = n_classes[t]
                    phase = first_phase
                example = 0
                while phase != _DONE:
                    # -- before the component: load the example (no array views here:
                    # a view per example costs reference counting in the hot loop) ----
                    if phase == _SETUP:
                        lo = 0
                        hi = setup_rows
                    else:
                        if phase == _VALID_PREDICT:
                            _load_example(mem, v0, valid_features, valid_labels, label, example,
                                          True, T, F, L)
                        else:  # Learn reuses the labels Predict loaded
                            _load_example(mem, v0, train_features, train_labels, label,
                                          epoch * n_train + example, phase == _TRAIN_PREDICT,
                                          T, F, L)
                        if phase == _TRAIN_LEARN:
                            for lane in range(L):
                                mem[lane] = label[lane]
                            lo = learn_row
                            hi = learn_stop_row
                        else:
                            for lane in range(L):
                                mem[lane] = 0.0
                            lo = predict_row
                            hi = learn_row
                        if any_multiclass:
                            _place_labels(mem, v0 + F * L, label, lane_classes,
                                          phase == _TRAIN_LEARN, F, L)

                    # -- the component: one dispatch per instruction for all lanes ---
                    for row in range(U(lo), U(hi)):
                        _execute(program, values, row, mem, tmp, L, F, rng_state)

                    # -- after the component: errors, losses, next phase -------------
                    if phase == _SETUP:
                        phase = _DONE
                    elif phase == _TRAIN_PREDICT:
                        if L == T:  # the lanes are one program's tasks
                            steps[0] += n_alive
                        else:
                            for lane in range(L):
                                if alive[lane]:
                                    steps[lane] += U(1)
                        if any_multiclass:
                            n_alive = _score_multiclass_training_step(
                                mem, label, alive, n_alive, lane_classification, lane_classes,
                                v0 + U(2) * F * L, max_abs_error, fingerprint, task_hashes,
                                bits, F, L)
                        else:
                            n_alive = _score_training_step(mem, label, alive, n_alive,
                                                           lane_classification,
                                                           any_classification, max_abs_error,
                                                           fingerprint, task_hashes, bits, L)
                        if n_alive == 0:
                            phase = _DONE
                            stopped = True
                        else:
                            phase = _TRAIN_LEARN
                    elif phase == _TRAIN_LEARN:
                        example += 1
                        if example >= n_train:
                            example = 0
                            phase = _VALID_PREDICT if n_valid > 0 else _DONE
                            for lane in range(L):
                                trained[lane] = alive[lane]
                        else:
                            phase = _TRAIN_PREDICT
                    else:
                        if fast_validation:
                            n_alive = _score_regression_example(mem, label, loss, alive, n_alive,
                                                                max_abs_error, L)
                        else:
                            n_alive = _score_validation_example(
                                mem, label, loss, alive, n_alive, lane_classification,
                                any_classification, lane_classes, any_multiclass,
                                v0 + U(2) * F * L, max_abs_error, fingerprint, task_hashes,
                                bits, record, predictions, example, F, L)
                        example += 1
                        if example >= n_valid or (n_alive == 0 and not record
                                                  and part == n_epochs):
                            phase = _DONE
                if part == 0 and grouping:
                    if k >= 0:  # keep the member's memory in its lanes of the group
                        first = group_start[k]
                        width = U(group_start[k + 1] - first) * T
                        at = U(first) * T * per_lane + U(member[b] - first) * T
                        for c in range(per_lane):
                            for t in range(T):
                                store[at + c * width + t] = mem[c * T + t]
                        if not last:
                            break

            if not last:
                continue
            for r in range(U(0), L, T):  # lanes r + t: a member (program) and its T tasks
                owner = b
                if grouping:
                    if k >= 0:
                        j = group_start[k] + np.int64(r // T)
                        if not member_ok[j]:
                            continue
                        owner = group_members[j]
                for t in range(T):
                    lane = r + t
                    fit = _task_fitness(alive[lane], classification[t], loss[lane], n_valid)
                    fitness[owner, t] = best[lane] if best[lane] > fit else fit
                    train_steps[owner] += np.int64(steps[lane])
                    if fingerprint:
                        hashes[owner, t] = _mix(_mix(task_hashes[lane], U(t)), U(n_train))

    kernel.__qualname__ += "_%d_%d%s" % (n_tasks, n_features, "_multiclass" * multiclass)
    return njit(cache=True, error_model="numpy", nogil=True)(kernel)


# The kernels, by (T, F): one task alone, with F = 4 (the shipped configs' features)
# or any F; several tasks side by side; and any tasks, multi-class ones among them.
_KERNELS = {key: _make_kernel(*key) for key in ((1, 4), (1, 0), (0, 0))}
_MULTICLASS_KERNEL = _make_kernel(0, 0, multiclass=True)


def _kernel_for(n_tasks, n_features, multiclass):
    """The kernel that runs a batch of n_tasks tasks (0: algorithms side by side) of
    n_features features, multi-class ones among them if multiclass."""
    if multiclass:
        return _MULTICLASS_KERNEL
    if n_tasks != 1:
        return _KERNELS[0, 0]
    return _KERNELS.get((1, n_features), _KERNELS[1, 0])


# -- algorithms side by side ----------------------------------------------------------

# Op codes whose instructions draw random numbers (uniform_set, gaussian_set).
_DRAWS = np.array([op.family in ("uniform_set", "gaussian_set") for op in ops.OPS])
# Lanes side by side are sought only among one or a few tasks, where a dispatch has
# little to share; at most LANES lanes (members x tasks) form one run.
LANE_TASKS = 4
LANES = 128
_NO_GROUPS = np.zeros(0, np.int64)


@_inline
def _same_predict_learn(code, bits, offsets, sizes, a, b):
    """Whether programs a and b have the same Predict and Learn, bit for bit (bits: the
    data as uint64)."""
    if sizes[a, 1] != sizes[b, 1] or sizes[a, 2] != sizes[b, 2]:
        return False
    ra = offsets[a] + sizes[a, 0]
    rb = offsets[b] + sizes[b, 0]
    for r in range(sizes[a, 1] + sizes[a, 2]):
        for c in range(4):
            if code[ra + r, c] != code[rb + r, c]:
                return False
        for c in range(3):
            if bits[ra + r, c] != bits[rb + r, c]:
                return False
    return True


@njit(cache=True)
def _lane_groups(code, bits, offsets, sizes, least, most):
    """Groups of the programs whose Predict and Learn are the same, bit for bit, and draw
    no random numbers, in program order: the programs of a kind of at least ``least``
    split into groups of at most ``most`` (as equal as can be); the others run alone.
    bits: the programs' data as uint64.  Returns (group, member, group_start,
    group_members): group[b] is b's group or -1, member[b] its index in group_members,
    where group k has group_members[group_start[k]:group_start[k + 1]].  (Only np.empty,
    which the kernels use too: each other allocation function costs compile time.)"""
    n = offsets.shape[0]
    size = 1
    while size < 2 * n:
        size *= 2
    keys = np.empty(n, np.uint64)
    work = np.empty(6 * n + size + 1, np.int64)
    like = work[:n]               # the first program of b's kind, or -1
    kind_count = work[n:2 * n]    # per first program, the programs of its kind
    first_group = work[2 * n:3 * n]  # per kind, its first group
    seen = work[3 * n:4 * n]      # per kind, its programs so far
    group = work[4 * n:5 * n]
    member = work[5 * n:6 * n]
    count = work[6 * n:7 * n + 1]  # members per group (reuses table's room)
    table = work[6 * n:6 * n + size]  # open addressing: first programs, by key
    for b in range(n):
        like[b] = kind_count[b] = first_group[b] = group[b] = member[b] = -1
        seen[b] = 0
    for slot in range(size):
        table[slot] = -1
    for b in range(n):
        start = offsets[b] + sizes[b, 0]
        h = _mix(_mix(U(17), U(sizes[b, 1])), U(sizes[b, 2]))
        groupable = True
        for r in range(start, start + sizes[b, 1] + sizes[b, 2]):
            op = code[r, 0]
            if op < 0 or op >= _DRAWS.shape[0] or _DRAWS[op]:
                groupable = False
                break
            for c in range(4):
                h = _mix(h, U(code[r, c] & 0xFFFFFFFF))
            for c in range(3):
                h = _mix(h, bits[r, c])
        keys[b] = h
        if not groupable:
            continue
        slot = h & U(size - 1)
        while table[slot] >= 0:
            first = table[slot]
            if keys[first] == h and _same_predict_learn(code, bits, offsets, sizes, first, b):
                like[b] = first
                break
            slot = (slot + U(1)) & U(size - 1)
        if like[b] < 0:
            table[slot] = like[b] = b
    for b in range(n):
        kind_count[b] = 0
    for b in range(n):
        if like[b] >= 0:
            kind_count[like[b]] += 1
    for g in range(n + 1):
        count[g] = 0
    n_groups = 0
    for b in range(n):
        kind = like[b]
        if kind < 0 or kind_count[kind] < max(least, 2):
            continue
        n_split = (kind_count[kind] + most - 1) // most
        if first_group[kind] < 0:
            first_group[kind] = n_groups
            n_groups += n_split
        g = first_group[kind] + seen[kind] * n_split // kind_count[kind]
        seen[kind] += 1
        group[b] = g
        count[g] += 1
    group_start = np.empty(n_groups + 1, np.int64)
    group_start[0] = 0
    for g in range(n_groups):
        group_start[g + 1] = group_start[g] + count[g]
    group_members = np.empty(group_start[n_groups], np.int64)
    for g in range(n_groups):
        count[g] = group_start[g]  # now: where group g's next member goes
    for b in range(n):
        g = group[b]
        if g >= 0:
            member[b] = count[g]
            group_members[count[g]] = b
            count[g] += 1
    return group.copy(), member.copy(), group_start, group_members


def lane_groups(programs: Programs, n_tasks: int):
    """The groups of programs that ``run`` runs side by side on n_tasks tasks, as
    ``_lane_groups`` returns them, or None when it runs them one by one (docs/design.md,
    "Execution"): with more than LANE_TASKS tasks, and on one task unless groups of at
    least 4 hold 80% of the programs (the one-task kernels, which cannot group, run an
    algorithm about twice as fast as the general one, and 2 or 3 lanes are not faster)."""
    n = len(programs.offsets)
    if n_tasks > LANE_TASKS or n < 2:
        return None
    groups = _lane_groups(programs.code, programs.data.view(U), programs.offsets, programs.sizes,
                          4 if n_tasks == 1 else 2, max(1, LANES // n_tasks))
    n_grouped = len(groups[3])
    if not n_grouped or (n_tasks == 1 and 4 * (n - n_grouped) > n_grouped):
        return None
    return groups


# -- the entry point -----------------------------------------------------------------

class RunResult(NamedTuple):
    """What ``run`` returns for B programs on T tasks."""
    fitness: np.ndarray                  # (B, T); 0 for a stopped task or a bad program
    train_steps: np.ndarray              # (B,) training examples processed, over all tasks
    hashes: Optional[np.ndarray]         # (B, T) uint64 error fingerprints, or None
    status: np.ndarray                   # (B,) OK, BAD_OP, BAD_ADDRESS or BAD_INDEX
    predictions: Optional[np.ndarray]    # (n_valid, T) of the last program, or None


def check_multiclass_memory(memory):
    """ValueError, one line, unless memory has the 3 vectors multi-class tasks need."""
    if memory[1] < 3:
        raise ValueError("multi-class tasks need memory with at least 3 vectors (v1 the "
                         "label, v2 the prediction), got %d" % memory[1])


def memory_size(memory, n_features, n_tasks):
    """Cells of the flat memory array for a Memory, F features and T tasks."""
    scalars, vectors, matrices = memory
    return (scalars + vectors * n_features + matrices * n_features * n_features) * n_tasks


def run(programs: Programs, tasks: TaskBatch, *, memory: Memory, rng_state: np.ndarray,
        n_train: Optional[int] = None, n_valid: Optional[int] = None,
        max_abs_error: float = 100.0, rng_reseed: int = -1, fingerprint: bool = False,
        cells: Optional[np.ndarray] = None, fresh_memory: bool = True,
        record_predictions: bool = False, epochs: Optional[int] = None) -> RunResult:
    """Run every program on every task of the batch (docs/design.md, "Execution").

    memory: the ``Memory`` the programs address (a program outside it gets a bad status).
    rng_state: the random ops' generator state (uint64[1]), advanced in place; with
    rng_reseed >= 0 the random ops restart from that seed for each program instead and
    rng_state is left alone.  n_train / n_valid: use only the first examples of each
    task (default all).  max_abs_error: a larger |error| (or NaN) stops a task with
    fitness 0.  fingerprint: hash the per-example errors.
    cells: the flat memory (``memory_size`` float64 cells) for a caller that keeps it
    between runs (default: a new one, and only then may algorithms that share Predict and
    Learn run side by side, ``lane_groups``); with fresh_memory each program starts from zeroed
    memory and runs Setup, without it the cells are used as they are and Setup is skipped.
    record_predictions: return the last program's validation predictions.
    epochs: train and validate this many epochs, at most the batch's ``epochs`` (default
    all of them; 1 for a fingerprint of the first epoch); a run on a prefix of the
    training examples (n_train) or without any has one epoch.
    Flags are bools: other types would compile the kernel again.  TypeError or
    ValueError, one line, unless programs and tasks are a Programs and a TaskBatch (which
    check their arrays when built), memory passes ``check_memory`` and rng_state is a
    uint64 array of shape (1,).
    """
    if not isinstance(programs, Programs):
        raise TypeError("programs must be an azdeap.programs.Programs, got %s"
                        % type(programs).__name__)
    if not isinstance(tasks, TaskBatch):
        raise TypeError("tasks must be an azdeap.tasks.TaskBatch, got %s" % type(tasks).__name__)
    if memory is not _PASSED[0] or rng_state is not _PASSED[1]:
        scalars, vectors, matrices = memory = (memory if type(memory) is Memory
                                               else check_memory(memory))
        if not (type(scalars) is type(vectors) is type(matrices) is int and scalars >= 2
                and vectors >= 1 and matrices >= 0):
            memory = check_memory(memory)
        if (type(rng_state) is not np.ndarray or rng_state.dtype is not _UINT64
                or rng_state.shape != (1,)):
            check_array(rng_state, "rng_state", U, (1,))
        _PASSED[:] = memory, rng_state
    if tasks.multiclass:
        check_multiclass_memory(memory)
    n_tasks = tasks.n_tasks
    size = memory_size(memory, tasks.n_features, n_tasks)
    groups = None
    if cells is None:
        if not fresh_memory:
            raise ValueError("fresh_memory=False continues from given cells")
        if not record_predictions and n_tasks <= LANE_TASKS:
            groups = lane_groups(programs, n_tasks)
        if groups is not None:  # room for the lanes of the largest group
            size *= int(np.diff(groups[2]).max())
        cells = np.empty(size)
    elif (type(cells) is not np.ndarray or cells.shape != (size,) or cells.dtype != np.float64
          or not cells.flags.c_contiguous):
        raise ValueError("cells must be %d contiguous float64 values for memory %r, %d "
                         "features and %d tasks" % (size, tuple(memory), tasks.n_features,
                                                    n_tasks))
    n_train = (tasks.n_train if n_train is None
               else min(check_integer(n_train, "n_train", 0), tasks.n_train))
    n_valid = (tasks.n_valid if n_valid is None
               else min(check_integer(n_valid, "n_valid", 0), tasks.n_valid))
    if epochs is not None:
        epochs = check_integer(epochs, "epochs", 1)
        if epochs > tasks.epochs:
            raise ValueError("epochs must be an integer in 1..%d (the tasks' epochs), got %r"
                             % (tasks.epochs, epochs))
    train_x, train_y, n_epochs = tasks.train_x, tasks.train_y, 1
    if tasks.epochs > 1 and epochs != 1 and 0 < n_train == tasks.n_train:
        train_x, train_y = tasks.epoch_train_x, tasks.epoch_train_y
        n_epochs = tasks.epochs if epochs is None else epochs
    if rng_reseed >= 0:
        rng_state = np.zeros(1, np.uint64)
    n_programs = len(programs.offsets)
    fitness = np.empty((n_programs, n_tasks))
    train_steps = np.empty(n_programs, np.int64)
    hashes = np.empty((n_programs, n_tasks), np.uint64) if fingerprint else _NO_HASHES
    status = np.empty(n_programs, np.int64)
    predictions = np.empty((n_valid, n_tasks)) if record_predictions else _NO_PREDICTIONS
    scalars, vectors, matrices = memory
    kernel = _kernel_for(n_tasks if groups is None else 0, tasks.n_features,
                         tasks.multiclass)
    if groups is None:
        lanes = _NO_GROUPS
    else:
        group, member, group_start, group_members = groups
        lanes = np.concatenate((group, member, [len(group_start) - 1], group_start,
                                group_members))
    kernel(programs.code, programs.data, programs.offsets, programs.sizes, train_x,
           train_y, tasks.valid_x, tasks.valid_y, tasks.classification, tasks.n_classes,
           n_train, n_valid, float(max_abs_error), cells, scalars, vectors, matrices,
           fresh_memory, rng_state, rng_reseed, fingerprint, n_epochs, lanes, fitness,
           train_steps, hashes, status, predictions, record_predictions)
    return RunResult(fitness, train_steps, hashes if fingerprint else None, status,
                     predictions if record_predictions else None)
