"""The paper's classification comparison (docs/design.md, "Experiments"): the best evolved
algorithm against tuned logistic regression and a tuned 2-layer net on unseen tasks.

``compare_baselines(config)`` runs the config's search experiments, tunes the constants
of the two baselines on the select tasks, and measures all three on the final tasks
(unseen class pairs, unseen examples) with new task seeds for each of several
repetitions.  ``python -m azdeap baselines --config configs/digits.yaml`` prints the
table.
"""
import random
import statistics
import time
from typing import Callable, Dict, List, NamedTuple, Optional

from azdeap import reference
from azdeap.algorithm import Algorithm
from azdeap.evaluator import Evaluator
from azdeap.experiment import (SEED_RANGE, ExperimentError, build_tasks, check_before_search,
                               run_experiment)
from azdeap.parallel import unpack
from azdeap.tuning import tune_constants

BASELINES = {"logistic regression": reference.logistic_regression,
             "2-layer net": reference.neural_network}
# Their forms for multi-class tasks (docs/design.md, "Multi-class tasks").
MULTICLASS_BASELINES = {"logistic regression": reference.softmax_regression,
                        "2-layer net": reference.multiclass_neural_network}
EVOLVED = "evolved"


class Comparison(NamedTuple):
    accuracies: Dict[str, List[float]]   # model -> final-task accuracy per repetition
    algorithms: Dict[str, Algorithm]     # the best evolved and the baselines, tuned
    select: Dict[str, float]             # model -> tuned accuracy on the select tasks
    candidates_select: List[float]       # each experiment's candidate on the select tasks
    beat_net: int                        # experiments whose candidate beat the 2-layer net


def _evaluator(config, tasks, algorithm=None, combination="mean"):
    """An Evaluator on tasks: with the config's memory, or the algorithm's own."""
    memory = config.memory if algorithm is None else algorithm.memory_used()
    return Evaluator(tasks, memory, combination, config.fitness.max_abs_error,
                     seed=random.randrange(SEED_RANGE), prune=config.fitness.prune)


def compare_baselines(config, experiments: Optional[int] = None, repetitions: int = 5,
                      trials: int = 20, log: Callable[[str], None] = print,
                      verbose: bool = False) -> Comparison:
    """Run ``experiments`` search experiments (default ``experiments.max``), take the
    candidate best on the select tasks, tune its constants and each baseline's on them
    alike (``trials`` random-search candidates, ``azdeap.tuning.tune_constants``) and
    measure the three on the final tasks with new task seeds ``repetitions`` times (on
    multi-class tasks the baselines' multi-class forms, ``MULTICLASS_BASELINES``).  Every
    draw comes from the config's seed (time-based if None).  ExperimentError, one line,
    on a bad argument."""
    experiments = config.experiments.max if experiments is None else experiments
    for name, value, low in (("experiments", experiments, 1), ("repetitions", repetitions, 1),
                             ("trials", trials, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ExperimentError("%s: expected an integer >= %d, got %r%s" % (
                name, low, value, " (set experiments.max or --experiments)"
                if name == "experiments" and value == 0 else ""))
    check_before_search(config)
    seed = config.seed if config.seed is not None else time.time_ns() % SEED_RANGE
    random.seed(seed)
    log("azdeap baselines: seed %d, %d experiment(s), %d repetitions, %d tuning trials"
        % (seed, experiments, repetitions, trials))
    select_tasks = build_tasks(config.tasks.select, where="tasks.select")
    baselines = (MULTICLASS_BASELINES if any(task.n_classes for task in select_tasks)
                 else BASELINES)
    candidates, candidates_select = [], []
    for experiment in range(experiments):
        result = run_experiment(config, random.randrange(SEED_RANGE), verbose=verbose)
        candidate = unpack(result.candidate)[0]
        fitness = _evaluator(config, select_tasks)(candidate)[0]
        candidates.append(candidate)
        candidates_select.append(fitness)
        log("experiment %d: search fitness %.4f, select accuracy %.4f"
            % (experiment + 1, result.search_fitness, fitness))
    best = max(range(experiments), key=candidates_select.__getitem__)
    algorithms, select = {}, {}
    for name, algorithm in [(EVOLVED, candidates[best])] + [
            (name, make()) for name, make in baselines.items()]:
        evaluate = _evaluator(config, select_tasks, None if name == EVOLVED
                              else algorithm).evaluate_batch
        algorithms[name], select[name] = tune_constants(algorithm, evaluate, trials,
                                                        random.randrange(SEED_RANGE))
        log("%s tuned: select accuracy %.4f" % (name, select[name]))
    beat_net = sum(fitness > select["2-layer net"] for fitness in candidates_select)
    accuracies = {name: [] for name in algorithms}
    for _ in range(repetitions):
        final_tasks = build_tasks(config.tasks.final, randomize_seeds=True, where="tasks.final")
        for name, algorithm in algorithms.items():
            evaluator = _evaluator(config, final_tasks, None if name == EVOLVED else algorithm)
            accuracies[name].append(evaluator(algorithm)[0])
    return Comparison(accuracies, algorithms, select, candidates_select, beat_net)


def format_comparison(comparison: Comparison, n_final: int) -> str:
    """The side-by-side table of a Comparison (n_final: tasks per repetition)."""
    repetitions = len(next(iter(comparison.accuracies.values())))
    n = len(comparison.candidates_select)
    lines = ["accuracy on the final tasks (%d unseen tasks, %d task seeds): mean +- std"
             % (n_final, repetitions),
             "  %-40s %-16s  %s" % ("model", "final", "select")]
    for name, values in comparison.accuracies.items():
        label = ("best evolved (of %d experiment%s), tuned" % (n, "s" * (n > 1))
                 if name == EVOLVED else "%s, tuned" % name)
        spread = statistics.pstdev(values)
        lines.append("  %-40s %.4f +- %.4f  %.4f" % (label, statistics.fmean(values), spread,
                                                    comparison.select[name]))
    lines.append("%d of %d search experiments beat the tuned 2-layer net on the select tasks"
                 % (comparison.beat_net, n))
    lines.append("best evolved algorithm:\n%s" % comparison.algorithms[EVOLVED])
    return "\n".join(lines)
