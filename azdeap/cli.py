"""The command line: ``python -m azdeap COMMAND [options]`` (``run`` when none is given).

    python -m azdeap run [--config configs/demo.yaml] [--workers 2] [--out DIR]
    python -m azdeap run --resume DIR                     (continue a run from its checkpoint)
    python azdeap/run.py [--config ...]                   (the same, as a script)
    python -m scoop -n 32 azdeap/run.py [--config ...]

``run`` with no --config runs the 5-minute demo.  Independent experiments run one per
worker (``--workers N`` processes, or scoop's workers with ``futures.map``) until one
finds a sufficient algorithm.  A user error is one line on stderr and exit status 2.
"""
import argparse
import contextlib
import multiprocessing
import os
import shutil
import sys
import tempfile

from azdeap.config import ConfigError, load_config, replace_seed
from azdeap.compare import add_compare_arguments, compare_command
from azdeap.experiment import ExperimentError, resume_experiments, run_experiments
from azdeap.export import add_export_arguments, export_command
from azdeap.listing import add_show_arguments, show_command
from azdeap.parallel import scoop_map
from azdeap.plot import plot_logbooks, require_matplotlib
from azdeap.runfolder import RunFolder, check_output_path, default_path


def under_scoop():
    import scoop
    return scoop.IS_RUNNING


def parallel_map():
    """(map, workers): ``azdeap.parallel.scoop_map`` and scoop's worker count under
    scoop, else the builtin map and 1."""
    import scoop
    if under_scoop():
        return scoop_map, max(1, int(getattr(scoop, "SIZE", 1) or 1))
    return map, 1


def add_run_arguments(parser):
    parser.add_argument("--config", help="experiment YAML (default: the 5-minute demo)")
    parser.add_argument("--seed", type=int, help="random seed (overrides the config's)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.add_argument("--workers", type=int, default=1, metavar="N",
                        help="run N experiments at a time in worker processes "
                             "(multiprocessing; under scoop its workers are used)")
    parser.add_argument("--plot", metavar="PNG",
                        help="write a plot of the run's fitness (needs matplotlib)")
    parser.add_argument("--out", metavar="DIR",
                        help="the run folder (default: runs/<config name>-<timestamp>)")
    parser.add_argument("--resume", metavar="DIR",
                        help="continue the run of that folder from its checkpoint")


@contextlib.contextmanager
def _plot_errors(path):
    """An OSError writing the plot as one line: ExperimentError naming --plot."""
    try:
        yield
    except OSError as error:
        raise ExperimentError("--plot %s: cannot write: %s"
                              % (path, error.strerror or error)) from None


def _check_plot_path(path):
    """ExperimentError unless a plot can be written at path: checked before the run, not
    after it."""
    require_matplotlib()
    check_output_path(path, "--plot")
    directory = os.path.dirname(os.path.abspath(path))
    with _plot_errors(path), tempfile.NamedTemporaryFile(dir=directory, suffix=".png"):
        pass


def _run(args, config, folder, map_function, workers):
    """Run config (None: resume the folder's run) through map_function."""
    verbose, line = not args.quiet, sys.stdout.isatty()
    if config is None:
        return resume_experiments(folder, map_function, verbose, progress_line=line)
    return run_experiments(config, map_function, workers, verbose, folder=folder,
                           progress_line=line)


def run_command(args):
    """``run``: experiments as a config says, in a run folder; returns the result."""
    config = None
    if args.resume:
        if args.config or args.seed is not None or args.out:
            raise ConfigError("--resume: the config, seed and folder are the checkpoint's; "
                              "drop --config, --seed and --out")
    else:
        config = load_config(args.config)
        if args.seed is not None:
            config = replace_seed(config, args.seed)
    if args.plot:
        _check_plot_path(args.plot)
    if args.workers < 1:
        raise ConfigError("--workers: expected an integer >= 1, got %d" % args.workers)
    folder = RunFolder(args.resume or args.out or default_path(args.config))
    if not args.resume:
        folder.check_new()
    try:
        if under_scoop() or args.workers == 1:
            map_function, workers = parallel_map()
            result = _run(args, config, folder, map_function, workers)
        else:
            with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
                result = _run(args, config, folder, pool.map, args.workers)
    except Exception as error:
        if folder.started:
            folder.write_failed("%s: %s" % (type(error).__name__, error))
        raise
    print("run folder: %s" % folder.path)
    if args.plot:   # the run folder's plot when it drew one
        with _plot_errors(args.plot):
            if os.path.exists(folder.file("plot.png")):
                shutil.copyfile(folder.file("plot.png"), args.plot)
            else:
                plot_logbooks(result.logbooks, args.plot)
        print("plot: %s" % args.plot)
    return result


def add_baselines_arguments(parser):
    parser.add_argument("--config", required=True,
                        help="experiment YAML with projected tasks (e.g. configs/digits.yaml)")
    parser.add_argument("--seed", type=int, help="random seed (overrides the config's)")
    parser.add_argument("--experiments", type=int, metavar="N",
                        help="search experiments (default: the config's experiments.max)")
    parser.add_argument("--repetitions", type=int, default=5, metavar="R",
                        help="task seeds of the final tasks (default 5)")
    parser.add_argument("--trials", type=int, default=20, metavar="K",
                        help="random-search trials tuning each baseline (default 20)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")


def baselines_command(args):
    """``baselines``: the best evolved algorithm against tuned baselines; returns the
    azdeap.baselines.Comparison."""
    from azdeap.baselines import compare_baselines, format_comparison
    config = load_config(args.config)
    if args.seed is not None:
        config = replace_seed(config, args.seed)
    comparison = compare_baselines(config, args.experiments, args.repetitions, args.trials,
                                   log=(lambda line: None) if args.quiet else print,
                                   verbose=not args.quiet)
    print(format_comparison(comparison, sum(spec.count for spec in config.tasks.final)))
    return comparison


COMMANDS = {"run": (run_command, add_run_arguments,
                    "run experiments as a config says (default: the 5-minute demo)"),
            "show": (show_command, add_show_arguments,
                     "print a listing file: its size, memory and live code (fitness with "
                     "--config)"),
            "export": (export_command, add_export_arguments,
                       "write a listing file's algorithm as a standalone numpy module"),
            "compare": (compare_command, add_compare_arguments,
                        "run search schemes (regularized, tournament, random) over seeds "
                        "and compare their success"),
            "baselines": (baselines_command, add_baselines_arguments,
                          "the best evolved algorithm against tuned logistic regression and "
                          "a tuned 2-layer net on unseen tasks")}


def parser():
    main_parser = argparse.ArgumentParser(
        prog="azdeap", description="AutoML-Zero for DEAP: evolve learning algorithms.")
    commands = main_parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, add_arguments, help_text) in COMMANDS.items():
        add_arguments(commands.add_parser(name, help=help_text, description=help_text))
    return main_parser


def main(argv=None):
    """Run a command; returns the exit status (0, 2 for a user error, 130 on Ctrl-C)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv = ["run"] + argv   # no command: run (the demo by default)
    elif argv[0] not in COMMANDS and not argv[0].startswith("-"):
        print("azdeap: error: unknown command %r (commands: %s)"
              % (argv[0], ", ".join(COMMANDS)), file=sys.stderr)
        return 2
    args = parser().parse_args(argv)
    try:
        COMMANDS[args.command][0](args)
    except (ConfigError, ExperimentError, ImportError) as error:
        print("azdeap: error: %s" % error, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("azdeap: interrupted", file=sys.stderr)
        return 130
    return 0
