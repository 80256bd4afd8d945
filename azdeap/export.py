"""An evolved algorithm as a standalone Python module that needs numpy only.

``export_module(algorithm)`` returns the source of a module defining
``EvolvedAlgorithm`` with ``fit(X, y)`` and ``predict(X)``, run as
``azdeap.learner.Learner`` runs the algorithm: Setup on zeroed memory, then Predict and
Learn on each training row in order, and Predict alone on each row to predict, memory
carried over; kind "multiclass" runs it as on multi-class tasks (docs/design.md,
"Multi-class tasks").  Each live instruction of the simplified algorithm is one numpy line over
variables named as in the listing (``s1``, ``v9``, ``m0``); the memory is kept between
calls in attributes of those names.  The numpy line of an op follows its ``family`` in
the op table (``azdeap.ops``), and computes what the interpreter does, the same IEEE
operations up to the order of the sums (dot, matmul, norm, mean), so predictions agree
to rounding (docs/design.md, "Execution").  Random ops draw from numpy's generator:
other numbers than azdeap's.
"""
import math

from azdeap import ops
from azdeap.algorithm import Algorithm
from azdeap.notation import format_algorithm, roles_of

KINDS = ("regression", "classification", "multiclass")

# The numpy expression of each op family: {a}, {b} the inputs, {d0}... the data, {f}
# the op's function, {shape} the output's shape; a pair is (scalar output, array output).
_EXPRESSIONS = {
    "add": "{a} + {b}",
    "subtract": "{a} - {b}",
    "multiply": "{a} * {b}",
    "divide": "{a} / {b}",
    # std::min and std::max: a NaN or a tie gives the first argument
    "minimum": ("{b} if {b} < {a} else {a}", "np.where({b} < {a}, {b}, {a})"),
    "maximum": ("{b} if {a} < {b} else {a}", "np.where({a} < {b}, {b}, {a})"),
    "abs": "np.abs({a})",
    "reciprocal": "1.0 / {a}",
    "is_nonnegative": "np.float64({a} >= 0.0)",
    "is_positive": "np.where({a} > 0.0, 1.0, 0.0)",
    "transcendental": "np.{f}({a})",
    "scale": "{a} * {b}",
    "broadcast": "np.full(F, {a})",
    "column_broadcast": "np.column_stack([{a}] * F)",
    "row_broadcast": "np.vstack([{a}] * F)",
    "dot": "np.dot({a}, {b})",
    "matvec": "np.dot({a}, {b})",
    "outer": "np.outer({a}, {b})",
    "transpose": "{a}.T.copy()",
    "matmul": "np.matmul({a}, {b})",
    "const_set": "np.float64({d0})",
    "uniform_set": ("np.float64(self.rng.uniform({d0}, {d1}))",
                    "self.rng.uniform({d0}, {d1}, {shape})"),
    "gaussian_set": ("np.float64({d0} + {d1} * self.rng.standard_normal())",
                     "{d0} + {d1} * self.rng.standard_normal({shape})"),
}
# Reductions, by function and axis (None: the whole vector or matrix); std is
# sqrt(mean of squares - square of mean), as the interpreter computes it.
_REDUCTIONS = {
    "norm": "np.linalg.norm({a}{axis})",
    "mean": "np.mean({a}{axis})",
    "std": "np.sqrt(np.mean({a} * {a}{axis}) - np.mean({a}{axis}) ** 2)",
}
_AXES = {"reduce": "", "column_reduce": ", axis=0", "row_reduce": ", axis=1"}
_SHAPES = {ops.VECTOR: "F", ops.MATRIX: "(F, F)"}
_ZEROS = {ops.SCALAR: "np.float64(0.0)", ops.VECTOR: "np.zeros(F)",
          ops.MATRIX: "np.zeros((F, F))"}
_INDEXED = {ops.VECTOR_CONST: "{o}[int(F * {d0})] = {d1}",
            ops.MATRIX_CONST: "{o}[int(F * {d0}), int(F * {d1})] = {d2}"}


def _number(x):
    """A float as Python source."""
    return repr(x) if math.isfinite(x) else {math.inf: "np.inf", -math.inf: "-np.inf"}.get(
        x, "np.nan")


def _line(code_row, data_row):
    """(the numpy line of one instruction, the cells it reads, the cell it writes)."""
    op, in1, in2, out = code_row
    spec = ops.OPS[op]
    names = (ops.cell_name(kind, address) for kind, address in zip(spec.inputs, (in1, in2)))
    fields = dict(zip("ab", names), o=ops.cell_name(spec.output, out), f=spec.function,
                  shape=_SHAPES.get(spec.output),
                  **{"d%d" % i: _number(x) for i, x in enumerate(data_row)})
    reads = {fields[k] for k in "ab" if k in fields}
    if spec.data in _INDEXED:   # sets one entry: the others are read and kept
        return _INDEXED[spec.data].format(**fields), reads | {fields["o"]}, fields["o"]
    if spec.family in _AXES:
        expression = _REDUCTIONS[spec.function].format(a=fields["a"],
                                                       axis=_AXES[spec.family])
    else:
        expression = _EXPRESSIONS[spec.family]
        if isinstance(expression, tuple):
            expression = expression[spec.output != ops.SCALAR]
        expression = expression.format(**fields)
    return "%s = %s" % (fields["o"], expression), reads, fields["o"]


def _order(names):
    """Cell names sorted as the memory lists them: scalars, vectors, matrices, by number."""
    return sorted(names, key=lambda name: (ops.KIND_PREFIX.index(name[0]), int(name[1:])))


def _component(rows, arguments, comments):
    """(one component's lines, one per instruction; the cells it reads before writing
    them, but its arguments; the cells it writes)."""
    lines, reads, writes = [], set(), set()
    for row, code_row, data_row in rows:
        line, read, written = _line(code_row, data_row)
        lines.append(line + ("  # " + comments[row] if row in comments else ""))
        reads |= read - writes - set(arguments)
        writes.add(written)
    return lines, reads, writes


def _assignments(targets, values):
    """Lines assigning values to targets, a few at a time."""
    return ["%s = %s" % (", ".join(targets[i:i + 5]), ", ".join(values[i:i + 5]))
            for i in range(0, len(targets), 5)]


def _method(name, arguments, docstring, lines, loads, stores):
    """The source lines of one component's method: it loads the memory cells it reads
    before writing them, runs its lines and stores the cells that other calls read."""
    body = ['"""%s"""' % docstring]
    if any("F" in line for line in lines):
        body.append("F = self.n_features_")
    body += _assignments(loads, ["self." + c for c in loads]) + lines
    body += _assignments(["self." + c for c in stores], stores)
    source = ["    def %s(self%s):" % (name, "".join(", " + a for a in arguments))]
    return source + ["        " + line for line in body]


_HEADER = '''"""A learning algorithm evolved by azdeap, as a standalone module (numpy only).

Its live instructions, in azdeap's notation:

%s
"""
import warnings

import numpy as np


class EvolvedAlgorithm:
    """An evolved %s algorithm.

    fit(X, y) runs Setup, then Predict and Learn on each row in order; predict(X)
    runs Predict on each row.  The memory (the attributes s1, v2...) carries over
    from row to row and from call to call.%s"""

    def __init__(self, seed=0):
        self.rng = np.random.default_rng(seed)   # for random ops
        self.n_features_ = None
'''
_SCALAR_FIT = '''
    def fit(self, X, y):
        """Train on the rows of X (labels y) in order; a row whose error is NaN or
        infinite stops training before its Learn, with a warning."""
        X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
        self.n_features_ = F = X.shape[1]
%s
        with np.errstate(all="ignore"):
            self._setup()
            for row, (x, label) in enumerate(zip(X, y)):
                self._predict(x.copy(), np.float64(0.0))%s
                if not np.isfinite(label - self.s1):
                    warnings.warn("fit stopped at row %%d of %%d: its error is NaN or "
                                  "infinite" %% (row + 1, len(X)))
                    break
                self._learn(x.copy(), label)
        return self

    def _outputs(self, X):
        """s1 after Predict on each row of X%s."""
        X = np.asarray(X, dtype=np.float64)
        outputs = np.empty(len(X))
        with np.errstate(all="ignore"):
            for row, x in enumerate(X):
                self._predict(x.copy(), np.float64(0.0))
                outputs[row] = self.s1%s
        return outputs
'''
_MULTICLASS_FIT = '''
    def fit(self, X, y):
        """Train on the rows of X (labels y of K >= 2 classes, K at most the number of
        features) in order: Learn sees the label one-hot in v1 and the prediction v2 as
        the softmax of its first K entries; a row whose prediction has a NaN or infinite
        entry stops training before its Learn, with a warning."""
        X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
        self.classes_, labels = np.unique(y, return_inverse=True)
        self.n_features_ = F = X.shape[1]
        K = len(self.classes_)
        if not 2 <= K <= F:
            raise ValueError("fit needs 2 to %%d classes (the features), got %%d" %% (F, K))
%s
        with np.errstate(all="ignore"):
            self._setup()
            for row, (x, label) in enumerate(zip(X, labels)):
                self._predict(x.copy(), np.float64(0.0), np.zeros(F))
                logits = self.v2[:K]
                if not np.isfinite(logits).all():
                    warnings.warn("fit stopped at row %%d of %%d: its prediction is NaN or "
                                  "infinite" %% (row + 1, len(X)))
                    break
                self.v2 = np.zeros(F)
                self.v2[:K] = self._softmax(logits)
                one_hot = np.zeros(F)
                one_hot[label] = 1.0
                self._learn(x.copy(), np.float64(label), one_hot)
        return self

    def _logits(self, X):
        """The first K entries of v2 after Predict on each row of X, (n, K)."""
        X = np.asarray(X, dtype=np.float64)
        F, K = self.n_features_, len(self.classes_)
        logits = np.empty((len(X), K))
        with np.errstate(all="ignore"):
            for row, x in enumerate(X):
                self._predict(x.copy(), np.float64(0.0), np.zeros(F))
                logits[row] = self.v2[:K]
        return logits

    def predict(self, X):
        """The class of each row of X: the first largest of the first K entries of v2
        (NaN if one is NaN or infinite)."""
        logits = self._logits(X)
        finite = np.isfinite(logits).all(axis=1)
        return np.where(finite, self.classes_[np.argmax(np.where(finite[:, None], logits, 0.0),
                                                        axis=1)], np.nan)

    def predict_proba(self, X):
        """The probabilities (n, K) of the classes of each row of X: the softmax of the
        first K entries of v2 (NaN if one is NaN or infinite)."""
        logits = self._logits(X)
        with np.errstate(all="ignore"):
            probabilities = self._softmax(logits)
        probabilities[~np.isfinite(logits).all(axis=1)] = np.nan
        return probabilities

    @staticmethod
    def _softmax(logits):
        """The softmax over the last axis."""
        exp = np.exp(logits - logits.max(axis=-1, keepdims=True))
        return exp / exp.sum(axis=-1, keepdims=True)
'''
_REGRESSION_PREDICT = '''
    def predict(self, X):
        """The prediction s1 for each row of X."""
        return self._outputs(X)
'''
_CLASSIFICATION_PREDICT = '''
    def predict(self, X):
        """The class (0.0 or 1.0) of each row of X whose probability is above 0.5 (NaN
        for a NaN probability)."""
        probability = self._outputs(X)
        return np.where(np.isnan(probability), np.nan, probability > 0.5)

    def predict_proba(self, X):
        """The probabilities (n, 2) of the classes 0 and 1 of each row of X."""
        probability = self._outputs(X)
        return np.column_stack([1.0 - probability, probability])
'''
_SIGMOID = {"regression": ("", "", "", "", _REGRESSION_PREDICT),
            "classification": ("\n    s1 becomes the probability of class 1, sigmoid(s1).",
                               "\n                self.s1 = "
                               "1.0 / (1.0 + np.exp(-self.s1))", ", as sigmoid(s1)",
                               "\n            outputs = 1.0 / (1.0 + np.exp(-outputs))",
                               _CLASSIFICATION_PREDICT)}


def export_module(algorithm: Algorithm, kind: str = "regression") -> str:
    """The source of a module (numpy only) defining ``EvolvedAlgorithm`` with
    ``fit(X, y)`` and ``predict(X)``, that runs ``algorithm.simplified()`` as a
    ``Learner`` of this kind (regression or classification) runs it.  TypeError or
    ValueError, one line, for bad arguments."""
    if not isinstance(algorithm, Algorithm):
        raise TypeError("algorithm must be an azdeap.algorithm.Algorithm, got %s"
                        % type(algorithm).__name__)
    if kind not in KINDS:
        raise ValueError("kind must be one of %s, got %r" % (", ".join(KINDS), kind))
    multiclass = kind == "multiclass"
    simple = algorithm.simplified(multiclass=multiclass)
    comments = roles_of(simple, multiclass)
    methods_of = _MULTICLASS_METHODS if multiclass else _METHODS
    rows = list(zip(range(len(simple)), simple.code.tolist(), simple.data.tolist()))
    components = [_component(rows[slice(*simple.bounds(c))], methods_of[c][1], comments)
                  for c in range(3)]
    # The memory: the cells some component reads before writing them, and the prediction.
    memory = set().union({"v2" if multiclass else "s1"},
                         *(reads for _, reads, _ in components))
    methods = []
    for (name, arguments, docstring), (lines, reads, writes) in zip(methods_of, components):
        methods += [""] + _method(name, arguments, docstring, lines, _order(reads),
                                  _order(writes & memory))
    zeros = "\n".join("        self.%s = %s" % (c, _ZEROS[ops.KIND_PREFIX.index(c[0])])
                      for c in _order(memory))
    listing = "\n".join("    " + line for line in format_algorithm(simple).splitlines())
    if multiclass:
        text = _HEADER % (listing, "multi-class", _MULTICLASS_DOC) + _MULTICLASS_FIT % zeros
        return text + "\n".join(methods) + "\n"
    suffix, sigmoid_fit, suffix_outputs, sigmoid_outputs, predict = _SIGMOID[kind]
    text = _HEADER % (listing, kind, suffix) + _SCALAR_FIT % (zeros, sigmoid_fit,
                                                              suffix_outputs, sigmoid_outputs)
    return text + predict + "\n".join(methods) + "\n"


_MULTICLASS_DOC = ("\n    The label is one-hot in v1 (in Learn; zero in Predict), the "
                   "prediction is v2.")
_METHODS = (("_setup", (), "Setup, on zeroed memory."),
            ("_predict", ("v0", "s0"), "Predict: v0 the features, s0 zero; s1 the prediction."),
            ("_learn", ("v0", "s0"), "Learn: v0 the features, s0 the label."))
_MULTICLASS_METHODS = (
    _METHODS[0],
    ("_predict", ("v0", "s0", "v1"), "Predict: v0 the features, s0 and v1 zero; v2 the "
                                     "prediction."),
    ("_learn", ("v0", "s0", "v1"), "Learn: v0 the features, s0 the class, v1 the label "
                                   "one-hot."))


def add_export_arguments(parser):
    parser.add_argument("file", help="a listing (def Setup(): ...), e.g. a run's best")
    parser.add_argument("-o", "--output", required=True, metavar="PY",
                        help="the module to write (e.g. learner.py)")
    parser.add_argument("--kind", choices=KINDS, default="regression",
                        help="what predict returns: s1, the class of sigmoid(s1) for "
                             "classification, or the class of v2 for multiclass")


def export_command(args):
    """``export``: write a listing file's algorithm as a standalone module."""
    from azdeap.experiment import ExperimentError
    from azdeap.listing import read_listing
    from azdeap.runfolder import check_output_path, write_atomic
    source = export_module(read_listing(args.file), args.kind)
    check_output_path(args.output, "-o")
    try:   # nothing half-written
        write_atomic(args.output, source.encode("utf-8"))
    except OSError as error:
        raise ExperimentError("-o %s: cannot write: %s" % (args.output, error.strerror
                                                           or error)) from None
    print("wrote %s: class EvolvedAlgorithm (fit, predict), numpy only" % args.output)
