"""Training for several epochs (docs/design.md, "Execution") against a plain Python
reference, and the example orders of the epochs."""
import dataclasses
import math

import numpy as np
import pytest

from azdeap import Algorithm, interpreter
from azdeap.programs import Programs
from azdeap.space import Memory
from azdeap.tasks import TaskBatch, epoch_orders, make_tasks

# SGD on a linear model whose weights decay at every Predict, so that validation, too,
# changes the memory the next epoch trains from.
DECAYING_REGRESSOR = """def Setup():
  s2 = {rate}
  s6 = 0.999
def Predict():
  s1 = dot(v0, v1)
  v1 = s6 * v1
def Learn():
  s3 = s0 - s1
  s4 = s3 * s2
  v2 = s4 * v0
  v1 = v1 + v2"""
MEMORY = Memory(7, 3, 0)
RATES = np.linspace(0.05, 3.0, 60)


def reference(task, rate, max_abs_error=100.0):
    """(fitness, train steps, the epoch training failed in or None) of DECAYING_REGRESSOR."""
    w = [0.0] * task.n_features
    best, steps = 0.0, 0

    def predict(x):
        nonlocal w
        prediction = x[0] * w[0]
        for i in range(1, len(x)):
            prediction += x[i] * w[i]
        w = [0.999 * wi for wi in w]
        return prediction

    rng = np.random.RandomState(task.shuffle_seed)
    orders = [np.arange(task.n_train)] + [rng.permutation(task.n_train)
                                          for _ in range(1, task.epochs)]
    for epoch, order in enumerate(orders):
        for i in order:
            x, y = task.train_x[i].tolist(), float(task.train_y[i])
            prediction = predict(x)
            steps += 1
            if not abs(y - prediction) <= max_abs_error:
                return best, steps, epoch
            step = (y - prediction) * rate
            w = [wi + step * xi for wi, xi in zip(w, x)]
        loss, valid = 0.0, True
        for x, y in zip(task.valid_x.tolist(), task.valid_y.tolist()):
            error = y - predict(x)
            valid = valid and abs(error) <= max_abs_error
            loss += error * error
        fitness = 1 - 2 / math.pi * math.atan(math.sqrt(loss / task.n_valid)) if valid else 0.0
        best = max(best, fitness if math.isfinite(fitness) else 0.0)
    return best, steps, None


def regressors(rates):
    return [Algorithm.from_text(DECAYING_REGRESSOR.format(rate=repr(float(r)))) for r in rates]


def run(rates, tasks, **options):
    return interpreter.run(Programs.stack(regressors(rates)), TaskBatch(tasks), memory=MEMORY,
                           rng_state=np.zeros(1, np.uint64), **options)


def check_against_reference(rates, tasks, result):
    failed_in = set()
    for b, rate in enumerate(rates):
        steps = 0
        for t, task in enumerate(tasks):
            fitness, task_steps, failed = reference(task, rate)
            assert result.fitness[b, t] == pytest.approx(fitness, rel=1e-13, abs=0)
            steps += task_steps
            failed_in.add(failed)
        assert result.train_steps[b] == steps
    return failed_in


@pytest.mark.parametrize("n_tasks", [1, 2])
def test_epochs_match_a_python_reference(n_tasks):
    """Best validation fitness over the epochs; a failure in the first epoch gives 0, in
    a later one the best so far; train steps count every epoch; tasks side by side and
    algorithms side by side (lanes, on one task: all share Predict and Learn) alike."""
    tasks = make_tasks("linear", n_tasks, 3, 8, 5, data_seeds=[7], epochs=4)
    result = run(RATES, tasks)
    if n_tasks == 1:
        assert interpreter.lane_groups(Programs.stack(regressors(RATES)), 1) is not None
    failed_in = check_against_reference(RATES, tasks, result)
    assert {None, 0} < failed_in and len(failed_in) >= 4   # never, first, later epochs
    one_by_one = [run([rate], tasks) for rate in RATES]
    np.testing.assert_array_equal(result.fitness, [r.fitness[0] for r in one_by_one])


def test_one_epoch_is_the_single_pass():
    """epochs=1 tasks (the default), and run(epochs=1) on tasks of more, give the
    results of one pass."""
    tasks = make_tasks("linear", 2, 3, 8, 5, data_seeds=[7])
    assert [t.epochs for t in tasks] == [1, 1]
    more = [dataclasses.replace(task, epochs=3) for task in tasks]
    single = run(RATES, tasks)
    first = run(RATES, more, epochs=1)
    np.testing.assert_array_equal(single.fitness, first.fitness)
    np.testing.assert_array_equal(single.train_steps, first.train_steps)
    assert (run(RATES, more).train_steps > single.train_steps).any()
    check_against_reference(RATES, tasks, single)
    prefix = run(RATES, more, n_train=5, fingerprint=True)   # a prefix: the first epoch
    np.testing.assert_array_equal(prefix.hashes, run(RATES, tasks, n_train=5,
                                                     fingerprint=True).hashes)
    with pytest.raises(ValueError, match=r"^epochs must be an integer in 1..3 \(the tasks' "
                                         r"epochs\), got 4$"):
        run(RATES, more, epochs=4)


def test_epoch_orders():
    task = make_tasks("linear", 1, 2, 50, 5, data_seeds=[123], epochs=3)[0]
    assert task.shuffle_seed == 123
    orders = epoch_orders(task)
    rng = np.random.RandomState(123)
    np.testing.assert_array_equal(orders, [np.arange(50), rng.permutation(50),
                                           rng.permutation(50)])
    batch = TaskBatch([task, dataclasses.replace(task, shuffle_seed=5)])
    assert batch.epochs == 3 and batch.order.shape == (3, 50, 2)
    np.testing.assert_array_equal(batch.order[..., 0], orders)
    assert (batch.order[1:, :, 0] != batch.order[1:, :, 1]).any()


@pytest.mark.parametrize("changes, error, message", [
    ({"epochs": 0}, ValueError, "task 't': epochs must be >= 1, got 0"),
    ({"epochs": 1.5}, TypeError, "task 't': epochs must be an integer, got 1.5"),
    ({"shuffle_seed": -1}, ValueError, "task 't': shuffle_seed must be an integer in "
                                       "0..2**63-1, got -1"),
])
def test_task_checks_epochs_and_shuffle_seed(changes, error, message):
    task = make_tasks("linear", 1, 2, 5, 5)[0]
    with pytest.raises(error) as raised:
        dataclasses.replace(task, name="t", **changes)
    assert str(raised.value) == message
