"""The experiment driver.

    python -m azdeap run [--config configs/demo.yaml] [--workers 2]
    python azdeap/run.py [--config ...]
    python -m scoop -n 32 azdeap/run.py [--config ...]

With no --config it runs the 5-minute demo.  Independent experiments run one per
worker (``--workers N`` processes, or scoop's workers with ``futures.map``) until one
finds a sufficient algorithm.
"""
import argparse
import dataclasses
import multiprocessing
import os
import sys

if not __package__:  # run as a script path: import azdeap from the repository root,
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # not azdeap/

from azdeap.config import ConfigError, load_config  # noqa: E402
from azdeap.experiment import ExperimentError, run_experiments  # noqa: E402
from azdeap.plot import plot_logbooks, require_matplotlib  # noqa: E402


def under_scoop():
    import scoop
    return scoop.IS_RUNNING


def parallel_map():
    """(map, workers): scoop's futures.map and its worker count under scoop."""
    import scoop
    if under_scoop():
        from scoop import futures
        return futures.map, max(1, int(getattr(scoop, "SIZE", 1) or 1))
    return map, 1


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="azdeap run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", help="experiment YAML (default: the 5-minute demo)")
    parser.add_argument("--seed", type=int, help="random seed (overrides the config's)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.add_argument("--workers", type=int, default=1, metavar="N",
                        help="run N experiments at a time in worker processes "
                             "(multiprocessing; under scoop its workers are used)")
    parser.add_argument("--plot", metavar="PNG",
                        help="write a plot of the run's fitness (needs matplotlib)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        config = load_config(args.config)
        if args.seed is not None:
            if args.seed < 0:
                raise ConfigError("--seed: expected an integer >= 0, got %d" % args.seed)
            config = dataclasses.replace(config, seed=args.seed)
        if args.plot:  # fail before the run, not after it
            require_matplotlib()
            if not os.path.isdir(os.path.dirname(os.path.abspath(args.plot))):
                raise ExperimentError("--plot %s: no such directory" % args.plot)
        if args.workers < 1:
            raise ConfigError("--workers: expected an integer >= 1, got %d" % args.workers)
        if under_scoop() or args.workers == 1:
            map_function, workers = parallel_map()
            result = run_experiments(config, map_function, workers, verbose=not args.quiet)
        else:
            with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
                result = run_experiments(config, pool.map, args.workers,
                                         verbose=not args.quiet)
        if args.plot:
            plot_logbooks(result.logbooks, args.plot)
            print("plot: %s" % args.plot)
    except (ConfigError, ExperimentError, ImportError) as error:
        print("azdeap: error: %s" % error, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("azdeap: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    exit_code = main()
    # scoop's launcher exits with status 0 whatever its root does, and turns a
    # SystemExit into a traceback: under scoop an error is just its one line.
    if exit_code and not under_scoop():
        sys.exit(exit_code)
