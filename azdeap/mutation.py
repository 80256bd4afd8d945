"""Mutation operators of AutoML-Zero, DEAP style (docs/design.md, "Mutations").

Each ``mut*(individual, space)`` modifies the individual in place (clone it first),
invalidates its DEAP fitness if it has one (even when the draw changed nothing: the
original re-evaluates every mutated child) and returns ``(individual,)``.  The
component is drawn uniformly among ``space.mutable_components()``; a component with
an empty op list is never touched.  :func:`mutAny` is the original's combined operator::

    toolbox.register("mutate", mutAny, space=space, mutate_prob=0.9)
"""
import math
import random
from functools import lru_cache, partial
from typing import Sequence, Tuple

import numpy as np

from azdeap import ops
from azdeap.algorithm import Algorithm
from azdeap.generator import compile_space
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


@lru_cache(maxsize=None)
def _operators(mutations, constant_rule):
    """The mutation functions to draw from uniformly; remove twice when insert is allowed too."""
    _rule(constant_rule)
    unknown = [name for name in mutations if name not in MUTATIONS]
    if unknown or not mutations:
        raise ValueError("unknown mutation(s) %s (valid: %s)" % (
            ", ".join(map(repr, unknown)) if unknown else "(empty list)", ", ".join(MUTATIONS)))
    weights = {"remove": 2} if "insert" in mutations and "remove" in mutations else {}
    return tuple(partial(mutAlterParam, constant_rule=constant_rule)
                 if name == "alter_param" else MUTATIONS[name]
                 for name in mutations for _ in range(weights.get(name, 1)))


def mutAny(individual: Algorithm, space: SearchSpace,
           mutations: Sequence[str] = DEFAULT_MUTATIONS, mutate_prob: float = 0.9,
           constant_rule: str = "original") -> Tuple[Algorithm]:
    """The original's Mutate: with probability mutate_prob (always if >= 1) apply one
    mutation drawn uniformly from mutations (removal twice as likely as insertion when
    both are allowed, as in the paper); otherwise leave the individual (and fitness) as is."""
    if type(mutations) is not tuple:
        mutations = (mutations,) if isinstance(mutations, str) else tuple(mutations)
    operators = _operators(mutations, constant_rule)
    if mutate_prob >= 1.0 or _random() < mutate_prob:
        return operators[int(_random() * len(operators))](individual, space)
    return individual,
