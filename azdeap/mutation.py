"""Mutation operators of AutoML-Zero, DEAP style (docs/design.md, "Mutations").

Each ``mut*(individual, space)`` modifies the individual in place (clone it first),
invalidates its DEAP fitness if it has one (even when the draw changed nothing: the
original re-evaluates every mutated child) and returns ``(individual,)``.  The
component is drawn uniformly among ``space.mutable_components()``; a component with
an empty op list is never touched.  :func:`mutAny` is the original's combined operator,
and :func:`mutAnyBatch` the same on many parents' stacked programs at once::

    toolbox.register("mutate", mutAny, space=space, mutate_prob=0.9)
    toolbox.register("mutate_batch", mutAnyBatch, space=space, mutate_prob=0.9)
"""
import math
import random
from functools import lru_cache, partial
from typing import NamedTuple, Sequence, Tuple

import numpy as np
from numba import njit

from azdeap import ops
from azdeap.algorithm import Algorithm
from azdeap.generator import compile_space
from azdeap.programs import Programs, _copy_rows
from azdeap.space import SearchSpace

_random = random.random
_gauss = random.gauss
DATA = -1  # "alter the data" in an ALTER_PARAM choice, next to code columns 1-3 (in1, in2, out)


def _alter_choices(spec):
    if spec.output == ops.NO_KIND:
        return ()
    if spec.data:
        return (3, DATA)
    return (1, 2)[:len(spec.inputs)] + (3,)


ALTER_CHOICES = tuple(_alter_choices(spec) for spec in ops.OPS)  # per op, drawn uniformly
DATA_KIND = tuple(spec.data for spec in ops.OPS)


# -- altering real values: (signed step, positive-only step) per constant rule ----------
def _flip_or_log_normal(value):
    # 0.0 - value rather than -value: a zero stays +0.0 (canonical arrays)
    return 0.0 - value if _random() < 0.1 else value * math.exp(_gauss(0.0, 1.0))


def _log_normal(value):
    return value * math.exp(_gauss(0.0, 1.0))


def _scale_then_flip(value):
    value *= 0.5 + 1.5 * _random()
    return 0.0 - value if _random() < 0.1 else value


def _scale(value):
    return value * (0.5 + 1.5 * _random())


CONSTANT_RULES = {"original": (_flip_or_log_normal, _log_normal),   # the open-source code
                  "paper": (_scale_then_flip, _scale)}              # the paper


def _rule(name):
    try:
        return CONSTANT_RULES[name]
    except KeyError:
        raise ValueError("unknown constant_rule %r (valid: %s)"
                         % (name, ", ".join(CONSTANT_RULES))) from None


def _alter_data(data, i, kind, rule):
    """Alter one data field of instruction i, by its op's data kind."""
    step, scale = rule
    if kind is ops.CONST:
        data[i, 0] = step(data.item(i, 0))
    elif kind is ops.VECTOR_CONST:
        if _random() < 0.5:
            data[i, 0] = _random()
        else:
            data[i, 1] = step(data.item(i, 1))
    elif kind is ops.MATRIX_CONST:
        field = int(_random() * 3)
        data[i, field] = _random() if field < 2 else step(data.item(i, 2))
    elif kind is ops.GAUSSIAN:
        if _random() < 0.5:
            data[i, 0] = step(data.item(i, 0))
        else:
            data[i, 1] = scale(data.item(i, 1))
    else:  # UNIFORM: alter low or high, then d0 = min, d1 = max
        low, high = data.item(i, 0), data.item(i, 1)
        if _random() < 0.5:
            low = step(low)
        else:
            high = step(high)
        data[i, 0], data[i, 1] = (low, high) if low <= high else (high, low)


# -- helpers --------------------------------------------------------------------
def _pick(individual, compiled):
    """(component, start row, size) of a uniformly drawn mutable component."""
    mutable = compiled.mutable
    if not mutable:
        raise ValueError("the search space has no mutable component (all op lists empty)")
    component = mutable[int(_random() * len(mutable))]
    sizes = individual.sizes
    return component, (0, sizes[0], sizes[0] + sizes[1])[component], sizes[component]


def _changed(individual):
    """Invalidate the DEAP fitness (if any); the DEAP return value."""
    fitness = getattr(individual, "fitness", None)
    if fitness is not None and fitness.valid:
        del fitness.values
    return individual,


def _resize(individual, component, delta):
    sizes = list(individual.sizes)
    sizes[component] += delta
    individual.sizes = tuple(sizes)


def _with_row(array, i, row):
    new = np.empty((len(array) + 1, array.shape[1]), array.dtype)
    new[:i] = array[:i]
    new[i] = row
    new[i + 1:] = array[i:]
    return new


def _without_row(array, i):
    new = array[:-1].copy()
    new[i:] = array[i + 1:]
    return new


def _insert(individual, compiled, component, start, size):
    """Insert a random instruction at a uniform position in [0, size] of the component."""
    i = start + int(_random() * (size + 1))
    code_row, data_row = compiled.sources[component].draw()
    individual.code = _with_row(individual.code, i, code_row)
    individual.data = _with_row(individual.data, i, data_row)
    _resize(individual, component, 1)


def _remove(individual, component, start, size):
    """Remove the instruction at a uniform position of the component (size > 0)."""
    i = start + int(_random() * size)
    individual.code = _without_row(individual.code, i)
    individual.data = _without_row(individual.data, i)
    _resize(individual, component, -1)


# -- the mutations ----------------------------------------------------------------
def mutAlterParam(individual: Algorithm, space: SearchSpace,
                  constant_rule: str = "original") -> Tuple[Algorithm]:
    """ALTER_PARAM: re-draw one address or alter the data of one random instruction."""
    rule = _rule(constant_rule)
    compiled = compile_space(space)
    component, start, size = _pick(individual, compiled)
    if size:
        i = start + int(_random() * size)
        op = individual.code.item(i, 0)
        choices = ALTER_CHOICES[op]
        if choices:  # NO_OP: unchanged
            column = choices[int(_random() * len(choices))]
            if column == DATA:
                _alter_data(individual.data, i, DATA_KIND[op], rule)
            else:
                low, span = compiled.ranges[op][column]
                individual.code[i, column] = low + int(_random() * span)
    return _changed(individual)


def mutRandomizeInstruction(individual: Algorithm, space: SearchSpace) -> Tuple[Algorithm]:
    """RANDOMIZE_INSTRUCTION: replace a random instruction with a brand-new one."""
    compiled = compile_space(space)
    component, start, size = _pick(individual, compiled)
    if size:
        i = start + int(_random() * size)
        individual.code[i], individual.data[i] = compiled.sources[component].draw()
    return _changed(individual)


def mutRandomizeComponent(individual: Algorithm, space: SearchSpace) -> Tuple[Algorithm]:
    """RANDOMIZE_COMPONENT_FUNCTION: re-create every instruction of a component (length kept)."""
    compiled = compile_space(space)
    component, start, size = _pick(individual, compiled)
    stop = start + size
    compiled.sources[component].fill(individual.code[start:stop], individual.data[start:stop])
    return _changed(individual)


def mutRandomizeAlgorithm(individual: Algorithm, space: SearchSpace) -> Tuple[Algorithm]:
    """RANDOMIZE_ALGORITHM: re-create every instruction of every mutable component."""
    compiled = compile_space(space)
    for component in compiled.mutable:
        start, stop = individual.bounds(component)
        compiled.sources[component].fill(individual.code[start:stop], individual.data[start:stop])
    return _changed(individual)


def mutInsert(individual: Algorithm, space: SearchSpace) -> Tuple[Algorithm]:
    """INSERT_INSTRUCTION: a random instruction at a uniform position, if size < max - 1."""
    compiled = compile_space(space)
    component, start, size = _pick(individual, compiled)
    if size < space.max_sizes[component] - 1:
        _insert(individual, compiled, component, start, size)
    return _changed(individual)


def mutRemove(individual: Algorithm, space: SearchSpace) -> Tuple[Algorithm]:
    """REMOVE_INSTRUCTION: remove a uniformly chosen instruction, if size > min."""
    compiled = compile_space(space)
    component, start, size = _pick(individual, compiled)
    if size > space.min_sizes[component]:
        _remove(individual, component, start, size)
    return _changed(individual)


def mutTrade(individual: Algorithm, space: SearchSpace) -> Tuple[Algorithm]:
    """TRADE_INSTRUCTION: insert a random instruction, then remove a uniformly chosen one."""
    compiled = compile_space(space)
    component, start, size = _pick(individual, compiled)
    _insert(individual, compiled, component, start, size)
    _remove(individual, component, start, size + 1)
    return _changed(individual)


def mutIdentity(individual: Algorithm, space: SearchSpace) -> Tuple[Algorithm]:
    """IDENTITY: nothing (the fitness is still invalidated: the child is re-evaluated)."""
    return _changed(individual)


MUTATIONS = {
    "alter_param": mutAlterParam,
    "randomize_instruction": mutRandomizeInstruction,
    "randomize_component": mutRandomizeComponent,
    "randomize_algorithm": mutRandomizeAlgorithm,
    "insert": mutInsert,
    "remove": mutRemove,
    "trade": mutTrade,
    "identity": mutIdentity,
}
DEFAULT_MUTATIONS = ("alter_param", "randomize_instruction", "randomize_component")


def _as_tuple(mutations):
    """mutations (a name or a sequence of names) as a tuple, hashable for the caches."""
    if type(mutations) is tuple:
        return mutations
    return (mutations,) if isinstance(mutations, str) else tuple(mutations)


@lru_cache(maxsize=None)
def _weighted(mutations, constant_rule):
    """The mutation names to draw from uniformly; remove twice when insert is allowed too."""
    _rule(constant_rule)
    unknown = [name for name in mutations if name not in MUTATIONS]
    if unknown or not mutations:
        raise ValueError("unknown mutation(s) %s (valid: %s)" % (
            ", ".join(map(repr, unknown)) if unknown else "(empty list)", ", ".join(MUTATIONS)))
    weights = {"remove": 2} if "insert" in mutations and "remove" in mutations else {}
    return tuple(name for name in mutations for _ in range(weights.get(name, 1)))


@lru_cache(maxsize=None)
def _operators(mutations, constant_rule):
    """The mutation functions of ``_weighted``."""
    return tuple(partial(mutAlterParam, constant_rule=constant_rule)
                 if name == "alter_param" else MUTATIONS[name]
                 for name in _weighted(mutations, constant_rule))


def mutAny(individual: Algorithm, space: SearchSpace,
           mutations: Sequence[str] = DEFAULT_MUTATIONS, mutate_prob: float = 0.9,
           constant_rule: str = "original") -> Tuple[Algorithm]:
    """The original's Mutate: with probability mutate_prob (always if >= 1) apply one
    mutation drawn uniformly from mutations (removal twice as likely as insertion when
    both are allowed, as in the paper); otherwise leave the individual (and fitness) as is."""
    operators = _operators(_as_tuple(mutations), constant_rule)
    if mutate_prob >= 1.0 or _random() < mutate_prob:
        return operators[int(_random() * len(operators))](individual, space)
    return individual,


# -- the batch form -------------------------------------------------------------------
# mutAnyBatch runs the same mutations, compiled, on many programs at once.  Its tables
# encode the search space; codes for the kernel:
_KIND = {name: i for i, name in enumerate(MUTATIONS)}
(_ALTER_PARAM, _RANDOMIZE_INSTRUCTION, _RANDOMIZE_COMPONENT, _RANDOMIZE_ALGORITHM, _INSERT,
 _REMOVE, _TRADE, _IDENTITY) = (_KIND[name] for name in (
     "alter_param", "randomize_instruction", "randomize_component", "randomize_algorithm",
     "insert", "remove", "trade", "identity"))
_DATA_KINDS = (None, ops.CONST, ops.VECTOR_CONST, ops.MATRIX_CONST, ops.UNIFORM, ops.GAUSSIAN)
_CONST, _VECTOR_CONST, _MATRIX_CONST, _UNIFORM, _GAUSSIAN = range(1, 6)
_ALTER_DATA = 0  # DATA in the kernel's alter choices (column 0, the op, is never altered)


class _Tables(NamedTuple):
    kinds: np.ndarray       # the weighted mutations (codes), drawn uniformly
    paper: bool             # constant rule "paper" (else "original")
    mutable: np.ndarray     # the mutable components
    op_lists: np.ndarray    # (3, longest list) op codes per component, padded
    n_ops: np.ndarray       # (3,) op list lengths
    min_sizes: np.ndarray
    max_sizes: np.ndarray
    ranges: np.ndarray      # (NUM_OPS, 4, 2): (low, span) per code column, as field_ranges
    data_kinds: np.ndarray  # (NUM_OPS,) index in _DATA_KINDS
    choices: np.ndarray     # (NUM_OPS, 3) ALTER_CHOICES, padded
    n_choices: np.ndarray   # (NUM_OPS,)


@lru_cache(maxsize=64)
def _tables(space, mutations, constant_rule):
    compiled = compile_space(space)
    op_lists = [source.op_codes for source in compiled.sources]
    padded = np.zeros((3, max(map(len, op_lists))), np.int32)
    for c, op_codes in enumerate(op_lists):
        padded[c, :len(op_codes)] = op_codes
    ranges = np.zeros((ops.NUM_OPS, 4, 2), np.int64)
    for op, op_ranges in enumerate(compiled.ranges):
        ranges[op, 1:] = op_ranges[1:]
    choices = np.zeros((ops.NUM_OPS, 3), np.int64)
    for op, columns in enumerate(ALTER_CHOICES):
        choices[op, :len(columns)] = [_ALTER_DATA if c == DATA else c for c in columns]
    return _Tables(
        np.array([_KIND[name] for name in _weighted(mutations, constant_rule)], np.int64),
        constant_rule == "paper", np.array(compiled.mutable, np.int64), padded,
        np.array(list(map(len, op_lists)), np.int64), np.array(space.min_sizes, np.int64),
        np.array(space.max_sizes, np.int64), ranges,
        np.array([_DATA_KINDS.index(kind) for kind in DATA_KIND], np.int64), choices,
        np.array(list(map(len, ALTER_CHOICES)), np.int64))


def _helper(function, forceinline=False):
    """Compile a kernel helper without numba's reference counting (it allocates nothing;
    as ``azdeap.interpreter``'s helpers)."""
    return njit(cache=True, forceinline=forceinline, _nrt=False, no_cpython_wrapper=True,
                no_cfunc_wrapper=True)(function)


@partial(_helper, forceinline=True)
def _rows_before(sizes, c):
    """The rows of the components before component c."""
    return sizes[0] * (c > 0) + sizes[1] * (c > 1)


@_helper
def _draw(code, data, i, c, op_lists, n_ops, ranges, data_kinds):
    """Row i becomes a random instruction of component c, as the generator draws it
    (docs/design.md, "Random instructions")."""
    op = op_lists[c, int(np.random.random() * n_ops[c])]
    code[i, 0] = op
    for column in range(1, 4):
        low, span = ranges[op, column, 0], ranges[op, column, 1]
        code[i, column] = low + int(np.random.random() * span) if span else low
    data[i, 0] = data[i, 1] = data[i, 2] = 0.0
    kind = data_kinds[op]
    if kind == _CONST:
        value = -1.0
        while value == -1.0:
            value = 2.0 * np.random.random() - 1.0
        data[i, 0] = value
    elif kind == _VECTOR_CONST:
        data[i, 0] = np.random.random()
        data[i, 1] = 2.0 * np.random.random() - 1.0
    elif kind == _MATRIX_CONST:
        data[i, 0] = np.random.random()
        data[i, 1] = np.random.random()
        data[i, 2] = 2.0 * np.random.random() - 1.0
    elif kind == _UNIFORM:
        data[i, 0] = 2.0 * np.random.random() - 1.0
        data[i, 1] = 2.0 * np.random.random() - 1.0
    elif kind == _GAUSSIAN:
        data[i, 0] = 2.0 * np.random.random() - 1.0
        data[i, 1] = np.random.random()


@partial(_helper, forceinline=True)
def _step(value, paper, signed):
    """The constant rule's step (signed) or scale of a value."""
    if paper:
        value *= 0.5 + 1.5 * np.random.random()
        return 0.0 - value if signed and np.random.random() < 0.1 else value
    if signed and np.random.random() < 0.1:
        return 0.0 - value
    return value * np.exp(np.random.standard_normal())


@_helper
def _alter_row_data(data, i, kind, paper):
    """Alter one data field of row i, by its op's data kind (as _alter_data)."""
    if kind == _CONST:
        data[i, 0] = _step(data[i, 0], paper, True)
    elif kind == _VECTOR_CONST:
        if np.random.random() < 0.5:
            data[i, 0] = np.random.random()
        else:
            data[i, 1] = _step(data[i, 1], paper, True)
    elif kind == _MATRIX_CONST:
        field = int(np.random.random() * 3)
        data[i, field] = np.random.random() if field < 2 else _step(data[i, 2], paper, True)
    elif kind == _GAUSSIAN:
        if np.random.random() < 0.5:
            data[i, 0] = _step(data[i, 0], paper, True)
        else:
            data[i, 1] = _step(data[i, 1], paper, False)
    else:  # UNIFORM
        low, high = data[i, 0], data[i, 1]
        if np.random.random() < 0.5:
            low = _step(low, paper, True)
        else:
            high = _step(high, paper, True)
        if not low <= high:
            low, high = high, low
        data[i, 0], data[i, 1] = low, high


@partial(_helper, forceinline=True)
def _shift(code, data, first, stop, delta):
    """Move rows first..stop-1 by delta (+1 or -1) rows."""
    rows = range(stop - 1, first - 1, -1) if delta > 0 else range(first, stop)
    for r in rows:
        for j in range(4):
            code[r + delta, j] = code[r, j]
        for j in range(3):
            data[r + delta, j] = data[r, j]


@_helper
def _mutate_one(kind, code, data, first, sizes, t):
    """Apply mutation kind to the program at rows first.. of sizes (changed in place)."""
    if kind == _RANDOMIZE_ALGORITHM:
        for c in t.mutable:
            start = first + _rows_before(sizes, c)
            for i in range(start, start + sizes[c]):
                _draw(code, data, i, c, t.op_lists, t.n_ops, t.ranges, t.data_kinds)
        return
    if kind == _IDENTITY:
        return
    c = t.mutable[int(np.random.random() * len(t.mutable))]
    start, size, stop = first + _rows_before(sizes, c), sizes[c], first + sizes.sum()
    if kind == _ALTER_PARAM and size:
        i = start + int(np.random.random() * size)
        op = code[i, 0]
        if 0 <= op < t.n_choices.shape[0] and t.n_choices[op]:   # else the kernel reports it
            column = t.choices[op, int(np.random.random() * t.n_choices[op])]
            if column == _ALTER_DATA:
                _alter_row_data(data, i, t.data_kinds[op], t.paper)
            else:
                low, span = t.ranges[op, column, 0], t.ranges[op, column, 1]
                code[i, column] = low + int(np.random.random() * span)
    elif kind == _RANDOMIZE_INSTRUCTION and size:
        i = start + int(np.random.random() * size)
        _draw(code, data, i, c, t.op_lists, t.n_ops, t.ranges, t.data_kinds)
    elif kind == _RANDOMIZE_COMPONENT:
        for i in range(start, start + size):
            _draw(code, data, i, c, t.op_lists, t.n_ops, t.ranges, t.data_kinds)
    elif kind == _TRADE or (kind == _INSERT and size < t.max_sizes[c] - 1):
        i = start + int(np.random.random() * (size + 1))
        _shift(code, data, i, stop, 1)
        _draw(code, data, i, c, t.op_lists, t.n_ops, t.ranges, t.data_kinds)
        if kind == _TRADE:  # then remove one of the size + 1
            _shift(code, data, start + int(np.random.random() * (size + 1)) + 1, stop + 1, -1)
        else:
            sizes[c] += 1
    elif kind == _REMOVE and size > t.min_sizes[c]:
        _shift(code, data, start + int(np.random.random() * size) + 1, stop, -1)
        sizes[c] -= 1


@njit(cache=True)
def _mutate_programs(code, data, offsets, sizes, seed, mutate_prob, t):
    """The children's (code, data, offsets, sizes) and which were mutated."""
    np.random.seed(seed)
    n = len(offsets)
    new_code = np.zeros((len(code) + n, 4), np.int32)  # a child grows by at most one row
    new_data = np.zeros((len(code) + n, 3))
    new_offsets = np.empty(n, np.int64)
    new_sizes = sizes.copy()
    mutated = np.zeros(n, np.bool_)
    row = 0
    for b in range(n):
        _copy_rows(code, data, offsets[b], new_code, new_data, row, sizes[b].sum())
        new_offsets[b] = row
        if mutate_prob >= 1.0 or np.random.random() < mutate_prob:
            mutated[b] = True
            kind = t.kinds[int(np.random.random() * len(t.kinds))]
            _mutate_one(kind, new_code, new_data, row, new_sizes[b], t)
        row += new_sizes[b].sum()
    return new_code[:row], new_data[:row], new_offsets, new_sizes, mutated


def mutAnyBatch(programs: Programs, space: SearchSpace,
                mutations: Sequence[str] = DEFAULT_MUTATIONS, mutate_prob: float = 0.9,
                constant_rule: str = "original") -> Tuple[Programs, np.ndarray]:
    """:func:`mutAny` on a batch: ``(children, mutated)``, the children's programs (new
    arrays) of the stacked parents' programs and a bool array, False for a child that is
    its parent's unchanged copy.  Each mutation follows the same rules and distribution
    as mutAny's, from numba's generator seeded by one draw of Python's ``random``:
    ``random.seed(s)`` fixes the children, which differ from those mutAny would make."""
    tables = _tables(space, _as_tuple(mutations), constant_rule)
    code, data, offsets, sizes, mutated = _mutate_programs(
        programs.code, programs.data, programs.offsets, programs.sizes,
        random.getrandbits(32), float(mutate_prob), tables)
    return Programs._of(code, data, offsets, sizes), mutated


mutAnyBatch.batch_of = mutAny  # see azdeap.evolution.batch_form
