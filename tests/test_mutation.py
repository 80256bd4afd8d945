"""Mutations, the original's and the paper's constant rule (docs/design.md, "Mutations").

The statistical tests run each mutation both ways (``batch``): one individual at a time by
its operator, and all at once by ``mutAnyBatch``; both must pass the same bounds."""
import collections
import copy
import random
from functools import partial

import numpy as np
import pytest

from azdeap import generator, mutation, ops
from azdeap.algorithm import Algorithm
from azdeap.programs import Programs
from azdeap.space import Memory, SearchSpace

BIG = Memory(20, 20, 20)  # few address re-draws land on the old value
both = pytest.mark.parametrize("batch", [False, True], ids=["one", "batch"])


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


def mutate_copies(name, algorithms, space, batch, constant_rule="original"):
    """A mutated copy of each algorithm: mutation ``name`` by its operator, one at a time,
    or by ``mutAnyBatch`` (that mutation only, mutate_prob 1) on all of them at once."""
    if batch:
        children, mutated = mutation.mutAnyBatch(Programs.stack(algorithms), space, (name,),
                                                 1.0, constant_rule)
        assert mutated.all()
        return children.unstack()
    operator = mutation.MUTATIONS[name]
    if name == "alter_param":
        operator = partial(operator, constant_rule=constant_rule)
    return [operator(copy.deepcopy(algorithm), space)[0] for algorithm in algorithms]


def alter_many(name, n=4000, data=(0.0, 0.0, 0.0), constant_rule="original", batch=False):
    """The altered (code row, data row) of n independent ALTER_PARAMs of one instruction."""
    base_, space = one_instruction(name, data)
    altered = mutate_copies("alter_param", [base_] * n, space, batch, constant_rule)
    return (base_, np.array([a.code[0] for a in altered]),
            np.array([a.data[0] for a in altered]))


def field_fractions(base_, code, data):
    """Fraction of draws that changed each of in1, in2, out and the data."""
    return (np.mean(code[:, 1] != base_.code[0, 1]), np.mean(code[:, 2] != base_.code[0, 2]),
            np.mean(code[:, 3] != base_.code[0, 3]),
            np.mean((data != base_.data[0]).any(axis=1)))


# -- ALTER_PARAM --------------------------------------------------------------------
@both
def test_alter_param_changes_at_most_one_field_of_one_instruction(demo_space, batch):
    random.seed(10)
    changed = 0
    befores = [generator.initRandom(Algorithm, demo_space) for _ in range(2000)]
    for before, after in zip(befores, mutate_copies("alter_param", befores, demo_space, batch)):
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


@both
def test_alter_param_two_inputs_one_third_each(batch):
    random.seed(11)
    fractions = field_fractions(*alter_many("SCALAR_SUM", batch=batch))
    expected = (19 / 20 / 3, 19 / 20 / 3, 18 / 19 / 3, 0.0)  # re-draw may repeat the value
    assert np.allclose(fractions, expected, atol=0.03), fractions


@both
def test_alter_param_one_input_half_each(batch):
    random.seed(12)
    fractions = field_fractions(*alter_many("VECTOR_NORM", batch=batch))
    assert np.allclose(fractions, (19 / 20 / 2, 0.0, 18 / 19 / 2, 0.0), atol=0.03), fractions


@both
def test_alter_param_data_op_half_out_half_data(batch):
    random.seed(13)
    base_, code, data = alter_many("SCALAR_CONST_SET", data=(0.5, 0.0, 0.0), batch=batch)
    fractions = field_fractions(base_, code, data)
    assert np.allclose(fractions, (0.0, 0.0, 18 / 19 / 2, 0.5), atol=0.03), fractions
    assert (code[:, 3] >= 1).all() and (code[:, 3] < 20).all()  # never s0
    assert not data[:, 1:].any()


@both
def test_alter_param_noop_and_empty_component_unchanged(demo_ops, batch):
    random.seed(14)
    algorithm, space = one_instruction("NO_OP")
    assert mutate_copies("alter_param", [algorithm] * 50, space, batch) == [algorithm] * 50
    empty = Algorithm(None, None, (3, 0, 2))
    space = space._replace(ops=((), demo_ops, ()))
    for name in ("alter_param", "randomize_instruction", "randomize_component"):
        assert mutate_copies(name, [empty], space, batch) == [Algorithm(None, None, (3, 0, 2))]


@both
def test_constant_original_rule_flip_or_log_normal(batch):
    random.seed(15)
    base_, _, data = alter_many("SCALAR_CONST_SET", n=8000, data=(0.5, 0.0, 0.0),
                                batch=batch)
    new = data[data[:, 0] != 0.5, 0]
    flipped = new == -0.5
    assert abs(flipped.mean() - 0.1) < 0.015
    steps = np.log(new[~flipped] / 0.5)  # log-normal step keeping the sign
    assert abs(steps.mean()) < 0.05 and abs(steps.std() - 1.0) < 0.05


@both
def test_constant_zero_stays_zero(batch):
    random.seed(16)
    _, _, data = alter_many("SCALAR_CONST_SET", n=300, data=(0.0, 0.0, 0.0), batch=batch)
    assert not data.any() and not np.signbit(data).any()


@both
def test_constant_paper_rule_scale_in_half_to_double_and_flip(batch):
    random.seed(17)
    _, _, data = alter_many("SCALAR_CONST_SET", n=8000, data=(0.5, 0.0, 0.0),
                            constant_rule="paper", batch=batch)
    new = data[data[:, 0] != 0.5, 0]
    ratio = new / 0.5
    assert (np.abs(ratio) >= 0.5).all() and (np.abs(ratio) <= 2.0).all()
    assert abs(np.mean(ratio < 0) - 0.1) < 0.015
    assert np.abs(ratio).min() < 0.52 and np.abs(ratio).max() > 1.98
    assert abs(np.abs(ratio).mean() - 1.25) < 0.03  # uniform on [0.5, 2]


@both
def test_vector_const_half_index_half_value(batch):
    random.seed(18)
    _, _, data = alter_many("VECTOR_CONST_SET", data=(0.25, -0.5, 0.0), batch=batch)
    index, value = data[:, 0] != 0.25, data[:, 1] != -0.5
    assert not (index & value).any() and not data[:, 2].any()
    assert abs(index.mean() - 0.25) < 0.03 and abs(value.mean() - 0.25) < 0.03
    assert (data[:, 0] >= 0).all() and (data[:, 0] < 1).all()
    assert abs(np.mean(data[value, 1] > 0) - 0.1) < 0.03  # sign flips


@both
def test_matrix_const_one_third_each(batch):
    random.seed(19)
    _, _, data = alter_many("MATRIX_CONST_SET", n=6000, data=(0.25, 0.75, -0.5),
                            batch=batch)
    changed = data != np.array([0.25, 0.75, -0.5])
    assert (changed.sum(axis=1) <= 1).all()
    assert np.allclose(changed.mean(axis=0), 1 / 6, atol=0.025)  # 1/2 (data) * 1/3
    assert (data[:, :2] >= 0).all() and (data[:, :2] < 1).all()


@both
def test_gaussian_mean_flips_std_only_scales(batch):
    random.seed(20)
    _, _, data = alter_many("VECTOR_GAUSSIAN_SET", n=6000, data=(0.5, 0.5, 0.0), batch=batch)
    mean, std = data[:, 0] != 0.5, data[:, 1] != 0.5
    assert not (mean & std).any()
    assert abs(mean.mean() - 0.25) < 0.03 and abs(std.mean() - 0.25) < 0.03
    assert (data[:, 1] > 0).all()  # never flipped
    assert abs(np.mean(data[mean, 0] < 0) - 0.1) < 0.03


@both
@pytest.mark.parametrize("constant_rule", ["original", "paper"])
def test_uniform_alters_one_bound_then_sorts(constant_rule, batch):
    random.seed(21)
    _, _, data = alter_many("SCALAR_UNIFORM_SET", n=4000, data=(0.5, -0.3, 0.0),
                            constant_rule=constant_rule, batch=batch)
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
    with pytest.raises(ValueError, match="bogus"):
        mutation.mutAnyBatch(Programs.stack([algorithm]), space, constant_rule="bogus")


# -- the other mutations ---------------------------------------------------------
@both
def test_randomize_instruction_replaces_one_instruction(demo_space, batch):
    random.seed(30)
    rows_changed = collections.Counter()
    befores = [generator.initRandom(Algorithm, demo_space) for _ in range(1000)]
    for before, after in zip(befores, mutate_copies("randomize_instruction", befores,
                                                    demo_space, batch)):
        rows = {row for row, _, _ in changed_cells(before, after)}
        assert len(rows) <= 1
        rows_changed[len(rows)] += 1
        check_valid(after, demo_space)
    assert rows_changed[1] > 700


@both
def test_randomize_component_keeps_lengths_and_touches_one_component(demo_space, batch):
    random.seed(31)
    touched = collections.Counter()
    befores = [generator.initRandom(Algorithm, demo_space) for _ in range(600)]
    for before, after in zip(befores, mutate_copies("randomize_component", befores,
                                                    demo_space, batch)):
        assert after.sizes == before.sizes
        components = {next(c for c in range(3) if row < before.bounds(c)[1])
                      for row, _, _ in changed_cells(before, after)}
        assert len(components) == 1
        touched[components.pop()] += 1
        check_valid(after, demo_space)
    assert all(abs(touched[c] / 600 - 1 / 3) < 0.06 for c in range(3)), touched


@both
def test_randomize_algorithm_rebuilds_every_mutable_component(demo_ops, demo_space, batch):
    random.seed(32)
    space = demo_space._replace(ops=(demo_ops, (), demo_ops))
    before = generator.initRandom(Algorithm, space)
    [after] = mutate_copies("randomize_algorithm", [before], space, batch)
    for c, should_change in enumerate((True, False, True)):
        changed = not np.array_equal(before.component(c)[0], after.component(c)[0])
        assert changed == should_change
    check_valid(after, space)


@both
def test_insert_position_uniform_and_max_minus_one(demo_ops, batch):
    random.seed(33)
    space = SearchSpace(Memory(), ((), demo_ops, ()), (0, 4, 0), (0, 0, 0), (0, 6, 0))
    positions = collections.Counter()
    for algorithm in mutate_copies("insert", [Algorithm(None, None, (2, 4, 1))] * 3000, space,
                                   batch):
        assert algorithm.sizes == (2, 5, 1)
        assert not algorithm.component(0)[0].any() and not algorithm.component(2)[0].any()
        predict = algorithm.component(1)[0]
        (position,) = np.nonzero(predict[:, 0])[0]  # the only non-NO_OP
        positions[position] += 1
        check_valid(algorithm, space._replace(ops=((), demo_ops + (0,), ())))
    assert sorted(positions) == [0, 1, 2, 3, 4]  # [0, size]
    assert all(abs(n / 3000 - 0.2) < 0.03 for n in positions.values()), positions
    full = Algorithm(None, None, (0, 5, 0))  # size == max - 1: nothing happens
    assert mutate_copies("insert", [full], space, batch)[0].sizes == (0, 5, 0)


@both
def test_remove_position_uniform_and_min(demo_ops, batch):
    random.seed(34)
    space = SearchSpace(Memory(), (demo_ops, (), ()), (4, 0, 0), (3, 0, 0), (9, 0, 0))
    code = np.zeros((5, 4), np.int32)
    code[:4] = [op("SCALAR_CONST_SET"), 0, 0, 1]
    data = np.zeros((5, 3))
    data[:4, 0] = [0.1, 0.2, 0.3, 0.4]  # tell the rows apart
    removed = collections.Counter()
    for algorithm in mutate_copies("remove", [Algorithm(code, data, (4, 1, 0))] * 3000, space,
                                   batch):
        assert algorithm.sizes == (3, 1, 0)
        assert np.array_equal(algorithm.code[3], [0, 0, 0, 0])  # predict untouched
        (gone,) = set(data[:4, 0]) - set(algorithm.data[:3, 0])
        removed[gone] += 1
    assert all(abs(removed[value] / 3000 - 0.25) < 0.03 for value in data[:4, 0]), removed
    at_min = Algorithm(code[:3], data[:3], (3, 0, 0))
    assert mutate_copies("remove", [at_min], space, batch)[0].sizes == (3, 0, 0)


@both
def test_trade_keeps_size_and_ignores_bounds(demo_ops, batch):
    random.seed(35)
    space = SearchSpace(Memory(), (demo_ops, demo_ops, ()), (3, 2, 0), (3, 2, 0), (4, 3, 0))
    changed = 0
    befores = [generator.initRandom(Algorithm, space) for _ in range(300)]
    for before, after in zip(befores, mutate_copies("trade", befores, space, batch)):
        assert after.sizes == before.sizes == (3, 2, 0)  # at min and at max - 1
        check_valid(after, space)
        changed += after != before
        # at most one instruction left and one came in: the rows differ by one shift
        kept = collections.Counter(map(tuple, before.code.tolist()))
        kept.subtract(map(tuple, after.code.tolist()))
        assert sum(n for n in kept.values() if n > 0) <= 1
    assert changed > 200


@both
def test_trade_removes_uniformly_among_size_plus_one(batch):
    random.seed(37)
    space = SearchSpace(Memory(), ((op("SCALAR_CONST_SET"),), (), ()), (4, 0, 0), (4, 0, 0),
                        (5, 0, 0))
    code = np.tile(np.array([op("SCALAR_CONST_SET"), 0, 0, 1], np.int32), (4, 1))
    data = np.zeros((4, 3))
    data[:, 0] = [0.1, 0.2, 0.3, 0.4]  # the inserted constant is none of these
    removed = collections.Counter()
    for after in mutate_copies("trade", [Algorithm(code, data, (4, 0, 0))] * 4000, space,
                               batch):
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
    children, _ = mutation.mutAnyBatch(Programs.stack([algorithm] * 3000), space,
                                       tuple(mutation.MUTATIONS), 1.0)
    for child in children.unstack():
        assert child.sizes[::2] == (10, 8)
        assert np.array_equal(child.component(0)[1], setup[1])
        assert np.array_equal(child.component(2)[0], learn[0])


@both
@pytest.mark.parametrize("memory", [Memory(), BIG])  # pool / makers in generation
def test_every_mutation_keeps_instructions_valid_and_sizes_in_bounds(memory, demo_space,
                                                                     batch):
    """300 generations of mutations by every operator, on 1 algorithm (one at a time) or
    on 20 (batch)."""
    random.seed(38)
    space = demo_space._replace(memory=memory, min_sizes=(2, 1, 3), max_sizes=(12, 4, 10))
    algorithms = [generator.initRandom(Algorithm, space) for _ in range(20 if batch else 1)]
    for _ in range(300):
        if batch:
            algorithms = mutation.mutAnyBatch(Programs.stack(algorithms), space,
                                              tuple(mutation.MUTATIONS), 1.0)[0].unstack()
        else:
            mutation.mutAny(algorithms[0], space, tuple(mutation.MUTATIONS), mutate_prob=1.0)
        for algorithm in algorithms:
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


def test_batch_mutate_prob_leaves_about_ten_percent_unchanged(demo_space):
    random.seed(50)
    parents = [generator.initRandom(Algorithm, demo_space) for _ in range(5000)]
    stacked = Programs.stack(parents)
    children, mutated = mutation.mutAnyBatch(stacked, demo_space, ("randomize_component",))
    assert mutated.dtype == bool and abs(1 - mutated.mean() - 0.1) < 0.015
    children = children.unstack()
    assert all((child == parent) != changed
               for child, parent, changed in zip(children, parents, mutated))
    assert stacked.unstack() == parents                     # the parents are untouched
    assert mutation.mutAnyBatch(stacked, demo_space, mutate_prob=1.0)[1].all()
    empty, mutated = mutation.mutAnyBatch(Programs.stack([]), demo_space)
    assert len(empty) == 0 and len(mutated) == 0


@both
def test_mutate_changes_most_of_the_time(demo_space, batch):
    random.seed(51)
    befores = [generator.initRandom(Algorithm, demo_space) for _ in range(2000)]
    if batch:
        afters = mutation.mutAnyBatch(Programs.stack(befores), demo_space)[0].unstack()
    else:
        afters = [mutation.mutAny(copy.deepcopy(before), demo_space)[0] for before in befores]
    for after in afters:
        check_valid(after, demo_space)
    changed = sum(after != before for before, after in zip(befores, afters))
    assert 0.6 < changed / 2000 < 0.9


def size_changes(op_codes, mutations, batch, n=6000):
    space = SearchSpace(Memory(), (op_codes, (), ()), (5, 0, 0), (0, 0, 0), (99, 0, 0))
    parents = [Algorithm(None, None, (5, 0, 0))] * n
    if batch:
        children = mutation.mutAnyBatch(Programs.stack(parents), space, mutations, 1.0)[0]
        sizes = children.sizes[:, 0].tolist()
    else:
        sizes = [mutation.mutAny(copy.deepcopy(parent), space, mutations, mutate_prob=1.0)[0]
                 .sizes[0] for parent in parents]
    changes = collections.Counter(size - 5 for size in sizes)
    return {k: v / n for k, v in changes.items()}


@both
def test_mutate_removal_twice_as_likely_as_insertion(demo_ops, batch):
    random.seed(52)
    changes = size_changes(demo_ops, ("insert", "remove"), batch)
    assert abs(changes[1] - 1 / 3) < 0.03 and abs(changes[-1] - 2 / 3) < 0.03
    changes = size_changes(demo_ops, ("insert", "identity"), batch)  # otherwise uniform
    assert abs(changes[1] - 1 / 2) < 0.03 and abs(changes[0] - 1 / 2) < 0.03
    changes = size_changes(demo_ops, ("remove", "trade", "identity"), batch)
    assert abs(changes[-1] - 1 / 3) < 0.03 and abs(changes[0] - 2 / 3) < 0.03


def test_mutate_unknown_mutation(demo_space):
    individual = Algorithm(None, None, (1, 1, 1))
    with pytest.raises(ValueError, match="alter_params"):
        mutation.mutAny(individual, demo_space, ("alter_params", "insert"))
    with pytest.raises(ValueError, match="alter_params"):
        mutation.mutAnyBatch(Programs.stack([individual]), demo_space, ["alter_params"])
    mutation.mutAny(individual, demo_space, ["insert", "remove"])  # lists are fine
    mutation.mutAnyBatch(Programs.stack([individual]), demo_space, "insert")  # and names


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


@both
def test_seeded_mutation_is_reproducible(demo_space, batch):
    def run(seed, mutations=200):
        random.seed(seed)
        algorithms = [generator.initRandom(Algorithm, demo_space) for _ in range(3)]
        for _ in range(mutations):
            if batch:
                algorithms = mutation.mutAnyBatch(Programs.stack(algorithms),
                                                  demo_space)[0].unstack()
            else:
                for algorithm in algorithms:
                    mutation.mutAny(algorithm, demo_space)
        return algorithms
    assert run(54) == run(54)
    assert run(54) != run(54, mutations=0)   # the mutations changed it...
    assert run(54) != run(55)                # ...as the seed says


# -- the batch form against the operators: the same distributions ----------------------
def outcome(before, after):
    """What a mutation did, coarsely: size changes per component, and for an unchanged
    length which components, code columns and data columns changed (at most 2 rows)."""
    if before.sizes != after.sizes:
        return "sizes", tuple(np.subtract(after.sizes, before.sizes))
    code, data = before.code != after.code, before.data != after.data
    rows = np.flatnonzero(code.any(axis=1) | data.any(axis=1))
    components = tuple(sorted({int(np.searchsorted(np.cumsum(before.sizes), row, "right"))
                               for row in rows}))
    return (min(len(rows), 3), components, tuple(code.any(axis=0)),
            tuple(data.any(axis=0))) if len(rows) <= 2 else (3, components)


@pytest.mark.parametrize("mutations, constant_rule", [
    (tuple(mutation.MUTATIONS), "original"),
    (("alter_param", "insert", "remove"), "paper"),
    (mutation.DEFAULT_MUTATIONS, "original"),
])
def test_batch_mutates_as_the_operators(demo_ops, mutations, constant_rule, stat):
    """Parents of every data kind, mutated 12000 times each way: the same frequencies of
    what changed (kind of mutation, component, fields, sizes)."""
    random.seed(60)
    data_ops = tuple(op.code for op in ops.OPS if op.data)
    space = SearchSpace(Memory(4, 3, 2), (demo_ops, data_ops, demo_ops + data_ops),
                        (4, 2, 3), (1, 1, 1), (6, 4, 5))
    parents = [generator.initRandom(Algorithm, space) for _ in range(12000)]
    one = [mutation.mutAny(copy.deepcopy(parent), space, mutations, 0.9, constant_rule)[0]
           for parent in parents]
    children, _ = mutation.mutAnyBatch(Programs.stack(parents), space, mutations, 0.9,
                                       constant_rule)
    batch = children.unstack()
    for child in batch[:2000]:
        check_valid(child, space)
    same, table = stat.same_counts([outcome(p, c) for p, c in zip(parents, one)],
                                   [outcome(p, c) for p, c in zip(parents, batch)])
    assert same, table
    kept_sizes = [[(p, c) for p, c in zip(parents, children) if p.sizes == c.sizes]
                  for children in (one, batch)]
    for array, columns in (("code", range(4)), ("data", range(3))):
        changed = [np.concatenate([getattr(c, array)[(getattr(c, array) != getattr(p, array))
                                                     .any(axis=1)] for p, c in pairs])
                   for pairs in kept_sizes]
        for column in columns:  # the new values of the rows that changed
            if array == "code":
                assert stat.same_counts(changed[0][:, column], changed[1][:, column])[0]
            else:
                assert stat.same_values(changed[0][:, column], changed[1][:, column])


@pytest.mark.parametrize("memory", [Memory(), BIG])  # pool / makers in generation
def test_batch_draws_instructions_as_the_generator(memory, stat):
    """RANDOMIZE_COMPONENT against generator.random_component: the same frequencies of
    ops and addresses, the same distribution and range of each data field per op."""
    random.seed(61)
    op_codes = tuple(op.code for op in ops.OPS if op.data) + tuple(map(op, (
        "SCALAR_SUM", "VECTOR_NORM", "MATRIX_VECTOR_PRODUCT")))
    n = 20000
    space = SearchSpace(memory, ((), op_codes, ()), (0, n, 0), (0, 0, 0), (0, n + 1, 0))
    generated = generator.random_component(op_codes, n, memory)
    [drawn] = mutate_copies("randomize_component", [Algorithm(None, None, (0, n, 0))],
                            space, True)
    for column in range(4):
        same, table = stat.same_counts(generated[0][:, column], drawn.code[:, column])
        assert same, (column, table)
    assert stat.same_counts(*([tuple(row) for row in code]
                              for code in (generated[0], drawn.code)))[0]
    for code in op_codes:
        mine = drawn.data[drawn.code[:, 0] == code]
        theirs = generated[1][generated[0][:, 0] == code]
        for column in range(3):
            if theirs[:, column].any():
                assert stat.same_values(mine[:, column], theirs[:, column])
                assert abs(mine[:, column].min() - theirs[:, column].min()) < 0.02
                assert abs(mine[:, column].max() - theirs[:, column].max()) < 0.02
            else:
                assert not mine[:, column].any()


def test_alter_param_leaves_an_unknown_op_for_the_interpreter_to_report(demo_space):
    """No table of the batch mutator is read at an op code outside the op table."""
    code = np.zeros((3, 4), np.int32)
    code[:, 0] = 2**30
    programs = Programs(code, np.zeros((3, 3)), np.array([0]), np.array([[1, 1, 1]]))
    children, _ = mutation.mutAnyBatch(programs, demo_space, ("alter_param",), 1.0)
    assert (children.code[:, 0] == 2**30).all()
