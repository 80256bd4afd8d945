"""Listing files, and the ``show`` command that prints one.

    python -m azdeap show best.txt [--simplify] [--config configs/demo.yaml]

prints the algorithm with its roles marked (docs/api.md, ``format_algorithm``), its
size and the memory it needs, and with ``--config`` its fitness on the config's tasks.
"""
from azdeap.algorithm import Algorithm
from azdeap.config import load_config
from azdeap.evaluator import Evaluator
from azdeap.experiment import GROUPS, ExperimentError, build_tasks
from azdeap.notation import format_algorithm


def read_listing(path: str) -> Algorithm:
    """The algorithm of a listing file; ExperimentError, one line naming the file (and
    the line), if it cannot be read or parsed."""
    try:
        with open(path, encoding="utf-8") as stream:
            text = stream.read()
    except FileNotFoundError:
        raise ExperimentError("%s: no such file" % path) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ExperimentError("%s: cannot read: %s" % (path, getattr(error, "strerror", None)
                                                       or error)) from None
    try:
        return Algorithm.from_text(text)
    except ValueError as error:
        raise ExperimentError("%s: %s" % (path, error)) from None


def describe(algorithm: Algorithm) -> str:
    """One line: the number of instructions per component and the memory used."""
    scalars, vectors, matrices = algorithm.memory_used()
    return ("%d instructions (Setup %d, Predict %d, Learn %d); memory: %d scalars, "
            "%d vectors, %d matrices" % ((len(algorithm),) + algorithm.sizes
                                        + (scalars, vectors, matrices)))


def task_fitness(algorithm: Algorithm, config) -> dict:
    """{group: mean fitness} of algorithm on a config's search, select and final tasks,
    evaluated as the experiments evaluate a candidate (in the config's memory, seeds 0);
    ExperimentError, one line, if it does not run in that memory."""
    fitness = {}
    for group in GROUPS:
        tasks = build_tasks(getattr(config.tasks, group), where="tasks." + group)
        evaluator = Evaluator(tasks, config.memory, "mean", config.fitness.max_abs_error,
                              seed=0, prune=config.fitness.prune)
        try:
            fitness[group] = evaluator(algorithm)[0]
        except ValueError as error:
            raise ExperimentError("the config's memory %s: %s"
                                  % (tuple(config.memory), error)) from None
    return fitness


def add_show_arguments(parser):
    parser.add_argument("file", help="a listing (def Setup(): ...), e.g. a run's best")
    parser.add_argument("--simplify", action="store_true",
                        help="print only the instructions that can affect a prediction")
    parser.add_argument("--config", help="also print the fitness on this config's tasks")
    parser.add_argument("--multiclass", action="store_true",
                        help="the prediction is v2, as on multi-class tasks (implied by a "
                             "--config with multi-class tasks)")


def show_command(args):
    """``show``: print a listing file, its size and memory, and its fitness on a
    config's tasks with --config."""
    config = load_config(args.config) if args.config else None
    multiclass = args.multiclass or config is not None and config.multiclass()
    algorithm = read_listing(args.file)
    simple = algorithm.simplified(multiclass=multiclass)
    print("%s: %s" % (args.file, describe(algorithm)))
    print("live: %s" % describe(simple))
    print(format_algorithm(simple if args.simplify else algorithm, roles=True,
                           multiclass=multiclass))
    if config is not None:
        fitness = task_fitness(algorithm, config)
        print("fitness on %s: %s" % (args.config, ", ".join(
            "%s %.6f" % item for item in fitness.items())))
