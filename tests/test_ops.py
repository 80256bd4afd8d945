"""The op table (docs/design.md, "Ops"): the original's numbering, its array views and
op_code."""
import re

import numpy as np
import pytest

from azdeap import ops


def test_codes_are_the_originals():
    assert ops.NUM_OPS == 65 and [op.code for op in ops.OPS] == list(range(65))
    assert [ops.OPS[code].name for code in (0, 1, 27, 31, 56, 64)] == [
        "NO_OP", "SCALAR_SUM", "VECTOR_INNER_PRODUCT", "MATRIX_VECTOR_PRODUCT",
        "SCALAR_CONST_SET", "MATRIX_GAUSSIAN_SET"]
    assert all(ops.BY_NAME[op.name] is op for op in ops.OPS)


def test_array_views_and_text_forms_agree_with_the_table():
    for op in ops.OPS:
        inputs = op.inputs + (ops.NO_KIND,) * (2 - len(op.inputs))
        assert (ops.IN1_KIND[op.code], ops.IN2_KIND[op.code],
                ops.OUT_KIND[op.code]) == (*inputs, op.output), op.name
        expected = set("ab"[:len(op.inputs)]) | {"d%d" % i for i in range(ops.N_DATA[op.code])}
        expected |= {"o"} if op.output != ops.NO_KIND else set()
        assert set(re.findall(r"\{(\w+)\}", op.form)) == expected, op.name


def test_op_code_takes_codes_and_names_in_any_case():
    assert ops.op_code("SCALAR_SUM") == ops.op_code("scalar_sum") == ops.op_code(1) == 1
    code = ops.op_code(np.int64(64))
    assert code == 64 and type(code) is int


@pytest.mark.parametrize("value, message", [
    (65, "unknown op code 65 (valid: 0..64)"),
    (-1, "unknown op code -1 (valid: 0..64)"),
    ("SCALAR_FOO", "unknown op 'SCALAR_FOO'"),
    (True, "unknown op True"),          # a bool is no op code
    (1.0, "unknown op 1.0"),
])
def test_op_code_errors(value, message):
    with pytest.raises(ValueError) as info:
        ops.op_code(value)
    assert str(info.value) == message
