"""Mutations, the original's and the paper's constant rule (docs/design.md, "Mutations")."""
import collections
import copy
import random

import numpy as np
import pytest

from azdeap import generator, mutation, ops
from azdeap.algorithm import Algorithm
from azdeap.space import Memory, SearchSpace

BIG = Memory(20, 20, 20)  # few address re-draws land on the old value


def op(name):
    return ops.op_code(name)


def changed_cells(before, after):
    """[(row, "code"/"data", column)] that differ between two same-sized algorithms."""
    assert before.sizes == after.sizes
    return ([(i, "code", j) for i, j in zip(*np.nonzero(before.code != after.code))]
            + [(i, "data", j) for i, j in zip(*np.nonzero(before.data != after.data))])


def check_valid(algorithm, space):
    """Every instruction uses an allowed op, in-range addresses and canonical zeros."""
    for c in range(3):
        code, data = algorithm.component(c)
        for code_row, data_row in zip(code, data):
            op_, in1, in2, out = (int(x) for x in code_row)
            assert op_ in space.ops[c] or (not space.ops[c] and op_ == ops.NO_OP)
            spec = ops.OPS[op_]
            for j, address in enumerate((in1, in2)):
                bound = space.memory[spec.inputs[j]] if j < len(spec.inputs) else 1
                assert 0 <= address < bound
            if spec.output == ops.NO_KIND:
                assert out == 0
            else:
                low = 0 if spec.output == ops.MATRIX else 1  # never s0 / v0
                assert low <= out < space.memory[spec.output]
            assert not data_row[ops.N_DATA[op_]:].any()


def one_instruction(name, data=(0.0, 0.0, 0.0), addresses=(1, 2, 3), memory=BIG):
    """A space whose only mutable component (Predict) holds one instruction of op name."""
    spec = ops.BY_NAME[name]
    addresses = [a if j < len(spec.inputs) else 0 for j, a in enumerate(addresses[:2])]
    code = np.array([[spec.code, *addresses, 3]], np.int32)
    space = SearchSpace(memory, ((), (spec.code,), ()), (0, 1, 0), (0, 0, 0), (5, 5, 5))
    return Algorithm(code, np.array([data], float), (0, 1, 0)), space


def alter_many(name, n=4000, data=(0.0, 0.0, 0.0), constant_rule="original"):
    """The altered (code row, data row) of n independent ALTER_PARAMs of one instruction."""
    base_, space = one_instruction(name, data)
    results = []
    for _ in range(n):
        algorithm = copy.deepcopy(base_)
        mutation.mutAlterParam(algorithm, space, constant_rule=constant_rule)
        results.append((algorithm.code[0], algorithm.data[0]))
    return base_, np.array([c for c, _ in results]), np.array([d for _, d in results])


def field_fractions(base_, code, data):
    """Fraction of draws that changed each of in1, in2, out and the data."""
    return (np.mean(code[:, 1] != base_.code[0, 1]), np.mean(code[:, 2] != base_.code[0, 2]),
            np.mean(code[:, 3] != base_.code[0, 3]),
            np.mean((data != base_.data[0]).any(axis=1)))


# -- ALTER_PARAM --------------------------------------------------------------------
def test_alter_param_changes_at_most_one_field_of_one_instruction(demo_space):
    random.seed(10)
    changed = 0
    for _ in range(2000):
        before = generator.initRandom(Algorithm, demo_space)
        after = copy.deepcopy(before)
        mutation.mutAlterParam(after, demo_space)
        cells = changed_cells(before, after)
        assert len(cells) <= 1
        changed += len(cells)
        for row, array, column in cells:
            spec = ops.OPS[before.code[row, 0]]
            if array == "code":
                assert column == 3 or column <= len(spec.inputs)  # an address it uses
            else:
                assert spec.data is not None and column < ops.N_DATA[spec.code]
        check_valid(after, demo_space)
    assert changed > 1000  # re-draws in 4/3/1 memory often give the old value back


def test_alter_param_two_inputs_one_third_each():
    random.seed(11)
    fractions = field_fractions(*alter_many("SCALAR_SUM"))
    expected = (19 / 20 / 3, 19 / 20 / 3, 18 / 19 / 3, 0.0)  # re-draw may repeat the value
    assert np.allclose(fractions, expected, atol=0.03), fractions


def test_alter_param_one_input_half_each():
    random.seed(12)
    fractions = field_fractions(*alter_many("VECTOR_NORM"))
    assert np.allclose(fractions, (19 / 20 / 2, 0.0, 18 / 19 / 2, 0.0), atol=0.03), fractions


def test_alter_param_data_op_half_out_half_data():
    random.seed(13)
    base_, code, data = alter_many("SCALAR_CONST_SET", data=(0.5, 0.0, 0.0))
    fractions = field_fractions(base_, code, data)
    assert np.allclose(fractions, (0.0, 0.0, 18 / 19 / 2, 0.5), atol=0.03), fractions
    assert (code[:, 3] >= 1).all() and (code[:, 3] < 20).all()  # never s0
    assert not data[:, 1:].any()


def test_alter_param_noop_and_empty_component_unchanged(demo_ops):
    random.seed(14)
    algorithm, space = one_instruction("NO_OP")
    before = copy.deepcopy(algorithm)
    for _ in range(50):
        mutation.mutAlterParam(algorithm, space)
    assert algorithm == before
    empty = Algorithm(None, None, (3, 0, 2))
    space = space._replace(ops=((), demo_ops, ()))
    for operator in (mutation.mutAlterParam, mutation.mutRandomizeInstruction,
                     mutation.mutRandomizeComponent):
        assert operator(empty, space)[0] == Algorithm(None, None, (3, 0, 2))


def test_constant_original_rule_flip_or_log_normal():
    random.seed(15)
    base_, _, data = alter_many("SCALAR_CONST_SET", n=8000, data=(0.5, 0.0, 0.0))
    new = data[data[:, 0] != 0.5, 0]
    flipped = new == -0.5
    assert abs(flipped.mean() - 0.1) < 0.015
    steps = np.log(new[~flipped] / 0.5)  # log-normal step keeping the sign
    assert abs(steps.mean()) < 0.05 and abs(steps.std() - 1.0) < 0.05


def test_constant_zero_stays_zero():
    random.seed(16)
    _, _, data = alter_many("SCALAR_CONST_SET", n=300, data=(0.0, 0.0, 0.0))
    assert not data.any() and not np.signbit(data).any()


def test_constant_paper_rule_scale_in_half_to_double_and_flip():
    random.seed(17)
    _, _, data = alter_many("SCALAR_CONST_SET", n=8000, data=(0.5, 0.0, 0.0),
                            constant_rule="paper")
    new = data[data[:, 0] != 0.5, 0]
    ratio = new / 0.5
    assert (np.abs(ratio) >= 0.5).all() and (np.abs(ratio) <= 2.0).all()
    assert abs(np.mean(ratio < 0) - 0.1) < 0.015
    assert np.abs(ratio).min() < 0.52 and np.abs(ratio).max() > 1.98
    assert abs(np.abs(ratio).mean() - 1.25) < 0.03  # uniform on [0.5, 2]


def test_vector_const_half_index_half_value():
    random.seed(18)
    _, _, data = alter_many("VECTOR_CONST_SET", data=(0.25, -0.5, 0.0))
    index, value = data[:, 0] != 0.25, data[:, 1] != -0.5
    assert not (index & value).any() and not data[:, 2].any()
    assert abs(index.mean() - 0.25) < 0.03 and abs(value.mean() - 0.25) < 0.03
    assert (data[:, 0] >= 0).all() and (data[:, 0] < 1).all()
    assert abs(np.mean(data[value, 1] > 0) - 0.1) < 0.03  # sign flips


def test_matrix_const_one_third_each():
    random.seed(19)
    _, _, data = alter_many("MATRIX_CONST_SET", n=6000, data=(0.25, 0.75, -0.5))
    changed = data != np.array([0.25, 0.75, -0.5])
    assert (changed.sum(axis=1) <= 1).all()
    assert np.allclose(changed.mean(axis=0), 1 / 6, atol=0.025)  # 1/2 (data) * 1/3
    assert (data[:, :2] >= 0).all() and (data[:, :2] < 1).all()


def test_gaussian_mean_flips_std_only_scales():
    random.seed(20)
    _, _, data = alter_many("VECTOR_GAUSSIAN_SET", n=6000, data=(0.5, 0.5, 0.0))
    mean, std = data[:, 0] != 0.5, data[:, 1] != 0.5
    assert not (mean & std).any()
    assert abs(mean.mean() - 0.25) < 0.03 and abs(std.mean() - 0.25) < 0.03
    assert (data[:, 1] > 0).all()  # never flipped
    assert abs(np.mean(data[mean, 0] < 0) - 0.1) < 0.03


@pytest.mark.parametrize("constant_rule", ["original", "paper"])
def test_uniform_alters_one_bound_then_sorts(constant_rule):
    random.seed(21)
    _, _, data = alter_many("SCALAR_UNIFORM_SET", n=4000, data=(0.5, -0.3, 0.0),
                            constant_rule=constant_rule)
    altered = (data != [0.5, -0.3, 0.0]).any(axis=1)
    assert abs(altered.mean() - 0.5) < 0.03 and not data[:, 2].any()
    data = data[altered]
    assert (data[:, 0] <= data[:, 1]).all()  # d0 = min, d1 = max
    kept_low = (data[:, :2] == 0.5).any(axis=1)
    kept_high = (data[:, :2] == -0.3).any(axis=1)
    assert (kept_low ^ kept_high).all()  # exactly one bound altered
    assert abs(kept_low.mean() - 0.5) < 0.04


def test_unknown_constant_rule():
    algorithm, space = one_instruction("SCALAR_CONST_SET", (0.5, 0, 0))
    with pytest.raises(ValueError, match="bogus"):
        mutation.mutAlterParam(algorithm, space, constant_rule="bogus")
    with pytest.raises(ValueError, match="bogus"):
        mutation.mutAny(algorithm, space, constant_rule="bogus")


# -- the other mutations ---------------------------------------------------------
def test_randomize_instruction_replaces_one_instruction(demo_space):
    random.seed(30)
    rows_changed = collections.Counter()
    for _ in range(1000):
        before = generator.initRandom(Algorithm, demo_space)
        after = mutation.mutRandomizeInstruction(copy.deepcopy(before), demo_space)[0]
        rows = {row for row, _, _ in changed_cells(before, after)}
        assert len(rows) <= 1
        rows_changed[len(rows)] += 1
        check_valid(after, demo_space)
    assert rows_changed[1] > 700


def test_randomize_component_keeps_lengths_and_touches_one_component(demo_space):
    random.seed(31)
    touched = collections.Counter()
    for _ in range(600):
        before = generator.initRandom(Algorithm, demo_space)
        after = mutation.mutRandomizeComponent(copy.deepcopy(before), demo_space)[0]
        assert after.sizes == before.sizes
        components = {next(c for c in range(3) if row < before.bounds(c)[1])
                      for row, _, _ in changed_cells(before, after)}
        assert len(components) == 1
        touched[components.pop()] += 1
        check_valid(after, demo_space)
    assert all(abs(touched[c] / 600 - 1 / 3) < 0.06 for c in range(3)), touched


def test_randomize_algorithm_rebuilds_every_mutable_component(demo_ops, demo_space):
    random.seed(32)
    space = demo_space._replace(ops=(demo_ops, (), demo_ops))
    before = generator.initRandom(Algorithm, space)
    after = mutation.mutRandomizeAlgorithm(copy.deepcopy(before), space)[0]
    for c, should_change in enumerate((True, False, True)):
        changed = not np.array_equal(before.component(c)[0], after.component(c)[0])
        assert changed == should_change
    check_valid(after, space)


def test_insert_position_uniform_and_max_minus_one(demo_ops):
    random.seed(33)
    space = SearchSpace(Memory(), ((), demo_ops, ()), (0, 4, 0), (0, 0, 0), (0, 6, 0))
    positions = collections.Counter()
    for _ in range(3000):
        algorithm = mutation.mutInsert(Algorithm(None, None, (2, 4, 1)), space)[0]
        assert algorithm.sizes == (2, 5, 1)
        assert not algorithm.component(0)[0].any() and not algorithm.component(2)[0].any()
        predict = algorithm.component(1)[0]
        (position,) = np.nonzero(predict[:, 0])[0]  # the only non-NO_OP
        positions[position] += 1
        check_valid(algorithm, space._replace(ops=((), demo_ops + (0,), ())))
    assert sorted(positions) == [0, 1, 2, 3, 4]  # [0, size]
    assert all(abs(n / 3000 - 0.2) < 0.03 for n in positions.values()), positions
    full = Algorithm(None, None, (0, 5, 0))  # size == max - 1: nothing happens
    assert mutation.mutInsert(full, space)[0].sizes == (0, 5, 0)


def test_remove_position_uniform_and_min(demo_ops):
    random.seed(34)
    space = SearchSpace(Memory(), (demo_ops, (), ()), (4, 0, 0), (3, 0, 0), (9, 0, 0))
    code = np.zeros((5, 4), np.int32)
    code[:4] = [op("SCALAR_CONST_SET"), 0, 0, 1]
    data = np.zeros((5, 3))
    data[:4, 0] = [0.1, 0.2, 0.3, 0.4]  # tell the rows apart
    removed = collections.Counter()
    for _ in range(3000):
        algorithm = mutation.mutRemove(Algorithm(code, data, (4, 1, 0)), space)[0]
        assert algorithm.sizes == (3, 1, 0)
        assert np.array_equal(algorithm.code[3], [0, 0, 0, 0])  # predict untouched
        (gone,) = set(data[:4, 0]) - set(algorithm.data[:3, 0])
        removed[gone] += 1
    assert all(abs(removed[value] / 3000 - 0.25) < 0.03 for value in data[:4, 0]), removed
    at_min = Algorithm(code[:3], data[:3], (3, 0, 0))
    assert mutation.mutRemove(at_min, space)[0].sizes == (3, 0, 0)


def test_trade_keeps_size_and_ignores_bounds(demo_ops):
    random.seed(35)
    space = SearchSpace(Memory(), (demo_ops, demo_ops, ()), (3, 2, 0), (3, 2, 0), (4, 3, 0))
    changed = 0
    for _ in range(300):  # both sizes are at min and at max - 1
        before = generator.initRandom(Algorithm, space)
        after = mutation.mutTrade(copy.deepcopy(before), space)[0]
        assert after.sizes == before.sizes == (3, 2, 0)
        check_valid(after, space)
        changed += after != before
        # at most one instruction left and one came in: the rows differ by one shift
        kept = collections.Counter(map(tuple, before.code.tolist()))
        kept.subtract(map(tuple, after.code.tolist()))
        assert sum(n for n in kept.values() if n > 0) <= 1
    assert changed > 200


def test_trade_removes_uniformly_among_size_plus_one():
    random.seed(37)
    space = SearchSpace(Memory(), ((op("SCALAR_CONST_SET"),), (), ()), (4, 0, 0), (4, 0, 0),
                        (5, 0, 0))
    code = np.tile(np.array([op("SCALAR_CONST_SET"), 0, 0, 1], np.int32), (4, 1))
    data = np.zeros((4, 3))
    data[:, 0] = [0.1, 0.2, 0.3, 0.4]  # the inserted constant is none of these
    removed = collections.Counter()
    for _ in range(4000):
        after = mutation.mutTrade(Algorithm(code, data, (4, 0, 0)), space)[0]
        gone = set(data[:, 0]) - set(after.data[:, 0])
        removed[gone.pop() if gone else "inserted"] += 1
    assert len(removed) == 5
    assert all(abs(n / 4000 - 0.2) < 0.025 for n in removed.values()), removed


def test_frozen_components_are_never_touched(demo_ops, demo_space, creator_individual):
    random.seed(36)
    space = demo_space._replace(ops=((), demo_ops, ()), min_sizes=(0, 0, 0))
    algorithm = generator.initRandom(creator_individual, demo_space)
    setup, learn = (copy.deepcopy(algorithm.component(c)) for c in (0, 2))
    for _ in range(3000):
        for name in mutation.MUTATIONS:
            mutation.MUTATIONS[name](algorithm, space)
    assert np.array_equal(algorithm.component(0)[0], setup[0])
    assert np.array_equal(algorithm.component(2)[1], learn[1])
    assert np.array_equal(algorithm.component(2)[0], learn[0])
    assert algorithm.sizes[0] == 10 and algorithm.sizes[2] == 8


@pytest.mark.parametrize("memory", [Memory(), BIG])  # pool / makers in generation
def test_every_mutation_keeps_instructions_valid_and_sizes_in_bounds(memory, demo_space):
    random.seed(38)
    space = demo_space._replace(memory=memory, min_sizes=(2, 1, 3), max_sizes=(12, 4, 10))
    algorithm = generator.initRandom(Algorithm, space)
    for _ in range(300):
        mutation.mutAny(algorithm, space, tuple(mutation.MUTATIONS), mutate_prob=1.0)
        check_valid(algorithm, space)
        assert all(low <= size <= high - 1 for low, size, high
                   in zip(space.min_sizes, algorithm.sizes, space.max_sizes))


def test_no_mutable_component(demo_space):
    space = demo_space._replace(ops=((), (), ()))
    with pytest.raises(ValueError, match="mutable"):
        mutation.mutAlterParam(Algorithm(None, None, (1, 1, 1)), space)


# -- DEAP conventions ---------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(mutation.MUTATIONS))
def test_in_place_one_tuple_and_fitness_deleted(name, demo_space, creator_individual):
    random.seed(40)
    individual = generator.initRandom(creator_individual, demo_space)
    individual.fitness.values = (0.5,)
    result = mutation.MUTATIONS[name](individual, demo_space)
    assert isinstance(result, tuple) and len(result) == 1 and result[0] is individual
    assert not individual.fitness.valid
    plain = generator.initRandom(Algorithm, demo_space)  # no fitness attribute: works too
    assert mutation.MUTATIONS[name](plain, demo_space)[0] is plain


def test_mutation_is_in_place(demo_space, creator_individual):
    random.seed(41)
    individual = generator.initRandom(creator_individual, demo_space)
    before = copy.deepcopy(individual)
    for _ in range(20):
        mutation.mutRandomizeComponent(individual, demo_space)
    assert individual != before


# -- mutate ---------------------------------------------------------------------------
def test_mutate_prob_leaves_about_ten_percent_unchanged(demo_space, creator_individual):
    random.seed(50)
    individual = generator.initRandom(creator_individual, demo_space)
    kept = 0
    for _ in range(5000):
        individual.fitness.values = (0.5,)
        assert mutation.mutAny(individual, demo_space, ("identity",))[0] is individual
        kept += individual.fitness.valid
    assert abs(kept / 5000 - 0.1) < 0.015
    individual.fitness.values = (0.5,)
    mutation.mutAny(individual, demo_space, ("identity",), mutate_prob=1.0)
    assert not individual.fitness.valid


def test_mutate_changes_most_of_the_time(demo_space):
    random.seed(51)
    changed = 0
    for _ in range(2000):
        before = generator.initRandom(Algorithm, demo_space)
        after = mutation.mutAny(copy.deepcopy(before), demo_space)[0]
        changed += after != before
        check_valid(after, demo_space)
    assert 0.6 < changed / 2000 < 0.9


def size_changes(op_codes, mutations, n=6000):
    space = SearchSpace(Memory(), (op_codes, (), ()), (5, 0, 0), (0, 0, 0), (99, 0, 0))
    changes = collections.Counter()
    for _ in range(n):
        algorithm = mutation.mutAny(Algorithm(None, None, (5, 0, 0)), space, mutations,
                                     mutate_prob=1.0)[0]
        changes[algorithm.sizes[0] - 5] += 1
    return {k: v / n for k, v in changes.items()}


def test_mutate_removal_twice_as_likely_as_insertion(demo_ops):
    random.seed(52)
    changes = size_changes(demo_ops, ("insert", "remove"))
    assert abs(changes[1] - 1 / 3) < 0.03 and abs(changes[-1] - 2 / 3) < 0.03
    changes = size_changes(demo_ops, ("insert", "identity"))  # otherwise uniform
    assert abs(changes[1] - 1 / 2) < 0.03 and abs(changes[0] - 1 / 2) < 0.03
    changes = size_changes(demo_ops, ("remove", "trade", "identity"))
    assert abs(changes[-1] - 1 / 3) < 0.03 and abs(changes[0] - 2 / 3) < 0.03


def test_mutate_unknown_mutation(demo_space):
    individual = Algorithm(None, None, (1, 1, 1))
    with pytest.raises(ValueError, match="alter_params"):
        mutation.mutAny(individual, demo_space, ("alter_params", "insert"))
    mutation.mutAny(individual, demo_space, ["insert", "remove"])  # lists are fine


def test_mutate_paper_rule_reaches_alter_param():
    random.seed(53)
    base_, space = one_instruction("SCALAR_CONST_SET", (0.5, 0.0, 0.0))
    values = set()
    for _ in range(400):
        algorithm = copy.deepcopy(base_)
        mutation.mutAny(algorithm, space, ("alter_param",), 1.0, constant_rule="paper")
        values.add(algorithm.data[0, 0])
    ratios = np.abs(np.array(sorted(values - {0.5})) / 0.5)
    assert len(ratios) > 100 and (ratios >= 0.5).all() and (ratios <= 2.0).all()


def test_seeded_mutation_is_reproducible(demo_space):
    def run(seed, mutations=200):
        random.seed(seed)
        individual = generator.initRandom(Algorithm, demo_space)
        for _ in range(mutations):
            mutation.mutAny(individual, demo_space)
        return individual
    assert run(54) == run(54)
    assert run(54) != run(54, mutations=0)   # the mutations changed it...
    assert run(54) != run(55)                # ...as the seed says
