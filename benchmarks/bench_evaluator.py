"""Evaluator throughput: full evaluations per second on one core.

Workloads:
* the README linear regressor, padded with no-ops to the demo's component sizes
  (Setup 10, Predict 2, Learn 8), on the demo's 10 search tasks (F=4, 100 train,
  100 valid, memory 4 scalars / 3 vectors / 1 matrix).  The README listing uses s4,
  which a 4-scalar memory lacks, so s3 is reused instead: the same instructions;
* the hand-written 2-layer network (``reference.NEURAL_NETWORK``) on 10 teacher tasks
  (F=4, 1000 train, 100 valid, memory 5/9/2), then on one of them alone (T=1: no
  per-task loop to vectorize, so it measures the dispatch), then on one task of 8
  features (the one-task kernel for any F).

Prints medians over repeats for one call per algorithm (Evaluator.__call__) and
for batches of 100 algorithms in one kernel call (Evaluator.evaluate_batch, what
eaRegularized uses), plus instruction executions per second.  The 100 algorithms of a
batch differ in an unused data field of their first Predict instruction, so they run
one by one as in a search that evolves Predict and Learn; a last line per workload
gives batches of 100 equal algorithms, which on 1 to 4 tasks run side by side as lanes
(``interpreter.lane_groups``: as in configs/nonlinear.yaml, whose Predict and Learn are
frozen).

    python benchmarks/bench_evaluator.py [--repeats 7]
"""
import argparse
import statistics
import time

from azdeap import Algorithm, Evaluator, Memory, ops, reference
from azdeap.tasks import make_tasks


PADDED_LINEAR = """
def Setup():
  s2 = 0.001
""" + "  NoOp()\n" * 9 + """def Predict():
  s1 = dot(v0, v1)
  NoOp()
def Learn():
  s3 = s0 - s1
  s3 = s3 * s2
  v2 = s3 * v0
  v1 = v1 + v2
""" + "  NoOp()\n" * 4



def instructions_per_evaluation(algorithm, tasks):
    setup, predict, learn = algorithm.sizes
    task = tasks[0]
    return len(tasks) * (setup + task.n_train * (predict + learn) + task.n_valid * predict)


def distinct_copies(algorithm, n):
    """n copies of algorithm that differ only in an unused data field (d2) of the
    first Predict instruction, an op without data: they compute the same, but their
    Predict components are not equal bit for bit."""
    row = algorithm.sizes[0]
    assert ops.OPS[algorithm.code[row, 0]].data is None
    copies = []
    for i in range(n):
        data = algorithm.data.copy()
        data[row, 2] = i
        copies.append(Algorithm(algorithm.code.copy(), data, algorithm.sizes))
    return copies


def rate(function, n, repeats):
    """Median calls per second of function() over repeats of n calls."""
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(n):
            function()
        rates.append(n / (time.perf_counter() - start))
    return statistics.median(rates)


def bench(name, text, tasks, memory, repeats):
    algorithm = Algorithm.from_text(text)
    evaluator = Evaluator(tasks, memory)
    batch = distinct_copies(algorithm, 100)
    equal = [algorithm] * 100
    evaluator(algorithm)  # compile / load the cache
    fitness = evaluator(algorithm)[0]
    evaluator.evaluate_batch(equal)  # compile the kernel that runs lanes
    n = max(200, int(2e7 / instructions_per_evaluation(algorithm, tasks)))
    single = rate(lambda: evaluator(algorithm), n, repeats)
    batched = 100 * rate(lambda: evaluator.evaluate_batch(batch), max(2, n // 100), repeats)
    lanes = 100 * rate(lambda: evaluator.evaluate_batch(equal), max(2, n // 100), repeats)
    per_eval = instructions_per_evaluation(algorithm, tasks)
    print("%s (fitness %.4f, %d instruction executions per evaluation)"
          % (name, fitness, per_eval))
    print("  one call per algorithm: %9.0f evaluations/s" % single)
    for what, value in (("batches of 100:        ", batched), ("100 equal algorithms:  ", lanes)):
        print("  %s %9.0f evaluations/s  %6.2f G instr/s  %.2f ns/instr"
              % (what, value, value * per_eval / 1e9, 1e9 / (value * per_eval)))
    return single, batched, lanes


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    linear_tasks = make_tasks("linear", 10, 4, 100, 100)
    bench("padded README linear regressor, 10 linear tasks", PADDED_LINEAR, linear_tasks,
          Memory(4, 3, 1), args.repeats)
    teacher_tasks = make_tasks("teacher", 10, 4, 1000, 100)
    network = reference.NEURAL_NETWORK.format(learning_rate="0.01")
    bench("2-layer neural network, 10 teacher tasks", network, teacher_tasks,
          Memory(5, 9, 2), args.repeats)
    bench("2-layer neural network, 1 teacher task", network, teacher_tasks[:1],
          Memory(5, 9, 2), args.repeats)
    bench("2-layer neural network, 1 teacher task of 8 features", network,
          make_tasks("teacher", 1, 8, 1000, 100), Memory(5, 9, 2), args.repeats)


if __name__ == "__main__":
    main()
