"""The numba interpreter: runs algorithms on all tasks of a batch side by side.

The memory of all tasks is one flat float64 array: the scalars, then the vectors,
then the matrices, each cell holding its T task values contiguously.  Scalar
``a`` of task ``t`` is ``mem[a*T + t]``; vector entry ``i`` is
``mem[vectors + (a*F + i)*T + t]``; matrix entry ``(i, j)`` is
``mem[matrices + ((a*F + i)*F + j)*T + t]``.  Each instruction is dispatched once
for all T tasks, and the per-task loops run over contiguous cells with unsigned
indices, which LLVM vectorizes.  An elementwise op is one loop for all three
kinds: only its width (T, F*T or F*F*T cells) differs.

The dispatch loop is written once: a small state machine walks through Setup,
then Predict/Learn per training example, then Predict per validation example.
"""
import numpy as np
from numba import njit

from azdeap import ops

U = np.uint64
_IN1_KIND = ops.IN1_KIND.copy()
_IN2_KIND = ops.IN2_KIND.copy()
_OUT_KIND = ops.OUT_KIND.copy()
_INDEXED_DATA = np.array([op.data in (ops.VECTOR_CONST, ops.MATRIX_CONST) for op in ops.OPS])

# Elementwise ops, the same for scalars, vectors and matrices (codes s, v, m).
_ADD, _SUB, _MUL, _DIV, _MIN, _MAX, _ABS, _RECIPROCAL, _HEAVISIDE = range(1, 10)
_ELEMENTWISE_CODES = {_ADD: (1, 23, 39), _SUB: (2, 24, 40), _MUL: (3, 25, 41),
                      _DIV: (4, 26, 42), _MIN: (44, 45, 46), _MAX: (47, 48, 49),
                      _ABS: (5, 22, 38), _RECIPROCAL: (6, 20, 30), _HEAVISIDE: (15, 16, 17)}
_ELEMENTWISE = np.zeros(ops.NUM_OPS, np.int64)
for _function, _codes in _ELEMENTWISE_CODES.items():
    _ELEMENTWISE[list(_codes)] = _function
# Reductions to a scalar: norm, mean, std of a vector (21, 50, 54) or matrix (34, 51, 55).
_NORM, _MEAN, _STD = 1, 2, 3
_REDUCTION = np.zeros(ops.NUM_OPS, np.int64)
_REDUCTION[[21, 34]] = _NORM
_REDUCTION[[50, 51]] = _MEAN
_REDUCTION[[54, 55]] = _STD

# Status codes returned per algorithm.
OK, BAD_OP, BAD_ADDRESS, BAD_INDEX = 0, 1, 2, 3

# Phases of the state machine.
_SETUP, _TRAIN_PREDICT, _TRAIN_LEARN, _VALID_PREDICT, _DONE = 0, 1, 2, 3, 4

_HASH_SEED = U(42)


def memory_size(memory, n_features, n_tasks):
    """Cells of the flat memory array for a Memory, F features and T tasks."""
    scalars, vectors, matrices = memory
    return (scalars + vectors * n_features + matrices * n_features * n_features) * n_tasks


@njit(cache=True, inline="always")
def _next_u64(state):
    """splitmix64: a small, fast generator whose whole state is one uint64."""
    state[0] += U(0x9E3779B97F4A7C15)
    z = state[0]
    z = (z ^ (z >> U(30))) * U(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> U(27))) * U(0x94D049BB133111EB)
    return z ^ (z >> U(31))


@njit(cache=True, inline="always")
def _uniform01(state):
    """Uniform on the open interval (0, 1)."""
    return ((_next_u64(state) >> U(11)) + 0.5) * (1.0 / 9007199254740992.0)


@njit(cache=True, inline="always")
def _gaussian(state):
    """Standard normal (Box-Muller)."""
    return np.sqrt(-2.0 * np.log(_uniform01(state))) * np.cos(
        2.0 * np.pi * _uniform01(state))


@njit(cache=True, inline="always")
def _mix(h, value):
    """Combine a 64-bit value into a running hash (boost-style, 64-bit)."""
    return h ^ (value + U(0x9E3779B97F4A7C15) + (h << U(6)) + (h >> U(2)))


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
        if _INDEXED_DATA[op]:
            for f in range(op - 56):  # 57 has one index fraction, 58 two
                if not (0.0 <= data[k, f] < 1.0):
                    return BAD_INDEX
    return OK


@njit(cache=True, error_model="numpy", nogil=True)
def run_batch(code, data, offsets, sizes, train_x, train_y, valid_x, valid_y,
              classification, n_train, n_valid, max_abs_error, mem, memory_sizes,
              fresh_memory, rng_state, rng_reseed, fingerprint, fitness, train_steps,
              hashes, status, predictions):
    """Run B algorithms on T tasks side by side.

    code, data: the instructions of all algorithms stacked; algorithm b starts at
    row offsets[b] with component sizes sizes[b] (Setup, Predict, Learn).
    train_x (N, F, T), train_y (N, T), valid_x, valid_y likewise; the first
    n_train / n_valid examples are used.  classification (T,) bool.
    mem: the flat memory (see the module docstring; ``memory_size`` cells) for
    memory_sizes = (scalars, vectors, matrices).  With fresh_memory each
    algorithm starts from zeroed memory and runs Setup; without it the memory is
    kept as it is and Setup is skipped (a Learner continuing its work).
    rng_state: the random ops' generator state (uint64[1]), advanced in place; with
    rng_reseed >= 0 it is reset to rng_reseed before each algorithm.
    Outputs: fitness (B, T), train_steps (B,), status (B,); with fingerprint,
    hashes (B, T) of the per-example absolute errors; predictions (n_valid, T)
    gets the validation predictions of the last algorithm when it has n_valid rows.
    """
    train_features = train_x.reshape(-1)
    train_labels = train_y.reshape(-1)
    valid_features = valid_x.reshape(-1)
    valid_labels = valid_y.reshape(-1)
    any_classification = classification.any()
    T = U(train_y.shape[1])
    F = U(train_x.shape[1])
    FT = F * T
    FFT = F * FT
    n_scalars, n_vectors, n_matrices = memory_sizes[0], memory_sizes[1], memory_sizes[2]
    width = (T, FT, FFT)                     # cells of one scalar, vector, matrix
    start = (U(0), U(n_scalars) * T, U(n_scalars) * T + U(n_vectors) * FT)
    v0 = start[1]                            # the features
    record = predictions.shape[0] >= n_valid
    tmp = np.empty(FFT + 2 * FT)             # scratch for aliasing-safe ops
    longest = 0
    for b in range(sizes.shape[0]):
        longest = max(longest, sizes[b, 0] + sizes[b, 1] + sizes[b, 2])
    operands = np.empty((longest, 4), np.uint64)  # first cell of out, in1, in2; out width
    loss = np.empty(T)
    alive = np.empty(T, dtype=np.bool_)
    label = np.empty(T)
    error_bits = np.empty(1)  # a float64 cell viewed as uint64 for hashing
    error_bits_u64 = error_bits.view(np.uint64)
    inv_F = 1.0 / float(F)

    for b in range(offsets.shape[0]):
        setup_start = offsets[b]
        predict_start = setup_start + sizes[b, 0]
        learn_start = predict_start + sizes[b, 1]
        learn_stop = learn_start + sizes[b, 2]
        status[b] = _check_program(code, data, setup_start, learn_stop,
                                   n_scalars, n_vectors, n_matrices)
        train_steps[b] = 0
        if status[b] != OK:
            fitness[b, :] = 0.0
            continue
        for k in range(setup_start, learn_stop):  # decode the operands once
            op = code[k, 0]
            row = k - setup_start
            for column, kind in ((3, _OUT_KIND[op]), (1, _IN1_KIND[op]), (2, _IN2_KIND[op])):
                operands[row, column % 3] = (start[kind] + U(code[k, column]) * width[kind]
                                             if kind >= 0 else U(0))
            operands[row, 3] = width[_OUT_KIND[op]] if _OUT_KIND[op] >= 0 else U(0)
        if rng_reseed >= 0:
            rng_state[0] = U(rng_reseed)
        if fresh_memory:
            mem[:] = 0.0
        for t in range(T):
            alive[t] = True
            loss[t] = 0.0
            hashes[b, t] = _HASH_SEED
        n_alive = T
        if n_train > 0:
            first_phase = _TRAIN_PREDICT
        elif n_valid > 0:
            first_phase = _VALID_PREDICT
        else:
            first_phase = _DONE
        phase = _SETUP if fresh_memory else first_phase
        example = 0
        while phase != _DONE:
            # -- before the component: load the example (no array views here:
            # a view per example costs reference counting in the hot loop) ----
            if phase == _SETUP:
                lo = setup_start
                hi = predict_start
            else:
                base = U(example) * FT
                label_base = U(example) * T
                if phase == _VALID_PREDICT:
                    for c in range(FT):
                        mem[v0 + c] = valid_features[base + c]
                    for t in range(T):
                        label[t] = valid_labels[label_base + t]
                else:
                    for c in range(FT):
                        mem[v0 + c] = train_features[base + c]
                    if phase == _TRAIN_PREDICT:  # Learn reuses the labels Predict loaded
                        for t in range(T):
                            label[t] = train_labels[label_base + t]
                if phase == _TRAIN_LEARN:
                    for t in range(T):
                        mem[t] = label[t]
                    lo = learn_start
                    hi = learn_stop
                else:
                    for t in range(T):
                        mem[t] = 0.0
                    lo = predict_start
                    hi = learn_start

            # -- the component: one dispatch per instruction for all tasks -----
            for k in range(lo, hi):
                op = code[k, 0]
                if op == 0:
                    continue
                row = k - setup_start
                po = operands[row, 0]
                pa = operands[row, 1]
                pb = operands[row, 2]
                n = operands[row, 3]
                kind = _OUT_KIND[op]
                kind1 = _IN1_KIND[op]
                function = _ELEMENTWISE[op]
                if function == _ADD:
                    for c in range(n):
                        mem[po + c] = mem[pa + c] + mem[pb + c]
                elif function == _SUB:
                    for c in range(n):
                        mem[po + c] = mem[pa + c] - mem[pb + c]
                elif function == _MUL:
                    for c in range(n):
                        mem[po + c] = mem[pa + c] * mem[pb + c]
                elif function == _DIV:
                    for c in range(n):
                        mem[po + c] = mem[pa + c] / mem[pb + c]
                elif function == _MIN:  # std::min(a, b) = b < a ? b : a
                    for c in range(n):
                        x1 = mem[pa + c]
                        x2 = mem[pb + c]
                        mem[po + c] = x2 if x2 < x1 else x1
                elif function == _MAX:  # std::max(a, b) = a < b ? b : a
                    for c in range(n):
                        x1 = mem[pa + c]
                        x2 = mem[pb + c]
                        mem[po + c] = x2 if x1 < x2 else x1
                elif function == _ABS:
                    for c in range(n):
                        mem[po + c] = abs(mem[pa + c])
                elif function == _RECIPROCAL:
                    for c in range(n):
                        mem[po + c] = 1.0 / mem[pa + c]
                elif function == _HEAVISIDE:
                    if kind == ops.SCALAR:  # >= for scalars, > for vectors and matrices
                        for c in range(n):
                            mem[po + c] = 1.0 if mem[pa + c] >= 0.0 else 0.0
                    else:
                        for c in range(n):
                            mem[po + c] = 1.0 if mem[pa + c] > 0.0 else 0.0
                elif op <= 14:  # scalar functions 7..14
                    for t in range(T):
                        x1 = mem[pa + t]
                        if op == 7:
                            x1 = np.sin(x1)
                        elif op == 8:
                            x1 = np.cos(x1)
                        elif op == 9:
                            x1 = np.tan(x1)
                        elif op == 10:
                            x1 = np.arcsin(x1)
                        elif op == 11:
                            x1 = np.arccos(x1)
                        elif op == 12:
                            x1 = np.arctan(x1)
                        elif op == 13:
                            x1 = np.exp(x1)
                        else:
                            x1 = np.log(x1)
                        mem[po + t] = x1
                elif op == 18 or op == 29:  # scalar * vector, scalar * matrix
                    for c in range(U(0), n, T):
                        for t in range(T):
                            mem[po + c + t] = mem[pa + t] * mem[pb + c + t]
                elif op == 19:  # broadcast a scalar to a vector
                    for c in range(U(0), n, T):
                        for t in range(T):
                            mem[po + c + t] = mem[pa + t]
                elif _REDUCTION[op] != 0:  # norm, mean, std of a vector or matrix
                    cells = width[kind1]
                    for t in range(T):
                        tmp[t] = 0.0       # sum
                        tmp[T + t] = 0.0   # sum of squares
                    for c in range(U(0), cells, T):
                        for t in range(T):
                            x1 = mem[pa + c + t]
                            tmp[t] += x1
                            tmp[T + t] += x1 * x1
                    count = float(cells // T)
                    reduction = _REDUCTION[op]
                    for t in range(T):
                        if reduction == _NORM:
                            mem[po + t] = np.sqrt(tmp[T + t])
                        elif reduction == _MEAN:
                            mem[po + t] = tmp[t] / count
                        else:
                            mean = tmp[t] / count
                            mem[po + t] = np.sqrt(tmp[T + t] / count - mean * mean)
                elif op == 27:  # dot: the output scalar cannot alias the input vectors
                    for t in range(T):
                        mem[po + t] = mem[pa + t] * mem[pb + t]
                    for i in range(U(1), F):
                        for t in range(T):
                            mem[po + t] += mem[pa + i * T + t] * mem[pb + i * T + t]
                elif op == 28:  # outer product
                    for i in range(F):
                        for j in range(F):
                            for t in range(T):
                                mem[po + (i * F + j) * T + t] = (mem[pa + i * T + t]
                                                                 * mem[pb + j * T + t])
                elif op == 31:  # matrix @ vector (the output may alias the input)
                    for c in range(FT):
                        tmp[c] = 0.0
                    for i in range(F):
                        for j in range(F):
                            for t in range(T):
                                tmp[i * T + t] += (mem[pa + (i * F + j) * T + t]
                                                   * mem[pb + j * T + t])
                    for c in range(FT):
                        mem[po + c] = tmp[c]
                elif op == 32 or op == 33:  # column / row broadcast of a vector
                    for i in range(F):
                        for j in range(F):
                            source = pa + (i if op == 32 else j) * T
                            for t in range(T):
                                mem[po + (i * F + j) * T + t] = mem[source + t]
                elif op == 35 or op == 36 or op == 52 or op == 53:  # matrix -> vector
                    for c in range(2 * FT):
                        tmp[c] = 0.0       # sums, then sums of squares, per row/column
                    for i in range(F):
                        for j in range(F):
                            r = j if op == 35 else i
                            for t in range(T):
                                x1 = mem[pa + (i * F + j) * T + t]
                                tmp[r * T + t] += x1
                                tmp[FT + r * T + t] += x1 * x1
                    for c in range(FT):
                        if op == 35 or op == 36:
                            mem[po + c] = np.sqrt(tmp[FT + c])
                        elif op == 52:
                            mem[po + c] = tmp[c] * inv_F
                        else:
                            mean = tmp[c] * inv_F
                            mem[po + c] = np.sqrt(tmp[FT + c] * inv_F - mean * mean)
                elif op == 37:  # transpose (the output may alias the input)
                    for c in range(FFT):
                        tmp[c] = mem[pa + c]
                    for i in range(F):
                        for j in range(F):
                            for t in range(T):
                                mem[po + (i * F + j) * T + t] = tmp[(j * F + i) * T + t]
                elif op == 43:  # matrix product (the output may alias an input)
                    for c in range(FFT):
                        tmp[c] = 0.0
                    for i in range(F):
                        for m in range(F):
                            for j in range(F):
                                for t in range(T):
                                    tmp[(i * F + j) * T + t] += (
                                        mem[pa + (i * F + m) * T + t]
                                        * mem[pb + (m * F + j) * T + t])
                    for c in range(FFT):
                        mem[po + c] = tmp[c]
                elif op <= 58:  # constant sets: s = d0; v[int(F*d0)] = d1; m[..][..] = d2
                    if op == 57:
                        po += U(int(float(F) * data[k, 0])) * T
                    elif op == 58:
                        po += (U(int(float(F) * data[k, 0])) * F
                               + U(int(float(F) * data[k, 1]))) * T
                    value = data[k, op - 56]
                    for t in range(T):
                        mem[po + t] = value
                else:  # 59..61 uniform(d0, d1), 62..64 gaussian(mean d0, std d1)
                    low = data[k, 0]
                    high = data[k, 1]
                    if op <= 61:
                        for c in range(n):
                            mem[po + c] = low + (high - low) * _uniform01(rng_state)
                    else:
                        for c in range(n):
                            mem[po + c] = low + high * _gaussian(rng_state)

            # -- after the component: errors, losses, next phase ---------------
            if phase == _SETUP:
                phase = first_phase
            elif phase == _TRAIN_PREDICT:
                if any_classification:
                    for t in range(T):
                        if classification[t]:
                            mem[T + t] = 1.0 / (1.0 + np.exp(-mem[T + t]))
                train_steps[b] += n_alive
                n_bad = 0  # a branch-free pass first: failures are rare
                for t in range(T):
                    n_bad += not abs(label[t] - mem[T + t]) <= max_abs_error
                if n_bad or fingerprint:
                    for t in range(T):
                        error = abs(label[t] - mem[T + t])
                        if not error <= max_abs_error:
                            if alive[t]:
                                n_alive -= U(1)
                            alive[t] = False
                        elif fingerprint and alive[t]:
                            error_bits[0] = error
                            hashes[b, t] = _mix(hashes[b, t], error_bits_u64[0])
                phase = _TRAIN_LEARN if n_alive > 0 else _DONE
            elif phase == _TRAIN_LEARN:
                example += 1
                if example >= n_train:
                    example = 0
                    phase = _VALID_PREDICT if n_valid > 0 else _DONE
                else:
                    phase = _TRAIN_PREDICT
            elif not (any_classification or record or fingerprint):  # regression, fast
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
                example += 1
                if example >= n_valid or n_alive == 0:
                    phase = _DONE
            else:
                for t in range(T):
                    error = label[t] - mem[T + t]
                    if record:
                        predictions[example, t] = mem[T + t]
                    if any_classification and classification[t]:
                        p = 1.0 / (1.0 + np.exp(-mem[T + t]))
                        error = 0.0 if (label[t] > 0.5) == (p > 0.5) else 1.0
                    if abs(error) <= max_abs_error:  # dead tasks accumulate harmlessly
                        loss[t] += error * error
                        if fingerprint and alive[t]:
                            error_bits[0] = abs(error)
                            hashes[b, t] = _mix(hashes[b, t], error_bits_u64[0])
                    elif alive[t]:
                        alive[t] = False
                        n_alive -= U(1)
                example += 1
                if example >= n_valid or (n_alive == 0 and not record):
                    phase = _DONE

        for t in range(T):
            if not alive[t]:
                fitness[b, t] = 0.0
            elif classification[t]:
                fitness[b, t] = 1.0 - loss[t] / n_valid
            else:
                squashed = 1.0 - (2.0 / np.pi) * np.arctan(np.sqrt(loss[t] / n_valid))
                fitness[b, t] = squashed if np.isfinite(squashed) else 0.0
            if fingerprint:
                hashes[b, t] = _mix(_mix(hashes[b, t], U(t)), U(n_train))
