"""Text notation of algorithms (docs/design.md, "Notation"): printer and parser.

Both read the ``form`` templates of :mod:`azdeap.ops`; the parser turns each form
into a regular expression (tolerant of whitespace and of the optional trailing
arguments the paper's listings leave out) and picks the op from the kinds of the
addresses, so ``s1 = s2 + s3`` is SCALAR_SUM and ``v1 = v2 + v3`` VECTOR_SUM.
"""
import re

import numpy as np

from azdeap import ops

HEADERS = ("def Setup():", "def Predict():", "def Learn():")
_NAMES = ("Setup", "Predict", "Learn")
_KIND_NAMES = (("scalar", "scalars"), ("vector", "vectors"), ("matrix", "matrices"))
# Trailing arguments that paper listings may omit: heaviside(x), uniform(lo, hi).
_OPTIONAL = re.compile(r"(, \(n_features, n_features\)|, n_features|, 1\.0)")
_ADDRESS = r"[A-Za-z_]+\d+"
_NUMBER = r"[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|inf|nan)"
_HEADER = re.compile(r"def\s+(\w+)\s*\(\s*\)\s*:")
# Number of leading data fields that are index fractions in [0, 1).
_INDEX_FIELDS = {ops.VECTOR_CONST: 1, ops.MATRIX_CONST: 2}
_MAX_ADDRESS = np.iinfo(np.int32).max  # addresses are int32
# Shorter names of functions in the paper's listings: max(v1, v15) is maximum(v1, v15).
_SHORT_NAMES = {"maximum": "max", "minimum": "min"}


class NotationError(ValueError):
    """A text that is not a valid algorithm; ``line`` is the 1-based line number."""

    def __init__(self, line, problem):
        super().__init__("line %d: %s" % (line, problem))
        self.line = line


# -- printing --------------------------------------------------------------------

def format_instruction(code_row, data_row) -> str:
    """One instruction (``code`` row op, in1, in2, out and ``data`` row) as text."""
    op, in1, in2, out = (int(x) for x in code_row)
    spec = ops.OPS[op]
    kinds = spec.inputs + (ops.NO_KIND, ops.NO_KIND)
    d0, d1, d2 = (repr(float(x)) for x in data_row)
    return spec.form.format(o=ops.cell_name(spec.output, out),
                            a=ops.cell_name(kinds[0], in1), b=ops.cell_name(kinds[1], in2),
                            d0=d0, d1=d1, d2=d2)


def format_algorithm(alg, roles: bool = False, multiclass: bool = False) -> str:
    """The whole algorithm in the text notation, Setup, Predict and Learn in order;
    roles=True ends the lines whose role is clear with a comment (``roles_of``, for
    multi-class tasks with multiclass)."""
    comments = roles_of(alg, multiclass) if roles else {}
    lines, rows = [], enumerate(zip(alg.code.tolist(), alg.data.tolist()))
    for header, size in zip(HEADERS, alg.sizes):
        lines.append(header)
        for _ in range(size):
            row, (code_row, data_row) = next(rows)
            text = "  " + format_instruction(code_row, data_row)
            lines.append(text + "  # " + comments[row] if row in comments else text)
    return "\n".join(lines)


def roles_of(alg, multiclass: bool = False) -> dict:
    """{row: comment} for the roles recognised in alg: the last write of s1 in Predict
    (the prediction), the Learn instructions that read s0 (the label), and the Setup
    constant that Learn's only products by a constant scale by (the learning rate).
    With multiclass, for multi-class tasks: v2 is the prediction and v1 the label
    (docs/design.md, "Multi-class tasks")."""
    code = alg.code.tolist()
    setup, predict, learn = (range(*alg.bounds(c)) for c in range(3))
    kind, prediction, label = (ops.VECTOR, 2, 1) if multiclass else (ops.SCALAR, 1, 0)
    comments = {}
    predictions = [k for k in predict
                   if ops.OPS[code[k][0]].output == kind and code[k][3] == prediction]
    if predictions:
        comments[predictions[-1]] = "prediction"
    for k in learn:
        if any(read == kind and address == label for read, address
               in zip(ops.OPS[code[k][0]].inputs, code[k][1:3])):
            comments[k] = "reads the label %s" % ops.cell_name(kind, label)
    scalar_out = {k for k in range(len(code)) if ops.OPS[code[k][0]].output == ops.SCALAR}
    written_later = {code[k][3] for k in (*predict, *learn) if k in scalar_out}
    constants = {code[k][3]: k for k in setup if code[k][0] == _SCALAR_CONST_SET}
    scaled_by = {address for k in learn if code[k][0] in _PRODUCTS
                 for kind, address in zip(ops.OPS[code[k][0]].inputs, code[k][1:3])
                 if kind == ops.SCALAR}
    rates = [constants[s] for s in scaled_by & set(constants) - written_later]
    if len(rates) == 1:
        comments[rates[0]] = "learning rate"
    return comments


_SCALAR_CONST_SET = ops.op_code("SCALAR_CONST_SET")
# Products by a scalar, which may be a learning rate.
_PRODUCTS = {ops.op_code(name) for name in
             ("SCALAR_PRODUCT", "SCALAR_VECTOR_PRODUCT", "SCALAR_MATRIX_PRODUCT")}


# -- parsing ---------------------------------------------------------------------

def _tokens_regex(text):
    """Regex for a piece of a form: its tokens with any whitespace between them."""
    parts = []
    for token in re.findall(r"\{\w+\}|[\w.]+|\S", text):
        name = token[1:-1]
        if token in _SHORT_NAMES:
            parts.append("(?:%s|%s)" % (token, _SHORT_NAMES[token]))
        elif token[0] != "{":
            parts.append(re.escape(token))
        else:
            parts.append("(?P<%s>%s)" % (name, _ADDRESS if name in "oab" else _NUMBER))
    return r"\s*".join(parts)


def _form_regex(form):
    pieces = _OPTIONAL.split(form)  # odd pieces are the optional arguments
    return r"\s*".join("(?:%s)?" % _tokens_regex(p) if i % 2 else _tokens_regex(p)
                       for i, p in enumerate(pieces) if p)


def _build_patterns():
    """[(compiled regex, {address kinds (o, a, b): op code})] from the op table."""
    by_regex = {}
    for spec in ops.OPS:
        kinds = tuple(k for k in (spec.output,) + spec.inputs if k != ops.NO_KIND)
        by_regex.setdefault(_form_regex(spec.form), {})[kinds] = spec.code
    return [(re.compile(regex), table) for regex, table in by_regex.items()]


_PATTERNS = _build_patterns()


def _match(line, number):
    """(op code, regex fields) of one instruction line."""
    matched = False
    for pattern, table in _PATTERNS:
        match = pattern.fullmatch(line)
        if not match:
            continue
        matched = True
        fields = {k: v for k, v in match.groupdict().items() if v is not None}
        for address in (fields[k] for k in "oab" if k in fields):
            if address[0] not in ops.KIND_PREFIX or not address[1:].isdigit():
                raise NotationError(number, "address %r is not s/v/m<number>" % address)
        kinds = tuple(ops.KIND_PREFIX.index(fields[k][0]) for k in "oab" if k in fields)
        if kinds in table:
            return table[kinds], fields
    problem = "operand kinds fit no op in" if matched else "unknown instruction"
    raise NotationError(number, "%s %r" % (problem, line))


def _parse_instruction(line, number, memory):
    """(code row, data row) of one instruction line."""
    op, fields = _match(line, number)
    spec = ops.OPS[op]
    numbers = {k: int(fields[k][1:]) for k in "oab" if k in fields}
    for k, n in numbers.items():
        if n > _MAX_ADDRESS:
            raise NotationError(number, "address %s too large: at most %s%d"
                                % (fields[k], fields[k][0], _MAX_ADDRESS))
    if memory is not None:
        for k, n in numbers.items():
            kind = ops.KIND_PREFIX.index(fields[k][0])
            size = memory[kind]
            if n >= size:
                raise NotationError(number, "address %s out of range: memory has %d %s"
                                    % (fields[k], size, _KIND_NAMES[kind][size != 1]))
    data = [float(fields.get(d, 0.0)) for d in ("d0", "d1", "d2")]
    if not all(0.0 <= f < 1.0 for f in data[:_INDEX_FIELDS.get(spec.data, 0)]):
        raise NotationError(number, "index fraction not in [0, 1) in %r" % line)
    return (op, numbers.get("a", 0), numbers.get("b", 0), numbers.get("o", 0)), data


def _joined_lines(lines):
    """(1-based number, text) of each non-blank line without its comment; a line that
    ends after ``=`` is joined with the next one (the paper wraps ``s1 =`` onto
    ``uniform(-0.1, -0.2)``) and keeps its own number."""
    start, pending = 0, ""
    for number, raw in enumerate(lines, 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if pending:
            if _HEADER.fullmatch(line):
                raise NotationError(start, "%r continues on no instruction line" % pending)
            line = pending + " " + line
        else:
            start = number
        if line.endswith("="):
            pending = line
            continue
        pending = ""
        yield start, line
    if pending:
        raise NotationError(start, "%r continues on no instruction line" % pending)


def parse_algorithm(text: str, memory=None) -> tuple:
    """Parse the text notation into ``(code, data, sizes)`` arrays.

    ``memory`` (an :class:`azdeap.algorithm.Memory`), if given, bounds the addresses.
    Raises :class:`NotationError` naming the line of the first problem, TypeError if
    text is not a str.
    """
    if not isinstance(text, str):
        raise TypeError("text must be a str (an algorithm listing), got %s"
                        % type(text).__name__)
    code, data, sizes = [], [], []
    lines = text.splitlines()
    for number, line in _joined_lines(lines):
        header = _HEADER.fullmatch(line)
        if header:
            if len(sizes) == 3:
                raise NotationError(number, "%r after %r" % (line, HEADERS[2]))
            if header.group(1) != _NAMES[len(sizes)]:
                raise NotationError(number, "expected %r, got %r" % (HEADERS[len(sizes)], line))
            sizes.append(0)
            continue
        if not sizes:
            raise NotationError(number, "instruction before %r" % HEADERS[0])
        row, fields = _parse_instruction(line, number, memory)
        code.append(row)
        data.append(fields)
        sizes[-1] += 1
    if len(sizes) < 3:
        raise NotationError(max(len(lines), 1), "missing %r at end of text" % HEADERS[len(sizes)])
    return (np.array(code, np.int32).reshape(-1, 4), np.array(data, np.float64).reshape(-1, 3),
            tuple(sizes))
