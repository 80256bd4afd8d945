"""The numba interpreter: runs algorithms on all tasks of a batch side by side.

Memory of all tasks lives in flat float64 arrays with the task axis innermost:
scalar ``a`` of task ``t`` is ``S[a*T + t]``, vector entry ``i`` is
``V[(a*F + i)*T + t]``, matrix entry ``(i, j)`` is ``M[((a*F + i)*F + j)*T + t]``.
Each instruction is dispatched once for all T tasks, and the per-task loops run
over contiguous cells with unsigned indices, which LLVM vectorizes.

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

# Status codes returned per algorithm.
OK, BAD_OP, BAD_ADDRESS, BAD_INDEX = 0, 1, 2, 3

# Phases of the state machine.
_SETUP, _TRAIN_PREDICT, _TRAIN_LEARN, _VALID_PREDICT, _DONE = 0, 1, 2, 3, 4

_HASH_SEED = U(42)


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
              classification, n_train, n_valid, max_abs_error, S, V, M, fresh_memory,
              rng_state, rng_reseed, fingerprint, fitness, train_steps, hashes, status, predictions):
    """Run B algorithms on T tasks side by side.

    code, data: the instructions of all algorithms stacked; algorithm b starts at
    row offsets[b] with component sizes sizes[b] (Setup, Predict, Learn).
    train_x (N, F, T), train_y (N, T), valid_x, valid_y likewise; the first
    n_train / n_valid examples are used.  classification (T,) bool.
    S, V, M: the memory (n_scalars*T, n_vectors*F*T, n_matrices*F*F*T cells).
    With fresh_memory each algorithm starts from zeroed memory and runs Setup;
    without it the memory is kept as it is and Setup is skipped (a Learner).
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
    n_scalars = S.shape[0] // T
    n_vectors = V.shape[0] // FT
    n_matrices = M.shape[0] // FFT
    record = predictions.shape[0] >= n_valid
    tmp_s = np.empty(T)
    tmp_v = np.empty(FT)
    tmp_m = np.empty(FFT)
    loss = np.empty(T)
    alive = np.empty(T, dtype=np.bool_)
    tmp_s2 = np.empty(T)
    label = np.empty(T)
    error_bits = np.empty(1)  # a float64 cell viewed as uint64 for hashing
    error_bits_u64 = error_bits.view(np.uint64)
    inv_F = 1.0 / float(F)
    inv_FF = inv_F * inv_F

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
        if rng_reseed >= 0:
            rng_state[0] = U(rng_reseed)
        if fresh_memory:
            S[:] = 0.0
            V[:] = 0.0
            M[:] = 0.0
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
                        V[c] = valid_features[base + c]
                    for t in range(T):
                        label[t] = valid_labels[label_base + t]
                else:
                    for c in range(FT):
                        V[c] = train_features[base + c]
                    if phase == _TRAIN_PREDICT:  # Learn reuses the labels Predict loaded
                        for t in range(T):
                            label[t] = train_labels[label_base + t]
                if phase == _TRAIN_LEARN:
                    for t in range(T):
                        S[t] = label[t]
                    lo = learn_start
                    hi = learn_stop
                else:
                    for t in range(T):
                        S[t] = 0.0
                    lo = predict_start
                    hi = learn_start

            # -- the component: one dispatch per instruction for all tasks -----
            for k in range(lo, hi):
                op = code[k, 0]
                if op == 0:
                    continue
                a = U(code[k, 1])
                bb = U(code[k, 2])
                o = U(code[k, 3])
                if op <= 15:  # scalar -> scalar
                    sa = a * T
                    sb = bb * T
                    so = o * T
                    if op == 1:
                        for t in range(T):
                            S[so + t] = S[sa + t] + S[sb + t]
                    elif op == 2:
                        for t in range(T):
                            S[so + t] = S[sa + t] - S[sb + t]
                    elif op == 3:
                        for t in range(T):
                            S[so + t] = S[sa + t] * S[sb + t]
                    elif op == 4:
                        for t in range(T):
                            S[so + t] = S[sa + t] / S[sb + t]
                    elif op == 5:
                        for t in range(T):
                            S[so + t] = abs(S[sa + t])
                    elif op == 6:
                        for t in range(T):
                            S[so + t] = 1.0 / S[sa + t]
                    elif op == 7:
                        for t in range(T):
                            S[so + t] = np.sin(S[sa + t])
                    elif op == 8:
                        for t in range(T):
                            S[so + t] = np.cos(S[sa + t])
                    elif op == 9:
                        for t in range(T):
                            S[so + t] = np.tan(S[sa + t])
                    elif op == 10:
                        for t in range(T):
                            S[so + t] = np.arcsin(S[sa + t])
                    elif op == 11:
                        for t in range(T):
                            S[so + t] = np.arccos(S[sa + t])
                    elif op == 12:
                        for t in range(T):
                            S[so + t] = np.arctan(S[sa + t])
                    elif op == 13:
                        for t in range(T):
                            S[so + t] = np.exp(S[sa + t])
                    elif op == 14:
                        for t in range(T):
                            S[so + t] = np.log(S[sa + t])
                    else:
                        for t in range(T):
                            S[so + t] = 1.0 if S[sa + t] >= 0.0 else 0.0
                elif op == 16:
                    va = a * FT
                    vo = o * FT
                    for c in range(FT):
                        V[vo + c] = 1.0 if V[va + c] > 0.0 else 0.0
                elif op == 17:
                    ma = a * FFT
                    mo = o * FFT
                    for c in range(FFT):
                        M[mo + c] = 1.0 if M[ma + c] > 0.0 else 0.0
                elif op == 18:
                    sa = a * T
                    vb = bb * FT
                    vo = o * FT
                    for i in range(F):
                        for t in range(T):
                            V[vo + i * T + t] = S[sa + t] * V[vb + i * T + t]
                elif op == 19:
                    sa = a * T
                    vo = o * FT
                    for i in range(F):
                        for t in range(T):
                            V[vo + i * T + t] = S[sa + t]
                elif op == 20:
                    va = a * FT
                    vo = o * FT
                    for c in range(FT):
                        V[vo + c] = 1.0 / V[va + c]
                elif op == 21 or op == 50 or op == 54:  # vector -> scalar reductions
                    va = a * FT
                    so = o * T
                    for t in range(T):
                        tmp_s[t] = 0.0
                    if op == 21:
                        for i in range(F):
                            for t in range(T):
                                tmp_s[t] += V[va + i * T + t] * V[va + i * T + t]
                        for t in range(T):
                            S[so + t] = np.sqrt(tmp_s[t])
                    else:
                        for i in range(F):
                            for t in range(T):
                                tmp_s[t] += V[va + i * T + t]
                        if op == 50:
                            for t in range(T):
                                S[so + t] = tmp_s[t] * inv_F
                        else:
                            for t in range(T):
                                tmp_s2[t] = 0.0
                            for i in range(F):
                                for t in range(T):
                                    tmp_s2[t] += V[va + i * T + t] * V[va + i * T + t]
                            for t in range(T):
                                mean = tmp_s[t] * inv_F
                                S[so + t] = np.sqrt(tmp_s2[t] * inv_F - mean * mean)
                elif op == 22:
                    va = a * FT
                    vo = o * FT
                    for c in range(FT):
                        V[vo + c] = abs(V[va + c])
                elif op <= 26 or op == 45 or op == 48:  # vector elementwise binary
                    va = a * FT
                    vb = bb * FT
                    vo = o * FT
                    if op == 23:
                        for c in range(FT):
                            V[vo + c] = V[va + c] + V[vb + c]
                    elif op == 24:
                        for c in range(FT):
                            V[vo + c] = V[va + c] - V[vb + c]
                    elif op == 25:
                        for c in range(FT):
                            V[vo + c] = V[va + c] * V[vb + c]
                    elif op == 26:
                        for c in range(FT):
                            V[vo + c] = V[va + c] / V[vb + c]
                    elif op == 45:
                        for c in range(FT):
                            x1 = V[va + c]
                            x2 = V[vb + c]
                            V[vo + c] = x2 if x2 < x1 else x1
                    else:
                        for c in range(FT):
                            x1 = V[va + c]
                            x2 = V[vb + c]
                            V[vo + c] = x2 if x1 < x2 else x1
                elif op == 27:
                    va = a * FT
                    vb = bb * FT
                    so = o * T
                    for t in range(T):  # out is a scalar: it cannot alias the inputs
                        S[so + t] = V[va + t] * V[vb + t]
                    for i in range(U(1), F):
                        for t in range(T):
                            S[so + t] += V[va + i * T + t] * V[vb + i * T + t]
                elif op == 28:
                    va = a * FT
                    vb = bb * FT
                    mo = o * FFT
                    for i in range(F):
                        for j in range(F):
                            for t in range(T):
                                M[mo + (i * F + j) * T + t] = V[va + i * T + t] * V[vb + j * T + t]
                elif op == 29:
                    sa = a * T
                    mb = bb * FFT
                    mo = o * FFT
                    for c in range(F * F):
                        for t in range(T):
                            M[mo + c * T + t] = S[sa + t] * M[mb + c * T + t]
                elif op == 30:
                    ma = a * FFT
                    mo = o * FFT
                    for c in range(FFT):
                        M[mo + c] = 1.0 / M[ma + c]
                elif op == 31:
                    ma = a * FFT
                    vb = bb * FT
                    vo = o * FT
                    for c in range(FT):
                        tmp_v[c] = 0.0
                    for i in range(F):
                        for j in range(F):
                            for t in range(T):
                                tmp_v[i * T + t] += M[ma + (i * F + j) * T + t] * V[vb + j * T + t]
                    for c in range(FT):
                        V[vo + c] = tmp_v[c]
                elif op == 32 or op == 33:
                    va = a * FT
                    mo = o * FFT
                    for i in range(F):
                        for j in range(F):
                            src = va + (i if op == 32 else j) * T
                            for t in range(T):
                                M[mo + (i * F + j) * T + t] = V[src + t]
                elif op == 34 or op == 51 or op == 55:  # matrix -> scalar reductions
                    ma = a * FFT
                    so = o * T
                    for t in range(T):
                        tmp_s[t] = 0.0
                        tmp_s2[t] = 0.0
                    for c in range(F * F):
                        for t in range(T):
                            x1 = M[ma + c * T + t]
                            tmp_s[t] += x1
                            tmp_s2[t] += x1 * x1
                    for t in range(T):
                        if op == 34:
                            S[so + t] = np.sqrt(tmp_s2[t])
                        elif op == 51:
                            S[so + t] = tmp_s[t] * inv_FF
                        else:
                            mean = tmp_s[t] * inv_FF
                            S[so + t] = np.sqrt(tmp_s2[t] * inv_FF - mean * mean)
                elif op == 35 or op == 36 or op == 52 or op == 53:  # matrix -> vector
                    ma = a * FFT
                    vo = o * FT
                    for c in range(FT):
                        tmp_v[c] = 0.0
                        tmp_m[c] = 0.0
                    for i in range(F):
                        for j in range(F):
                            r = j if op == 35 else i
                            for t in range(T):
                                x1 = M[ma + (i * F + j) * T + t]
                                tmp_v[r * T + t] += x1 * x1
                                tmp_m[r * T + t] += x1
                    for c in range(FT):
                        if op == 35 or op == 36:
                            V[vo + c] = np.sqrt(tmp_v[c])
                        elif op == 52:
                            V[vo + c] = tmp_m[c] * inv_F
                        else:
                            mean = tmp_m[c] * inv_F
                            V[vo + c] = np.sqrt(tmp_v[c] * inv_F - mean * mean)
                elif op == 37:
                    ma = a * FFT
                    mo = o * FFT
                    for c in range(FFT):
                        tmp_m[c] = M[ma + c]
                    for i in range(F):
                        for j in range(F):
                            for t in range(T):
                                M[mo + (i * F + j) * T + t] = tmp_m[(j * F + i) * T + t]
                elif op == 38:
                    ma = a * FFT
                    mo = o * FFT
                    for c in range(FFT):
                        M[mo + c] = abs(M[ma + c])
                elif op <= 42 or op == 46 or op == 49:  # matrix elementwise binary
                    ma = a * FFT
                    mb = bb * FFT
                    mo = o * FFT
                    if op == 39:
                        for c in range(FFT):
                            M[mo + c] = M[ma + c] + M[mb + c]
                    elif op == 40:
                        for c in range(FFT):
                            M[mo + c] = M[ma + c] - M[mb + c]
                    elif op == 41:
                        for c in range(FFT):
                            M[mo + c] = M[ma + c] * M[mb + c]
                    elif op == 42:
                        for c in range(FFT):
                            M[mo + c] = M[ma + c] / M[mb + c]
                    elif op == 46:
                        for c in range(FFT):
                            x1 = M[ma + c]
                            x2 = M[mb + c]
                            M[mo + c] = x2 if x2 < x1 else x1
                    else:
                        for c in range(FFT):
                            x1 = M[ma + c]
                            x2 = M[mb + c]
                            M[mo + c] = x2 if x1 < x2 else x1
                elif op == 43:
                    ma = a * FFT
                    mb = bb * FFT
                    mo = o * FFT
                    for c in range(FFT):
                        tmp_m[c] = 0.0
                    for i in range(F):
                        for m in range(F):
                            for j in range(F):
                                for t in range(T):
                                    tmp_m[(i * F + j) * T + t] += (
                                        M[ma + (i * F + m) * T + t] * M[mb + (m * F + j) * T + t])
                    for c in range(FFT):
                        M[mo + c] = tmp_m[c]
                elif op == 44:
                    sa = a * T
                    sb = bb * T
                    so = o * T
                    for t in range(T):
                        x1 = S[sa + t]
                        x2 = S[sb + t]
                        S[so + t] = x2 if x2 < x1 else x1
                elif op == 47:
                    sa = a * T
                    sb = bb * T
                    so = o * T
                    for t in range(T):
                        x1 = S[sa + t]
                        x2 = S[sb + t]
                        S[so + t] = x2 if x1 < x2 else x1
                elif op == 56:
                    so = o * T
                    value = data[k, 0]
                    for t in range(T):
                        S[so + t] = value
                elif op == 57:
                    vo = o * FT + U(int(float(F) * data[k, 0])) * T
                    value = data[k, 1]
                    for t in range(T):
                        V[vo + t] = value
                elif op == 58:
                    mo = o * FFT + (U(int(float(F) * data[k, 0])) * F
                                    + U(int(float(F) * data[k, 1]))) * T
                    value = data[k, 2]
                    for t in range(T):
                        M[mo + t] = value
                else:  # 59..64: random sets
                    low = data[k, 0]
                    high = data[k, 1]
                    kind = (op - 59) % 3
                    if kind == 0:
                        base = o * T
                        n = T
                    elif kind == 1:
                        base = o * FT
                        n = FT
                    else:
                        base = o * FFT
                        n = FFT
                    for c in range(n):
                        if op <= 61:
                            value = low + (high - low) * _uniform01(rng_state)
                        else:
                            value = low + high * _gaussian(rng_state)
                        if kind == 0:
                            S[base + c] = value
                        elif kind == 1:
                            V[base + c] = value
                        else:
                            M[base + c] = value

            # -- after the component: errors, losses, next phase ---------------
            if phase == _SETUP:
                phase = first_phase
            elif phase == _TRAIN_PREDICT:
                if any_classification:
                    for t in range(T):
                        if classification[t]:
                            S[T + t] = 1.0 / (1.0 + np.exp(-S[T + t]))
                train_steps[b] += n_alive
                for t in range(T):
                    error = abs(label[t] - S[T + t])
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
            else:
                for t in range(T):
                    error = label[t] - S[T + t]
                    if record:
                        predictions[example, t] = S[T + t]
                    if any_classification and classification[t]:
                        p = 1.0 / (1.0 + np.exp(-S[T + t]))
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

