"""Properties of the kernel's users on random input (Hypothesis): random programs of all 65
ops at random addresses with random data (NaN, infinite and huge constants included), on
random tasks with huge values, F 1..8, 1..10 tasks (from 8 tasks on, numpy's and Python's
sums differ), a few examples each.  Nothing crashes or leaks a numpy warning, every
fitness is a number in [0, 1], one call and a batch agree bit for bit, and a Learner fits
and predicts (docs/design.md, "Fitness")."""
import warnings
from contextlib import contextmanager

import numpy as np
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays

from azdeap import Algorithm, Evaluator, Learner, Memory, ops
from azdeap.fec import FEC
from azdeap.interpreter import N_INDICES
from azdeap.tasks import Task

PROPERTIES = settings(max_examples=60, deadline=None)
RANDOM_OPS = set(range(59, 65))
SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, 1e308, -1e308, 1e-308, 5e-324]
CONSTANTS = st.one_of(st.floats(), st.sampled_from(SPECIAL + [np.nan, np.inf, -np.inf]))
FINITE = st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(SPECIAL))
FRACTIONS = st.floats(0.0, 1.0, exclude_max=True)   # the index fractions of const sets

MEMORIES = st.builds(Memory, st.integers(2, 6), st.integers(1, 4), st.integers(0, 3))


@st.composite
def algorithms(draw, memory):
    """An algorithm of any ops the memory has addresses for, at random addresses (s0 and
    v0 included), with random data."""
    usable = [op for op in ops.OPS
              if all(memory[kind] > 0 for kind in op.inputs + (op.output,) if kind >= 0)]
    sizes = draw(st.tuples(st.integers(0, 3), st.integers(0, 4), st.integers(0, 4)))
    code, data = [], []
    for _ in range(sum(sizes)):
        op = draw(st.sampled_from(usable))
        kinds = (op.inputs + (ops.NO_KIND, ops.NO_KIND))[:2] + (op.output,)
        code.append([op.code] + [draw(st.integers(0, memory[kind] - 1)) if kind >= 0 else 0
                                 for kind in kinds])
        data.append([draw(FRACTIONS if field < N_INDICES[op.code] else CONSTANTS)
                     for field in range(3)])
    return Algorithm(np.array(code, np.int32).reshape(-1, 4),
                     np.array(data, np.float64).reshape(-1, 3), sizes)


def examples(draw, rows, n_features, classification):
    x = draw(arrays(np.float64, (rows, n_features), elements=FINITE))
    y = draw(arrays(np.float64, rows,
                    elements=st.sampled_from([0.0, 1.0]) if classification else FINITE))
    return x, y


@st.composite
def task_lists(draw, max_tasks):
    """1..max_tasks tasks of F 1..8 features; their example counts may differ (then the
    evaluator runs several task groups)."""
    n_features = draw(st.integers(1, 8))
    tasks = []
    for t in range(draw(st.integers(1, max_tasks))):
        n_train, n_valid = draw(st.integers(1, 4)), draw(st.integers(1, 4))
        classification = draw(st.booleans())
        x, y = examples(draw, n_train + n_valid, n_features, classification)
        tasks.append(Task("t%d" % t, x[:n_train], y[:n_train], x[n_train:], y[n_train:],
                          classification))
    return tasks


@contextmanager
def only_azdeap_warnings():
    """A block in which a warning other than azdeap's UserWarnings is an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", UserWarning)
        yield


@PROPERTIES
@given(st.data(), task_lists(10), MEMORIES, st.sampled_from(["mean", "median"]),
       st.sampled_from([100.0, np.inf, 5e-324, 1e308]), st.integers(0, 2**63 - 1))
def test_every_fitness_is_a_number_in_0_1_and_batches_agree(data, tasks, memory, combination,
                                                           max_abs_error, seed):
    batch_of = data.draw(st.lists(algorithms(memory), min_size=1, max_size=4))

    def evaluator():
        return Evaluator(tasks, memory, combination, max_abs_error, seed)
    with only_azdeap_warnings():
        batch = [r[0] for r in evaluator().evaluate_batch(batch_of)]
        one_by_one = evaluator()
        singles = [one_by_one(alg)[0] for alg in batch_of]
        cached = [r[0] for r in FEC(evaluator(), 1, 1).evaluate_batch(batch_of)]
        per_task = evaluator().task_fitnesses(batch_of)[0]
    for fitness in batch + cached + per_task.ravel().tolist():
        assert 0.0 <= fitness <= 1.0   # False for NaN
    # The random ops draw from the evaluator's one generator: a batch runs task group by
    # task group, so with several groups they draw in another order than one by one.
    random = any(op in RANDOM_OPS for alg in batch_of for op in alg.code[:, 0].tolist())
    if not random or len(evaluator().groups) == 1:
        assert singles == batch


@PROPERTIES
@given(st.data(), MEMORIES, st.sampled_from(["regression", "classification"]),
       st.integers(1, 8), st.integers(1, 6), st.integers(1, 6), st.integers(0, 2**63 - 1))
def test_a_learner_fits_and_predicts(data, memory, kind, n_features, n_fit, n_predict, seed):
    algorithm = data.draw(algorithms(memory))
    X, y = examples(data.draw, n_fit, n_features, kind == "classification")
    X_new, _ = examples(data.draw, n_predict, n_features, False)
    with only_azdeap_warnings():
        learner = Learner(algorithm, kind, memory, seed).fit(X, y)
        predictions = learner.predict(X_new)
        if kind == "classification":
            probabilities = learner.predict_proba(X_new)[:, 1]
    assert predictions.shape == (n_predict,) and predictions.dtype == np.float64
    if kind == "classification":
        assert np.all((probabilities >= 0.0) & (probabilities <= 1.0) | np.isnan(probabilities))
        assert np.all(np.isin(predictions, (0.0, 1.0)) | np.isnan(predictions))
