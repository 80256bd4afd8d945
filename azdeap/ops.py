"""The op table: the single source of truth for the instruction set.

Every op of AutoML-Zero (numbered as the original ``instruction.proto``) with its
operand kinds, the data it carries, its text form and how the interpreter computes it.
The interpreter, the random generator, the mutators, the printer and the parser all
read this table (docs/design.md, "Ops").

An op's ``family`` names the interpreter routine that computes it: ops of one family
differ only in their operand kinds (``add`` is SCALAR_SUM, VECTOR_SUM and MATRIX_SUM)
or in their ``function`` (``transcendental`` applies ``sin``, ``cos``...; ``reduce``
takes the ``norm``, ``mean`` or ``std``).

An op's ``cost`` is the original's static estimate of the compute one execution takes
(its ``compute_cost.cc``, in that file's units: NO_OP is about 3e6), which the train
budget sums (``azdeap.budget``; docs/design.md, "Ops").

Kinds are ``SCALAR`` (0), ``VECTOR`` (1) and ``MATRIX`` (2).  Text forms use
``{o}``, ``{a}``, ``{b}`` for the output and input addresses (``s3``, ``v0``...)
and ``{d0}``, ``{d1}``, ``{d2}`` for the instruction's data fields.
"""
from typing import NamedTuple, Optional, Tuple

import numpy as np

SCALAR, VECTOR, MATRIX = 0, 1, 2
KIND_PREFIX = "svm"
NO_KIND = -1

# How the data fields of an op are drawn when an instruction is created, and how
# ALTER_PARAM perturbs them (see azdeap.mutation).
CONST = "const"            # d0: a real constant
VECTOR_CONST = "vconst"    # d0: index fraction, d1: value
MATRIX_CONST = "mconst"    # d0, d1: index fractions, d2: value
UNIFORM = "uniform"        # d0: low, d1: high
GAUSSIAN = "gaussian"      # d0: mean, d1: std


class Op(NamedTuple):
    code: int
    name: str
    inputs: Tuple[int, ...]   # kinds of in1 (and in2)
    output: int               # kind of out, NO_KIND for NO_OP
    data: Optional[str]       # one of CONST ... GAUSSIAN, or None
    form: str                 # text form, see module docstring
    family: str               # the interpreter routine that computes it
    function: Optional[str]   # what that routine applies: "sin", "norm"..., or None
    cost: int                 # the original's compute cost of one execution (a train budget)


def _op(code, name, inputs, output, form, family, data=None, function=None, *, cost):
    kinds = {"s": SCALAR, "v": VECTOR, "m": MATRIX, "-": NO_KIND}
    return Op(code, name, tuple(kinds[k] for k in inputs), kinds[output], data, form, family,
              function, cost)


OPS = tuple([
    _op(0, "NO_OP", "", "-", "NoOp()", "no_op", cost=3013921),
    _op(1, "SCALAR_SUM", "ss", "s", "{o} = {a} + {b}", "add", cost=4703759),
    _op(2, "SCALAR_DIFF", "ss", "s", "{o} = {a} - {b}", "subtract", cost=5102027),
    _op(3, "SCALAR_PRODUCT", "ss", "s", "{o} = {a} * {b}", "multiply", cost=4418347),
    _op(4, "SCALAR_DIVISION", "ss", "s", "{o} = {a} / {b}", "divide", cost=3963916),
    _op(5, "SCALAR_ABS", "s", "s", "{o} = abs({a})", "abs", cost=3684352),
    _op(6, "SCALAR_RECIPROCAL", "s", "s", "{o} = 1 / {a}", "reciprocal", cost=4212086),
    _op(7, "SCALAR_SIN", "s", "s", "{o} = sin({a})", "transcendental", function="sin",
        cost=7538523),
    _op(8, "SCALAR_COS", "s", "s", "{o} = cos({a})", "transcendental", function="cos",
        cost=7452807),
    _op(9, "SCALAR_TAN", "s", "s", "{o} = tan({a})", "transcendental", function="tan",
        cost=7583203),
    _op(10, "SCALAR_ARCSIN", "s", "s", "{o} = arcsin({a})",
        "transcendental", function="arcsin", cost=9145616),
    _op(11, "SCALAR_ARCCOS", "s", "s", "{o} = arccos({a})",
        "transcendental", function="arccos", cost=7673039),
    _op(12, "SCALAR_ARCTAN", "s", "s", "{o} = arctan({a})",
        "transcendental", function="arctan", cost=9273978),
    _op(13, "SCALAR_EXP", "s", "s", "{o} = exp({a})", "transcendental", function="exp",
        cost=11755929),
    _op(14, "SCALAR_LOG", "s", "s", "{o} = log({a})", "transcendental", function="log",
        cost=11627725),
    _op(15, "SCALAR_HEAVYSIDE", "s", "s", "{o} = heaviside({a}, 1.0)", "is_nonnegative",
        cost=4057075),
    _op(16, "VECTOR_HEAVYSIDE", "v", "v", "{o} = heaviside({a}, 1.0)", "is_positive",
        cost=3965743),
    _op(17, "MATRIX_HEAVYSIDE", "m", "m", "{o} = heaviside({a}, 1.0)", "is_positive",
        cost=6728311),
    _op(18, "SCALAR_VECTOR_PRODUCT", "sv", "v", "{o} = {a} * {b}", "scale", cost=3705015),
    _op(19, "SCALAR_BROADCAST", "s", "v", "{o} = bcast({a})", "broadcast", cost=4165814),
    _op(20, "VECTOR_RECIPROCAL", "v", "v", "{o} = 1 / {a}", "reciprocal", cost=6311851),
    _op(21, "VECTOR_NORM", "v", "s", "{o} = norm({a})", "reduce", function="norm", cost=4810562),
    _op(22, "VECTOR_ABS", "v", "v", "{o} = abs({a})", "abs", cost=3713533),
    _op(23, "VECTOR_SUM", "vv", "v", "{o} = {a} + {b}", "add", cost=4701519),
    _op(24, "VECTOR_DIFF", "vv", "v", "{o} = {a} - {b}", "subtract", cost=4165747),
    _op(25, "VECTOR_PRODUCT", "vv", "v", "{o} = {a} * {b}", "multiply", cost=4504555),
    _op(26, "VECTOR_DIVISION", "vv", "v", "{o} = {a} / {b}", "divide", cost=4556237),
    _op(27, "VECTOR_INNER_PRODUCT", "vv", "s", "{o} = dot({a}, {b})", "dot", cost=4294617),
    _op(28, "VECTOR_OUTER_PRODUCT", "vv", "m", "{o} = outer({a}, {b})", "outer", cost=9833707),
    _op(29, "SCALAR_MATRIX_PRODUCT", "sm", "m", "{o} = {a} * {b}", "scale", cost=5986302),
    _op(30, "MATRIX_RECIPROCAL", "m", "m", "{o} = 1 / {a}", "reciprocal", cost=24336141),
    _op(31, "MATRIX_VECTOR_PRODUCT", "mv", "v", "{o} = dot({a}, {b})", "matvec", cost=9310002),
    _op(32, "VECTOR_COLUMN_BROADCAST", "v", "m", "{o} = bcast({a}, axis=0)",
        "column_broadcast", cost=10993088),
    _op(33, "VECTOR_ROW_BROADCAST", "v", "m", "{o} = bcast({a}, axis=1)", "row_broadcast",
        cost=11087322),
    _op(34, "MATRIX_NORM", "m", "s", "{o} = norm({a})", "reduce", function="norm", cost=6422746),
    _op(35, "MATRIX_COLUMN_NORM", "m", "v", "{o} = norm({a}, axis=0)",
        "column_reduce", function="norm", cost=6682187),
    _op(36, "MATRIX_ROW_NORM", "m", "v", "{o} = norm({a}, axis=1)",
        "row_reduce", function="norm", cost=13351123),
    _op(37, "MATRIX_TRANSPOSE", "m", "m", "{o} = transpose({a})", "transpose", cost=9394756),
    _op(38, "MATRIX_ABS", "m", "m", "{o} = abs({a})", "abs", cost=4630926),
    _op(39, "MATRIX_SUM", "mm", "m", "{o} = {a} + {b}", "add", cost=5579381),
    _op(40, "MATRIX_DIFF", "mm", "m", "{o} = {a} - {b}", "subtract", cost=5429452),
    _op(41, "MATRIX_PRODUCT", "mm", "m", "{o} = {a} * {b}", "multiply", cost=5475227),
    _op(42, "MATRIX_DIVISION", "mm", "m", "{o} = {a} / {b}", "divide", cost=18234378),
    _op(43, "MATRIX_MATRIX_PRODUCT", "mm", "m", "{o} = matmul({a}, {b})", "matmul", cost=14516296),
    _op(44, "SCALAR_MIN", "ss", "s", "{o} = minimum({a}, {b})", "minimum", cost=3677265),
    _op(45, "VECTOR_MIN", "vv", "v", "{o} = minimum({a}, {b})", "minimum", cost=3989956),
    _op(46, "MATRIX_MIN", "mm", "m", "{o} = minimum({a}, {b})", "minimum", cost=5457728),
    _op(47, "SCALAR_MAX", "ss", "s", "{o} = maximum({a}, {b})", "maximum", cost=4573695),
    _op(48, "VECTOR_MAX", "vv", "v", "{o} = maximum({a}, {b})", "maximum", cost=3974229),
    _op(49, "MATRIX_MAX", "mm", "m", "{o} = maximum({a}, {b})", "maximum", cost=5840952),
    _op(50, "VECTOR_MEAN", "v", "s", "{o} = mean({a})", "reduce", function="mean", cost=4280443),
    _op(51, "MATRIX_MEAN", "m", "s", "{o} = mean({a})", "reduce", function="mean", cost=4595196),
    _op(52, "MATRIX_ROW_MEAN", "m", "v", "{o} = mean({a}, axis=1)",
        "row_reduce", function="mean", cost=9763956),
    _op(53, "MATRIX_ROW_ST_DEV", "m", "v", "{o} = std({a}, axis=1)",
        "row_reduce", function="std", cost=16766477),
    _op(54, "VECTOR_ST_DEV", "v", "s", "{o} = std({a})", "reduce", function="std", cost=5585730),
    _op(55, "MATRIX_ST_DEV", "m", "s", "{o} = std({a})", "reduce", function="std", cost=10640216),
    _op(56, "SCALAR_CONST_SET", "", "s", "{o} = {d0}", "const_set", data=CONST, cost=3691108),
    _op(57, "VECTOR_CONST_SET", "", "v", "{o}[{d0}] = {d1}", "const_set", data=VECTOR_CONST,
        cost=3991421),
    _op(58, "MATRIX_CONST_SET", "", "m", "{o}[{d0}, {d1}] = {d2}",
        "const_set", data=MATRIX_CONST, cost=3693035),
    _op(59, "SCALAR_UNIFORM_SET", "", "s", "{o} = uniform({d0}, {d1})",
        "uniform_set", data=UNIFORM, cost=26610704),
    _op(60, "VECTOR_UNIFORM_SET", "", "v", "{o} = uniform({d0}, {d1}, n_features)",
        "uniform_set", data=UNIFORM, cost=57817372),
    _op(61, "MATRIX_UNIFORM_SET", "", "m",
        "{o} = uniform({d0}, {d1}, (n_features, n_features))", "uniform_set", data=UNIFORM,
        cost=208339446),
    _op(62, "SCALAR_GAUSSIAN_SET", "", "s", "{o} = gaussian({d0}, {d1})",
        "gaussian_set", data=GAUSSIAN, cost=20775635),
    _op(63, "VECTOR_GAUSSIAN_SET", "", "v", "{o} = gaussian({d0}, {d1}, n_features)",
        "gaussian_set", data=GAUSSIAN, cost=77483018),
    _op(64, "MATRIX_GAUSSIAN_SET", "", "m",
        "{o} = gaussian({d0}, {d1}, (n_features, n_features))", "gaussian_set", data=GAUSSIAN,
        cost=277690384),
])
assert all(op.code == i for i, op in enumerate(OPS))

NUM_OPS = len(OPS)
BY_NAME = {op.name: op for op in OPS}
NO_OP = 0

# Array views of the table for vectorised and numba code.
IN1_KIND = np.array([op.inputs[0] if op.inputs else NO_KIND for op in OPS], dtype=np.int64)
IN2_KIND = np.array([op.inputs[1] if len(op.inputs) > 1 else NO_KIND for op in OPS],
                    dtype=np.int64)
OUT_KIND = np.array([op.output for op in OPS], dtype=np.int64)
COST = np.array([op.cost for op in OPS], dtype=np.float64)
N_DATA = np.array([{None: 0, CONST: 1, VECTOR_CONST: 2, MATRIX_CONST: 3,
                    UNIFORM: 2, GAUSSIAN: 2}[op.data] for op in OPS], dtype=np.int64)
# What an op does to memory beyond its operands (azdeap.liveness): ops 57 and 58 set one
# entry of their output and leave the others as they were; ops 59-64 draw from the
# evaluator's one generator stream.
SETS_ONE_ENTRY = np.array([op.data in (VECTOR_CONST, MATRIX_CONST) for op in OPS])
DRAWS_RANDOM = np.array([op.data in (UNIFORM, GAUSSIAN) for op in OPS])
# The data fields of each kind that hold real values (not index fractions): what constant
# tuning (azdeap.tuning) scales.
VALUE_FIELDS = {None: (), CONST: (0,), VECTOR_CONST: (1,), MATRIX_CONST: (2,), UNIFORM: (0, 1),
                GAUSSIAN: (0, 1)}


def cell_name(kind, address):
    """A memory cell's name in the paper's notation ("s3", "v0", "m1"); "" for NO_KIND."""
    return KIND_PREFIX[kind] + str(address) if kind != NO_KIND else ""


def op_code(name_or_code):
    """The op code for an op name (``"SCALAR_SUM"``) or code; ValueError if unknown."""
    if isinstance(name_or_code, (int, np.integer)) and not isinstance(name_or_code, bool):
        if 0 <= name_or_code < NUM_OPS:
            return int(name_or_code)
        raise ValueError("unknown op code %r (valid: 0..%d)" % (name_or_code, NUM_OPS - 1))
    op = BY_NAME.get(str(name_or_code).upper())
    if op is None:
        raise ValueError("unknown op %r" % (name_or_code,))
    return op.code
