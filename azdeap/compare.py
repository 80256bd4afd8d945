"""Search schemes side by side: the ``compare`` command.

    python -m azdeap compare --config configs/linear.yaml \
        --schemes regularized,tournament,random --seeds 5 [--workers 2]

Each scheme evolves on the config's search tasks with its budget, once per seed; a seed
gives every scheme the same initial population.  The schemes differ in one piece of the
config's toolbox (``azdeap.toolbox.regularized``):

* ``regularized``: as configured (aging: the oldest individual dies);
* ``tournament``: the worst dies instead (``selection.replaceWorst``), no aging;
* ``random``: every child is a new random algorithm (mutation ``randomize_algorithm``
  with probability 1), the paper's random search baseline.

A run succeeds when the best fitness on the search tasks exceeds the config's
``experiments.sufficient_fitness``; the time to success is read from the logbook, which
records every ``population`` individuals or more often (docs/design.md, "Experiments").
"""
import dataclasses
import math
import multiprocessing
import random
import statistics
from typing import List, NamedTuple

from azdeap.config import ConfigError, load_config
from azdeap.evolution import eaRegularized
from azdeap.experiment import ExperimentError, build_tasks, build_toolbox, check_before_search
from azdeap.runfolder import check_output_path
from azdeap.selection import replaceWorst
from azdeap.toolbox import population_stats

SCHEMES = ("regularized", "tournament", "random")


class SchemeRun(NamedTuple):
    """One scheme's run with one seed: the logbook's records (individuals, seconds and
    the best fitness seen so far at each)."""
    scheme: str
    seed: int
    individuals: List[int]
    seconds: List[float]
    best: List[float]

    def reached(self, fitness: float):
        """(individuals, seconds) at the first record whose best exceeds fitness, or
        (inf, inf)."""
        for individuals, seconds, best in zip(self.individuals, self.seconds, self.best):
            if best > fitness:
                return individuals, seconds
        return math.inf, math.inf


def scheme_config(config, scheme: str):
    """The config a scheme runs: random search mutates by randomize_algorithm always."""
    if scheme == "random":
        return dataclasses.replace(config, evolution=dataclasses.replace(
            config.evolution, mutations=("randomize_algorithm",), mutate_prob=1.0))
    return config


def run_scheme(config, scheme: str, seed: int) -> SchemeRun:
    """One run of a scheme, all randomness seeded by seed (a function of its arguments
    alone, so runs can go to worker processes)."""
    random.seed(seed)
    config = scheme_config(config, scheme)
    toolbox = build_toolbox(config, build_tasks(config.tasks.search, config.tasks.randomize_seeds,
                                                "tasks.search"))
    if scheme == "tournament":
        toolbox.register("replace", replaceWorst)
    evolution, budget = config.evolution, config.budget
    _, logbook = eaRegularized(
        toolbox.population(evolution.population), toolbox, batch=evolution.batch,
        max_individuals=budget.max_individuals, max_train_steps=budget.max_train_steps,
        max_seconds=budget.max_seconds, stats=population_stats(), verbose=False,
        progress_every=min(config.progress_every, evolution.population))
    best, seen = [], -math.inf
    for value in logbook.select("best"):
        seen = max(seen, value)
        best.append(seen)
    return SchemeRun(scheme, seed, logbook.select("individuals"), logbook.select("elapsed"),
                     best)


def _run(job):
    return run_scheme(*job)


def summarize(runs: List[SchemeRun], sufficient: float) -> dict:
    """{scheme: {"success", "runs", "individuals", "seconds", "best"}}: the number of
    runs that reached sufficient, the median individuals and seconds to reach it (inf
    when half the runs or more did not) and the median best fitness."""
    table = {}
    for scheme in dict.fromkeys(run.scheme for run in runs):
        mine = [run for run in runs if run.scheme == scheme]
        reached = [run.reached(sufficient) for run in mine]
        table[scheme] = {
            "success": sum(math.isfinite(n) for n, _ in reached), "runs": len(mine),
            "individuals": statistics.median(n for n, _ in reached),
            "seconds": statistics.median(s for _, s in reached),
            "best": statistics.median(run.best[-1] for run in mine)}
    return table


def format_summary(table: dict, sufficient: float) -> str:
    """The summary as a table, and the ratio of random search's median individuals to
    success to regularized evolution's when both are finite."""
    lines = ["%-12s %8s %22s %18s %13s" % ("scheme", "success", "individuals to %g"
                                          % sufficient, "seconds to %g" % sufficient,
                                          "best fitness")]
    for scheme, row in table.items():
        lines.append("%-12s %8s %22s %18s %13.6f" % (
            scheme, "%d/%d" % (row["success"], row["runs"]),
            _median(row["individuals"], "%d"), _median(row["seconds"], "%.1f"), row["best"]))
    if {"regularized", "random"} <= set(table):
        fast, slow = table["regularized"]["individuals"], table["random"]["individuals"]
        if math.isfinite(fast) and math.isfinite(slow):
            lines.append("random search needs %.1fx the individuals of regularized evolution "
                         "(median; the paper: about 5x)" % (slow / fast))
    return "\n".join(lines)


def _median(value, form):
    return form % value if math.isfinite(value) else "not reached"


def plot_runs(runs: List[SchemeRun], path: str, title: str = "azdeap compare"):
    """Write a PNG of the best fitness seen against individuals: the median over seeds
    (line) and the range (band) of each scheme.  OSError if it cannot be written."""
    from azdeap.plot import require_matplotlib, save_figure
    plt = require_matplotlib()
    figure, axes = plt.subplots(figsize=(9, 4.5))
    for scheme in dict.fromkeys(run.scheme for run in runs):
        mine = [run for run in runs if run.scheme == scheme]
        length = min(len(run.best) for run in mine)   # a time budget ends runs unevenly
        columns = [sorted(run.best[i] for run in mine) for i in range(length)]
        individuals = mine[0].individuals[:length]
        line, = axes.plot(individuals, [statistics.median(c) for c in columns], label=scheme,
                          drawstyle="steps-post")
        axes.fill_between(individuals, [c[0] for c in columns], [c[-1] for c in columns],
                          color=line.get_color(), alpha=0.2, step="post")
    axes.set_xlabel("individuals")
    axes.set_ylabel("best fitness on the search tasks")
    axes.set_title("%s: median and range over %d seeds" % (title, len(runs) // max(
        1, len({run.scheme for run in runs}))))
    axes.legend(loc="lower right")
    axes.grid(alpha=0.3)
    save_figure(plt, figure, path)


def add_compare_arguments(parser):
    parser.add_argument("--config", help="experiment YAML (default: the 5-minute demo)")
    parser.add_argument("--schemes", default=",".join(SCHEMES),
                        help="comma-separated, from %s (default: all)" % ", ".join(SCHEMES))
    parser.add_argument("--seeds", type=int, default=5, metavar="N",
                        help="runs per scheme, seeds from the config's seed on (default 5)")
    parser.add_argument("--workers", type=int, default=1, metavar="W",
                        help="runs at a time in worker processes")
    parser.add_argument("--plot", metavar="PNG", default="compare.png",
                        help="where to plot best fitness against individuals, when "
                             "matplotlib is installed (default compare.png)")


def compare_command(args):
    """``compare``: every scheme once per seed; prints the summary, plots if it can, and
    returns the runs."""
    schemes = [name.strip() for name in args.schemes.split(",") if name.strip()]
    unknown = [name for name in schemes if name not in SCHEMES]
    if unknown or not schemes:
        raise ConfigError("--schemes: unknown scheme(s) %s (choose from %s)"
                          % (", ".join(map(repr, unknown)) or "(none)", ", ".join(SCHEMES)))
    for option, value in (("--seeds", args.seeds), ("--workers", args.workers)):
        if value < 1:
            raise ConfigError("%s: expected an integer >= 1, got %d" % (option, value))
    config = load_config(args.config)
    check_before_search(config)
    plot = _plot_path(args.plot)
    first = config.seed if config.seed is not None else 0
    jobs = [(config, scheme, first + i) for scheme in schemes for i in range(args.seeds)]
    print("compare: %s, schemes %s, seeds %d..%d" % (args.config or "the demo config",
                                                   ", ".join(schemes), first,
                                                   first + args.seeds - 1), flush=True)
    if args.workers == 1:
        runs = list(map(_run, jobs))
    else:
        with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
            runs = pool.map(_run, jobs, chunksize=1)
    sufficient = config.experiments.sufficient_fitness
    print(format_summary(summarize(runs, sufficient), sufficient))
    if plot:
        try:
            plot_runs(runs, plot)
        except OSError as error:
            raise ExperimentError("--plot %s: cannot write: %s"
                                  % (plot, error.strerror or error)) from None
        print("plot: %s" % plot)
    return runs


def _plot_path(path):
    """path if a plot can be written there; None, with a note, without matplotlib;
    ExperimentError if its directory is missing (checked before the runs)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("compare: no plot (matplotlib is not installed)")
        return None
    check_output_path(path, "--plot")
    return path
