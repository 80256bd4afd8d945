"""Live code: drop the instructions whose results cannot reach a prediction.

``prune_programs(programs, memory)`` analyses all programs of a ``Programs`` in one
numba call and stacks their live instructions; ``prune(algorithm)`` does one algorithm
(to show it simplified, say).  A pruned program gives the same predictions, fitness,
fingerprints and train steps as the full one, bit for bit (docs/design.md, "Live code").

The analysis reads the op table (``azdeap.ops``) through an array passed to the kernel,
so an edited table needs no cache clearing here; the kernel does call the
interpreter's program check, whose compiled code numba's cache keeps until
azdeap/__pycache__/liveness.* is deleted.
"""
import numpy as np
from numba import njit

from azdeap import ops
from azdeap.algorithm import Algorithm
from azdeap.interpreter import OK, _check_program
from azdeap.programs import Programs
from azdeap.space import Memory, check_bool, check_memory

_S0, _S1 = 0, 1   # the cells of the label and the prediction (v0's is n_scalars)
# What the analysis reads of each op, one row per field, from the op table.
_IN1, _IN2, _OUT, _SETS_ONE_ENTRY, _DRAWS_RANDOM = range(5)
# Which random ops a pruned program keeps (docs/design.md, "Live code"): all of them (one
# stream shared by the programs run after each other), all of them if one is live (the
# stream restarted for each program), or the live ones only (other numbers drawn).
_KEEP_EVERY_DRAW, _KEEP_DRAWS_IF_ONE_LIVE, _KEEP_LIVE_DRAWS = range(3)
_TABLE = np.array([ops.IN1_KIND, ops.IN2_KIND, ops.OUT_KIND, ops.SETS_ONE_ENTRY,
                   ops.DRAWS_RANDOM], np.int64)


def draws_random(programs: Programs) -> bool:
    """Whether some program holds a random op: only then do the pruned forms for a
    reseeded and a continuing generator differ (``prune_programs``)."""
    return bool(ops.DRAWS_RANDOM.take(programs.code[:, 0], mode="clip").any())


def prune_programs(programs, memory: Memory, reseeded: bool = False,
                   multiclass: bool = False) -> Programs:
    """The programs (a ``Programs`` or a sequence of algorithms) with only their live
    instructions, stacked anew in order.

    memory: the ``Memory`` they run in.  A program that the interpreter would refuse in
    it (an unknown op, an address outside it, an index fraction outside [0, 1)) is kept
    whole, so that running it still reports its problem.  reseeded: the programs will
    run with the random ops restarted for each program (``interpreter.run``'s
    ``rng_reseed >= 0``, as FEC fingerprints); then a program's dead random ops are
    dropped when it has no live one, else every random op is kept (docs/design.md,
    "Live code").  multiclass: some of the tasks they will run on are multi-class, where
    the runner also reads v2 (docs/design.md, "Multi-class tasks").  TypeError or
    ValueError, one line, for bad arguments."""
    programs = Programs.stack(programs)
    memory = check_memory(memory)
    return _prune(programs, memory, check_bool(reseeded, "reseeded"),
                  multiclass=check_bool(multiclass, "multiclass"))[0]


def prune(algorithm: Algorithm, memory: Memory = None, reseeded: bool = False,
          exact_draws: bool = True, multiclass: bool = False) -> Algorithm:
    """A copy of algorithm (its type and attributes, e.g. a DEAP fitness) holding only
    its live instructions.  memory defaults to the memory it uses; ValueError, one line,
    if it does not run in memory (as an Evaluator's).  exact_draws=False drops every dead
    random op, as the paper's simplified listings do: the live ones then draw from the
    same distributions but may get other numbers (docs/design.md, "Live code").
    multiclass: for multi-class tasks, as ``prune_programs``."""
    from azdeap.evaluator import raise_on_bad_status
    if not isinstance(algorithm, Algorithm):
        raise TypeError("algorithm must be an azdeap.algorithm.Algorithm, got %s"
                        % type(algorithm).__name__)
    memory = algorithm.memory_used() if memory is None else check_memory(memory)
    programs, status = _prune(Programs.stack([algorithm]), memory,
                              check_bool(reseeded, "reseeded"),
                              check_bool(exact_draws, "exact_draws"),
                              check_bool(multiclass, "multiclass"))
    raise_on_bad_status(status, [algorithm], memory)
    return algorithm.with_program(programs.code.copy(), programs.data.copy(),
                                  tuple(programs.sizes[0].tolist()))


def _prune(programs, memory, reseeded, exact_draws=True, multiclass=False):
    """(the pruned Programs, the interpreter's status of each program); unchecked."""
    scalars, vectors, matrices = memory
    rule = (_KEEP_LIVE_DRAWS if not exact_draws
            else _KEEP_DRAWS_IF_ONE_LIVE if reseeded else _KEEP_EVERY_DRAW)
    code, data, offsets, sizes, status = _prune_kernel(
        programs.code, programs.data, programs.offsets, programs.sizes, scalars, vectors,
        matrices, rule, multiclass and vectors >= 3, _TABLE)
    return Programs._of(code, data, offsets, sizes), status


@njit(cache=True)
def _backward(code, start, stop, live, keep, first_cell, table):
    """Walk code[start:stop] backwards from the cells live after it (``live``, updated in
    place to those live before it); keep[k - start] tells whether row k writes a live
    cell.  A random op counts here like any other."""
    for k in range(stop - 1, start - 1, -1):
        op = code[k, 0]
        kind = table[_OUT, op]
        keep[k - start] = kind >= 0 and live[first_cell[kind] + code[k, 3]]
        if not keep[k - start]:
            continue
        if not table[_SETS_ONE_ENTRY, op]:  # the whole output is written: its old value is dead
            live[first_cell[kind] + code[k, 3]] = False
        if table[_IN1, op] >= 0:
            live[first_cell[table[_IN1, op]] + code[k, 1]] = True
        if table[_IN2, op] >= 0:
            live[first_cell[table[_IN2, op]] + code[k, 2]] = True


@njit(cache=True)
def _mark(code, start, sizes, keep, first_cell, live_predict, live_learn, live, multiclass,
          table):
    """keep[i] for every row start + i of one valid program: whether it is live.

    The runner writes v0 (and s0) before every Predict and every Learn, and reads s1
    after every Predict; memory carries over from one example to the next.  So the
    cells live after Learn are those live before Predict, less s0 and v0; after Predict,
    s1 and those live before Learn or before the next Predict, less s0 and v0; after
    Setup, those live before Predict, less s0 and v0.  The first two depend on each
    other: iterate until nothing changes (the live sets only grow).  When some tasks are
    multi-class (multiclass) the runner also reads v2 where it reads s1; it writes their
    v1 too, which is taken as not written, as it is in the other tasks (keeping a dead
    write is safe, dropping a live one is not)."""
    predict_start = start + sizes[0]
    learn_start = predict_start + sizes[1]
    learn_stop = learn_start + sizes[2]
    v0 = first_cell[1]
    prediction = v0 + 2 if multiclass else _S1
    live_predict[:] = False
    live_learn[:] = False
    changed = True
    while changed:
        live[:] = live_predict
        live[_S0] = live[v0] = False
        _backward(code, learn_start, learn_stop, live, keep[learn_start - start:],
                  first_cell, table)
        changed = False
        for c in range(live.shape[0]):
            changed |= live[c] != live_learn[c]
            live_learn[c] = live[c]
            live[c] = live_learn[c] or live_predict[c]
        live[_S0] = live[v0] = False
        live[_S1] = live[prediction] = True
        _backward(code, predict_start, learn_start, live, keep[predict_start - start:],
                  first_cell, table)
        for c in range(live.shape[0]):
            changed |= live[c] != live_predict[c]
            live_predict[c] = live[c]
    live[_S0] = live[v0] = False
    _backward(code, start, predict_start, live, keep, first_cell, table)


@njit(cache=True)
def _prune_kernel(code, data, offsets, sizes, n_scalars, n_vectors, n_matrices, rule,
                  multiclass, table):
    """(code, data, offsets, sizes) of the pruned programs, and each program's status."""
    n_programs = offsets.shape[0]
    rows = 0
    longest = 0
    for b in range(n_programs):
        length = sizes[b, 0] + sizes[b, 1] + sizes[b, 2]
        rows += length
        longest = max(longest, length)
    new_code = np.empty((rows, 4), np.int32)
    new_data = np.empty((rows, 3))
    new_offsets = np.empty(n_programs, np.int64)
    new_sizes = np.empty((n_programs, 3), np.int64)
    status = np.empty(n_programs, np.int64)
    first_cell = np.array([0, n_scalars, n_scalars + n_vectors], np.int64)
    n_cells = n_scalars + n_vectors + n_matrices
    live_predict = np.empty(n_cells, np.bool_)
    live_learn = np.empty(n_cells, np.bool_)
    live = np.empty(n_cells, np.bool_)
    keep = np.empty(longest, np.bool_)
    row = 0
    for b in range(n_programs):
        start = offsets[b]
        stop = start + sizes[b, 0] + sizes[b, 1] + sizes[b, 2]
        status[b] = _check_program(code, data, start, stop, n_scalars, n_vectors, n_matrices)
        if status[b] == OK:
            _mark(code, start, sizes[b], keep, first_cell, live_predict, live_learn, live,
                  multiclass, table)
            # One stream feeds every random op: dropping a draw would shift the numbers
            # of the draws after it, in this program and (not reseeded) in the next ones.
            keep_random = rule == _KEEP_EVERY_DRAW
            for k in range(start, stop):
                keep_random |= (rule == _KEEP_DRAWS_IF_ONE_LIVE and keep[k - start]
                                and table[_DRAWS_RANDOM, code[k, 0]] != 0)
            if keep_random:
                for k in range(start, stop):
                    keep[k - start] |= table[_DRAWS_RANDOM, code[k, 0]] != 0
        else:  # kept whole: the interpreter reports it
            keep[:stop - start] = True
        new_offsets[b] = row
        for c in range(3):
            new_sizes[b, c] = 0
        component = 0
        component_stop = start + sizes[b, 0]
        for k in range(start, stop):
            while k >= component_stop:
                component += 1
                component_stop += sizes[b, component]
            if keep[k - start]:
                new_sizes[b, component] += 1
                for column in range(4):
                    new_code[row, column] = code[k, column]
                for column in range(3):
                    new_data[row, column] = data[k, column]
                row += 1
    return new_code[:row], new_data[:row], new_offsets, new_sizes, status
