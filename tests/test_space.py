"""Memory and SearchSpace: Memory.checked, check_op and check_space, the one validator of a
search space against its memory (docs/design.md, "Memory")."""
import numpy as np
import pytest

from azdeap import ops
from azdeap.space import Memory, SearchSpace, SpaceError, check_op, check_space


def test_memory_defaults_to_the_demo(demo_memory):
    assert Memory() == demo_memory == (4, 3, 1)
    assert Memory()._fields == ("scalars", "vectors", "matrices")


@pytest.mark.parametrize("memory", [Memory(2, 1, 0), Memory(np.int64(5), 3, 0), Memory(9, 9, 9)])
def test_a_memory_that_can_run_an_algorithm_is_itself(memory):
    assert memory.checked() is memory


@pytest.mark.parametrize("memory, message", [
    (Memory(1, 3, 1), "memory needs at least 2 scalars (s0 label, s1 prediction) and 1 vector "
                      "(v0 features), got 1 scalars, 3 vectors"),
    (Memory(4, 0, 1), "memory needs at least 2 scalars (s0 label, s1 prediction) and 1 vector "
                      "(v0 features), got 4 scalars, 0 vectors"),
    (Memory(4, 3, -1), "memory sizes must be integers >= 0, got (4, 3, -1)"),
    (Memory(4.0, 3, 1), "memory sizes must be integers >= 0, got (4.0, 3, 1)"),
    (Memory(True, 3, 1), "memory sizes must be integers >= 0, got (True, 3, 1)"),
    (Memory("4", 3, 1), "memory sizes must be integers >= 0, got ('4', 3, 1)"),
])
def test_a_memory_that_cannot_run_an_algorithm_says_why(memory, message):
    with pytest.raises(ValueError) as info:
        memory.checked()
    assert str(info.value) == message


# -- check_op -------------------------------------------------------------------------------
@pytest.mark.parametrize("op, memory, message", [
    ("MATRIX_NORM", Memory(4, 3, 0), "MATRIX_NORM needs memory.matrices >= 1"),      # input
    ("VECTOR_OUTER_PRODUCT", Memory(4, 3, 0), "VECTOR_OUTER_PRODUCT needs memory.matrices >= 1"),
    ("MATRIX_CONST_SET", Memory(4, 3, 0), "MATRIX_CONST_SET needs memory.matrices >= 1"),
    ("SCALAR_SUM", Memory(1, 3, 1), "SCALAR_SUM needs memory.scalars >= 2"),    # never s0
    ("VECTOR_SUM", Memory(4, 1, 1), "VECTOR_SUM needs memory.vectors >= 2"),    # never v0
    ("VECTOR_NORM", Memory(4, 0, 1), "VECTOR_NORM needs memory.vectors >= 1"),
])
def test_check_op_names_the_missing_addresses(op, memory, message):
    with pytest.raises(ValueError) as info:
        check_op(ops.op_code(op), memory)
    assert str(info.value) == message


def test_check_op_accepts_ops_that_fit():
    check_op("NO_OP", Memory(0, 0, 0))                        # no operand at all
    check_op("MATRIX_SUM", Memory(2, 1, 1))                   # m0 is writable
    check_op(ops.op_code("SCALAR_SUM"), Memory(2, 1, 0))      # s1 is writable
    with pytest.raises(ValueError, match="unknown op code 65"):
        check_op(65, Memory())
    with pytest.raises(ValueError, match="unknown op 'SCALAR_FOO'"):
        check_op("SCALAR_FOO", Memory())


# -- check_space ----------------------------------------------------------------------------
def test_check_space_turns_op_names_into_codes(demo_space):
    named = demo_space._replace(memory=(4, 3, 1), ops=(
        ("scalar_const_set", 27), (), tuple(ops.OPS[code].name for code in demo_space.ops[2])))
    checked = check_space(named)
    assert checked.ops == ((56, 27), (), demo_space.ops[2])
    assert type(checked.memory) is Memory and checked.memory == demo_space.memory
    assert checked[2:] == demo_space[2:]
    assert check_space(demo_space) == demo_space


@pytest.mark.parametrize("change, where, problem", [
    ({"memory": Memory(1, 3, 1)}, "memory", "memory needs at least 2 scalars"),
    ({"ops": ((56,), (1, 2, "MATRIX_MEAN"), ())}, "predict.ops[2]",
     "MATRIX_MEAN needs memory.matrices >= 1"),
    ({"ops": ((), (), (3, "SCALAR_FOO"))}, "learn.ops[1]", "unknown op 'SCALAR_FOO'"),
    ({"sizes": (10, 3, 8)}, "predict.max", "must be > size (3), got 3"),
    ({"min_sizes": (10, 2, 9)}, "learn.min", "must be >= 0 and < max (9), got 9"),
    ({"min_sizes": (-1, 2, 8)}, "setup.min", "must be >= 0 and < max (11), got -1"),
    ({"ops": ((), (), ())}, "ops", "no mutable component: every op list is empty"),
])
def test_check_space_names_the_first_problem(change, where, problem, demo_ops):
    space = SearchSpace(Memory(4, 3, 0), (demo_ops,) * 3, (10, 2, 8), (10, 2, 8), (11, 3, 9))
    with pytest.raises(SpaceError) as info:
        check_space(space._replace(**change))
    assert info.value.where == where and info.value.problem.startswith(problem)
    assert str(info.value) == "%s: %s" % (where, info.value.problem)
    assert "\n" not in str(info.value) and isinstance(info.value, ValueError)


def test_frozen_components_have_no_size_bounds(demo_ops, demo_memory):
    """An empty op list freezes a component: its sizes are not checked."""
    space = SearchSpace(demo_memory, ((), demo_ops, ()), (7, 2, 9), (9, 0, 9), (0, 3, 0))
    assert check_space(space).mutable_components() == [1]
    with pytest.raises(SpaceError, match="^setup.max"):
        check_space(space._replace(ops=(demo_ops, demo_ops, ())))
