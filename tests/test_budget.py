"""The original's train budget (docs/design.md, "Fitness"): op costs, program costs and
the cut-off in the Evaluator, the FEC and the config."""
import random

import numpy as np
import pytest

from azdeap import ops, reference
from azdeap.algorithm import Algorithm
from azdeap.budget import TrainBudget, baseline_algorithm, program_costs
from azdeap.config import config_from_dict
from azdeap.evaluator import OVER_BUDGET_HASH, Evaluator
from azdeap.experiment import build_tasks, build_toolbox
from azdeap.fec import FEC
from azdeap.generator import initRandom
from azdeap.programs import Programs, ProgramSlots
from azdeap.space import Memory
from azdeap.tasks import make_tasks

MEMORY = Memory(5, 3, 1)
# The README regressor with one MATRIX_GAUSSIAN_SET added to Setup: costly once, so over
# a budget of the plain regressor on short tasks only.
HEAVY_SETUP = reference.LINEAR_REGRESSOR.format(learning_rate=0.01).replace(
    "  s2 = 0.01\n", "  s2 = 0.01\n  m0 = gaussian(0.0, 0.1, (n_features, n_features))\n")
# The same with the matrix live (it reaches v1, which Predict reads): with pruning on, the
# budget counts only the live code (docs/design.md, "Live code").
HEAVY_LIVE = HEAVY_SETUP.replace("(n_features, n_features))\n",
                                 "(n_features, n_features))\n  v1 = dot(m0, v1)\n")


def test_op_costs_are_the_originals():
    """A few entries of compute_cost.cc, and every op has a positive cost."""
    cost = {op.name: op.cost for op in ops.OPS}
    assert cost["NO_OP"] == 3013921 and cost["MATRIX_GAUSSIAN_SET"] == 277690384
    assert cost["SCALAR_CONST_SET"] == 3691108 and cost["VECTOR_ROW_BROADCAST"] == 11087322
    assert all(op.cost > 0 for op in ops.OPS)
    assert ops.COST.tolist() == [op.cost for op in ops.OPS]


def test_program_costs_by_hand():
    # Setup: SCALAR_CONST_SET; Predict: VECTOR_INNER_PRODUCT; Learn: SCALAR_DIFF,
    # SCALAR_PRODUCT, SCALAR_VECTOR_PRODUCT, VECTOR_SUM
    linear = reference.linear_regressor()
    heavy = Algorithm.from_text(HEAVY_SETUP)
    empty = Algorithm.from_text("def Setup():\ndef Predict():\n  s1 = s0 + s0\ndef Learn():")
    setup, step = program_costs([linear, heavy, empty])
    assert setup.tolist() == [3691108, 3691108 + 277690384, 0]
    assert step.tolist() == [4294617 + 5102027 + 4418347 + 3705015 + 4701519] * 2 + [4703759]
    nn_setup, nn_step = program_costs([reference.neural_network()])
    assert nn_setup.tolist() == [77483018 + 277690384 + 3691108]


def test_program_costs_of_slots_with_gaps_and_of_one_stack_agree(demo_space):
    random.seed(2)
    algorithms = [initRandom(Algorithm, demo_space) for _ in range(7)]
    slots = ProgramSlots(Programs.stack(algorithms[:3]))
    slots.put(np.array([1]), Programs.stack(algorithms[3:4]))   # a shorter or longer one
    one_by_one = [program_costs([a]) for a in (algorithms[0], algorithms[3], algorithms[2])]
    setup, step = program_costs(slots.programs)
    assert setup.tolist() == [c[0][0] for c in one_by_one]
    assert step.tolist() == [c[1][0] for c in one_by_one]
    assert [a.tolist() for a in program_costs(Programs.stack([]))] == [[], []]


def test_the_cut_off_compares_with_factor_times_the_baseline():
    budget = TrainBudget(reference.linear_regressor(), factor=2.0)
    heavy = Algorithm.from_text(HEAVY_SETUP)
    # 3691108 + 277690384 + n * 22221525 > 2 * (3691108 + n * 22221525)  iff  n <= 12
    assert budget.over([heavy], 12).tolist() == [True]
    assert budget.over([heavy], 13).tolist() == [False]
    assert budget.over([reference.linear_regressor()], 1).tolist() == [False]   # equal: in
    assert TrainBudget(reference.linear_regressor(), factor=1.0).over(
        [reference.linear_regressor()], 5).tolist() == [False]
    assert TrainBudget("linear_regressor", 20.0).over([heavy], 1).tolist() == [False]


def test_baselines_by_name_or_listing():
    assert baseline_algorithm("neural_network") == reference.neural_network()
    assert baseline_algorithm("NEURAL_NETWORK") == reference.neural_network()
    assert baseline_algorithm(HEAVY_SETUP) == Algorithm.from_text(HEAVY_SETUP)
    with pytest.raises(ValueError, match="^baseline must be one of neural_network, "
                                         "linear_regressor or a listing"):
        baseline_algorithm("resnet")
    with pytest.raises(TypeError, match="^baseline must be an Algorithm"):
        baseline_algorithm(3)
    with pytest.raises(ValueError, match=r"^factor must be a number > 0, got 0$"):
        TrainBudget(factor=0)
    with pytest.raises(TypeError, match=r"^factor must be a number > 0, got '2'$"):
        TrainBudget(factor="2")


def test_an_algorithm_over_budget_on_a_task_gets_no_training_and_fitness_0():
    short = make_tasks("linear", 2, 4, 10, 50)                # over budget here
    long = make_tasks("linear", 1, 4, 100, 50, [7], [8])      # within budget here
    tasks = short[:1] + long + short[1:]
    budget = TrainBudget("linear_regressor", 2.0)
    heavy = Algorithm.from_text(HEAVY_LIVE)
    algorithms = [reference.linear_regressor(0.01), heavy]
    fitness, steps, hashes = Evaluator(tasks, MEMORY, train_budget=budget).task_fitnesses(
        algorithms, fingerprint=True, rng_reseed=1)
    plain, plain_steps, plain_hashes = Evaluator(tasks, MEMORY).task_fitnesses(
        algorithms, fingerprint=True, rng_reseed=1)
    assert np.array_equal(fitness[0], plain[0]) and steps[0] == plain_steps[0] == 120
    assert fitness[1].tolist() == [0.0, plain[1, 1], 0.0] and plain[1, 0] > 0
    assert steps[1] == 100
    assert hashes[1].tolist() == [OVER_BUDGET_HASH, plain_hashes[1, 1], OVER_BUDGET_HASH]
    assert np.array_equal(hashes[0], plain_hashes[0])


def test_all_over_budget_runs_nothing_and_bad_programs_are_still_named():
    tasks = make_tasks("linear", 1, 4, 10, 50)
    evaluator = Evaluator(tasks, MEMORY, train_budget=TrainBudget("linear_regressor"))
    heavy = Algorithm.from_text(HEAVY_LIVE)
    results = evaluator.evaluate_batch([heavy, heavy])
    assert [(r[0], r.train_steps) for r in results] == [(0.0, 0), (0.0, 0)]
    outside = Algorithm.from_text("def Setup():\ndef Predict():\n  s7 = s0 + s0\ndef Learn():")
    with pytest.raises(ValueError, match="^algorithm 1: address out of range"):
        evaluator.evaluate_batch([heavy, outside])


def test_the_fec_caches_over_budget_algorithms_as_one():
    tasks = make_tasks("linear", 2, 4, 10, 50)
    fec = FEC(Evaluator(tasks, MEMORY, train_budget=TrainBudget("linear_regressor")))
    heavy = Algorithm.from_text(HEAVY_LIVE)
    other = Algorithm.from_text(HEAVY_LIVE.replace("0.01", "0.02"))
    first, second = fec.evaluate_batch([heavy, other])
    assert (first[0], first.cached, second[0], second.cached) == (0.0, False, 0.0, True)
    assert first.train_steps == second.train_steps == 0


def test_a_config_budget_applies_to_the_search_tasks(tiny_config):
    config = config_from_dict(tiny_config(fitness={
        "fec": None, "train_budget": {"baseline": "linear_regressor", "factor": 3.0}}))
    toolbox = build_toolbox(config, build_tasks(config.tasks.search))
    budget = toolbox.evaluate.func.train_budget
    assert budget.factor == 3.0 and budget.baseline == reference.linear_regressor()
    off = config_from_dict(tiny_config())
    assert build_toolbox(off, build_tasks(off.tasks.search)).evaluate.func.evaluator \
        .train_budget is None


def test_with_pruning_the_budget_counts_only_live_code():
    """The dead Gaussian matrix of HEAVY_SETUP costs nothing when pruning is on (the
    original, like prune=False, counts every instruction)."""
    tasks = make_tasks("linear", 1, 4, 10, 50)
    budget = TrainBudget("linear_regressor")
    dead, live = Algorithm.from_text(HEAVY_SETUP), Algorithm.from_text(HEAVY_LIVE)
    pruning = Evaluator(tasks, MEMORY, train_budget=budget).evaluate_batch([dead, live])
    assert pruning[0][0] > 0 and pruning[0].train_steps == 10
    assert (pruning[1][0], pruning[1].train_steps) == (0.0, 0)
    full = Evaluator(tasks, MEMORY, train_budget=budget, prune=False).evaluate_batch([dead])
    assert (full[0][0], full[0].train_steps) == (0.0, 0)


def test_a_bad_program_over_budget_is_still_named():
    """Over-budget programs do not run, so the evaluator checks them itself."""
    tasks = make_tasks("linear", 1, 4, 10, 50)
    evaluator = Evaluator(tasks, MEMORY, train_budget=TrainBudget("linear_regressor", 1.5))
    bad = Algorithm.from_text(HEAVY_LIVE.replace("s1 = dot(v0, v1)", "s7 = dot(v0, v1)"))
    assert evaluator.train_budget.over(Programs.stack([Algorithm.from_text(HEAVY_LIVE)]),
                                       10).all()
    with pytest.raises(ValueError, match="^algorithm 1: address out of range"):
        evaluator.evaluate_batch([reference.linear_regressor(), bad])
