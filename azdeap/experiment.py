"""Experiments as the original runs them (docs/design.md, "Experiments").

One experiment evolves a population on the search tasks (T_search), takes the
best individual of the final population as the candidate and evaluates it on
the selection tasks (T_select).  Experiments repeat until a candidate's T_select
fitness exceeds ``sufficient_fitness`` or ``max`` experiments ran; the best
candidate is then evaluated on the unseen final tasks.
"""
import dataclasses
import itertools
import os
import random
import socket
import time
from collections import Counter, OrderedDict
from functools import partial
from typing import List, NamedTuple, Optional

import numpy as np
from deap import tools

from azdeap import datasets, generator
from azdeap.algorithm import Individual
from azdeap.budget import TrainBudget
from azdeap.config import Config, task_groups
from azdeap.evolution import LOG_FIELDS
from azdeap.fec import FEC
from azdeap.hurdles import Hurdles
from azdeap.evaluator import Evaluator, check_bytes, evaluation_bytes
from azdeap.islands import (COUNTERS, SEED_RANGE, Island, epoch_limits, merged_record, migrate,
                            new_island, run_epoch)
from azdeap.lineage import Lineage, ancestry
from azdeap.notation import format_algorithm
from azdeap.parallel import pack, random_state_kept, unpack
from azdeap.tasks import make_tasks
from azdeap.toolbox import population_stats, regularized

GROUPS = ("search", "select", "final")


class ExperimentError(ValueError):
    """A user error found while setting up an experiment (e.g. a missing dataset)."""


class Result(NamedTuple):
    best: Individual             # the best candidate on T_select
    select_fitness: float
    final_fitness: float
    experiments: int
    individuals: int
    seconds: float
    logbooks: List[tools.Logbook]              # merged over the islands, per experiment
    island_logbooks: List[List[tools.Logbook]]  # per experiment, per island


def load_dataset(path):
    """(x, y) from an .npz file holding arrays ``x`` (N, D) and ``y`` (N,)."""
    try:
        data = datasets.load_npz(path)
    except datasets.DatasetError as error:
        raise ExperimentError(str(error)) from None
    return data.x, data.y


def _dataset_of(spec):
    """The (x, y, x_test, y_test) a projected spec's tasks are made of; ValueError if its
    validation examples come from a test split the dataset lacks."""
    data = datasets.load_dataset(spec.dataset)
    if spec.valid_from == "train":
        return data.x, data.y, None, None
    if data.y_test is None:
        raise ValueError("valid_from test: dataset %s has no test split" % spec.dataset)
    return data


def draw_task_seeds(specs):
    """The task specs, each with a new param seed and data seed drawn from ``random``."""
    return tuple(dataclasses.replace(spec, param_seeds=(random.randrange(SEED_RANGE),),
                                     data_seeds=(random.randrange(SEED_RANGE),))
                 for spec in specs)


def build_tasks(specs, randomize_seeds=False, where="tasks"):
    """The tasks of a list of config task specs; new random seeds if asked
    (``draw_task_seeds``).  A problem is an ExperimentError naming the spec, e.g.
    ``tasks.final[1] (projected): ...``."""
    if randomize_seeds:
        specs = draw_task_seeds(specs)
    tasks = []
    for i, spec in enumerate(specs):
        try:
            x, y, x_test, y_test = (_dataset_of(spec) if spec.kind == "projected"
                                    else (None,) * 4)
            tasks += make_tasks(spec.kind, spec.count, spec.features, spec.train, spec.valid,
                                spec.param_seeds, spec.data_seeds, x, y, spec.class_pairs,
                                spec.pairs, x_test, y_test, spec.epochs, spec.classes)
        except ValueError as error:
            raise ExperimentError("%s[%d] (%s): %s" % (where, i, spec.kind, error)) from None
    return tasks


def estimate_bytes(config):
    """The bytes of the largest arrays of one experiment: those of its evaluators on the
    search, select and final tasks (``evaluation_bytes``) and the programs of the initial
    population."""
    need = 0
    for group in GROUPS:
        sizes = Counter()
        for spec in getattr(config.tasks, group):
            sizes[spec.features, spec.train, spec.valid] += spec.count
        need += evaluation_bytes(config.memory, sizes)
    components = config.components.setup, config.components.predict, config.components.learn
    programs = config.evolution.population * sum(c.size for c in components) * (4 * 4 + 3 * 8)
    return need + programs


def check_before_search(config):
    """ExperimentError, one line, if one experiment of config would need more memory than
    ``memory_limit()`` or if a task spec cannot be built (each is built once here), so
    that no problem shows only after the search."""
    check_bytes(estimate_bytes(config), "one experiment", "memory, task arrays, population",
                ExperimentError)
    for group in GROUPS:
        build_tasks(getattr(config.tasks, group), where="tasks." + group)


def initial_individual(config):
    """A function making one initial individual, as ``evolution.init`` says."""
    space = config.search_space()
    init = config.evolution.init
    if init == "random":
        return partial(generator.initRandom, Individual, space)
    if init == "noop":
        return partial(generator.initNoOp, Individual, space)
    return partial(Individual.from_text, init)


def make_evaluator(config, tasks, combination=None, train_budget=None):
    return Evaluator(tasks, config.memory, combination or config.fitness.combination,
                     config.fitness.max_abs_error, seed=random.randrange(SEED_RANGE),
                     train_budget=train_budget, prune=config.fitness.prune)


def build_toolbox(config, search_tasks):
    """The regularized-evolution toolbox (``azdeap.toolbox.regularized``) of a config;
    the train budget, hurdles and FEC apply to T_search.  With ``evolution.lineage`` its
    ``individual`` and ``mutate`` record lineages (``azdeap.lineage``) and
    ``toolbox.lineage`` is the ``Lineage`` recording them."""
    budget = config.fitness.train_budget
    evaluate = make_evaluator(config, search_tasks, train_budget=None if budget is None
                              else TrainBudget(budget.baseline, budget.factor))
    hurdles = config.fitness.hurdles
    if hurdles is not None:
        evaluate = hurdles = Hurdles(evaluate, hurdles.tasks, hurdles.train,
                                     hurdles.percentile)
    fec = config.fitness.fec
    if fec is not None:
        evaluate = FEC(evaluate, fec.train, fec.valid, fec.cache_size, fec.forget_every,
                       fec.by_form)
    evo = config.evolution
    lineage = Lineage() if evo.lineage else None
    individual = initial_individual(config)
    toolbox = regularized(config.search_space(), evaluate, evo.tournament, evo.mutations,
                          evo.mutate_prob, evo.constant_rule, individual=individual
                          if lineage is None else lineage.rooted(individual))
    if lineage is not None:
        toolbox.decorate("mutate", lineage.decorator)
        toolbox.lineage = lineage
    if hurdles is not None:
        toolbox.register("update_hurdle", hurdles.update_hurdle)
    return toolbox


class ExperimentResult(NamedTuple):
    candidate: tuple          # the best individual of the final populations, packed
    search_fitness: float
    select_fitness: float
    logbook: tools.Logbook    # merged over the islands


_TOOLBOXES = OrderedDict()   # (experiment key, task specs) -> (toolbox, evaluator)
_KEEP = 8                    # experiments whose toolboxes (one per group) a process keeps
_runs = itertools.count()


def _island_toolbox(config, experiment, specs):
    """(toolbox, evaluator) for the islands of an experiment (its ``key``) that search the
    task specs: one per process, built on first use, so the islands of one group that run
    in this process share its FEC cache.  Leaves ``random`` as it was."""
    key = (experiment, specs)
    entry = _TOOLBOXES.get(key)
    if entry is None:
        with random_state_kept():
            toolbox = build_toolbox(config, build_tasks(specs, where="tasks.search"))
        evaluator = toolbox.evaluate.func   # the Evaluator inside an FEC and Hurdles
        while not isinstance(evaluator, Evaluator):
            evaluator = evaluator.evaluator
        entry = toolbox, evaluator
        _TOOLBOXES[key] = entry
        while len({kept[0] for kept in _TOOLBOXES}) > _KEEP:
            _TOOLBOXES.popitem(last=False)
    _TOOLBOXES.move_to_end(key)
    return entry


def _caches(keys):
    """{toolbox key: FEC state} of this process's caches of those keys."""
    saved = {}
    for key in keys:
        entry = _TOOLBOXES.get(key)
        fec = entry and entry[0].evaluate.func
        if isinstance(fec, FEC):
            saved[key] = (fec.cache, fec.hits, fec.misses, fec.saved_train_steps)
    return saved


def _restore_caches(config, saved):
    for key, (cache, hits, misses, saved_train_steps) in saved.items():
        fec = _island_toolbox(config, *key)[0].evaluate.func
        fec.cache, fec.hits, fec.misses = cache, hits, misses
        fec.saved_train_steps = saved_train_steps


class _Epoch(NamedTuple):
    config: Config
    experiment: tuple       # ExperimentState.key
    specs: tuple
    island: Island
    limits: tuple
    keep: bool              # the map runs in this process: keep the individuals


def _run_epoch(work):
    """The work one island's epoch sends through the map: (new island, records)."""
    toolbox, evaluator = _island_toolbox(work.config, work.experiment, work.specs)
    config, island = work.config, work.island
    lineage = getattr(toolbox, "lineage", None)
    if lineage is not None:   # number the children as the island's logbook counts them
        lineage.made = island.counts["individuals"] + (
            config.evolution.population if island.population is None else 0)
    migrants = config.islands.migrants if config.islands.count > 1 else 0
    return run_epoch(toolbox, evaluator, island, work.limits, config.evolution.population,
                     config.evolution.batch, migrants, config.progress_every, work.keep)


def _logbook():
    logbook = tools.Logbook()
    logbook.header = LOG_FIELDS + population_stats().fields
    return logbook


@dataclasses.dataclass
class ExperimentState:
    """One experiment between epochs: its islands, their logbooks and the merged one."""
    number: int
    seed: int
    groups: tuple            # the search task specs of each group, with their seeds
    islands: list
    logbooks: list           # a tools.Logbook per island
    merged: tools.Logbook
    topology_state: tuple    # the state of the random topology's generator
    key: tuple               # (run id, number): names its toolboxes in every process
    seconds: float = 0.0
    done: bool = False

    def counts(self):
        return {key: sum(island.counts[key] for island in self.islands) for key in COUNTERS}


def _run_id():
    """An id no other run of any process shares."""
    return "%s-%d-%d-%d" % (socket.gethostname(), os.getpid(), time.time_ns(), next(_runs))


def _start_experiment(config, number, seed, run_id):
    """Experiment ``number`` of ``seed``: its search tasks (seeds drawn first, when
    randomized) and its islands, none evolved yet.  Island 0 continues the experiment's
    ``random`` stream, so one island makes the same run as before islands existed."""
    with random_state_kept():
        random.seed(seed)
        specs = config.tasks.search
        if config.tasks.randomize_seeds:
            specs = draw_task_seeds(specs)
        first = random.getstate()
    groups = task_groups(specs)
    count = config.islands.count
    islands = [new_island(i, i % len(groups), seed, first if i == 0 else None)
               for i in range(count)]
    return ExperimentState(number, seed, groups, islands, [_logbook() for _ in islands],
                           _logbook(), random.Random("%d/topology" % seed).getstate(),
                           (run_id, number))


def _budget_used(config, experiment):
    """The fraction of the experiment's budget used (the largest over the budgets)."""
    budget, counts = config.budget, experiment.counts()
    used = [counts[key] / limit for key, limit in (
        ("individuals", budget.max_individuals), ("train_steps", budget.max_train_steps))
        if limit is not None]
    if budget.max_seconds is not None:
        used.append(experiment.seconds / budget.max_seconds)
    return max(used)


def _epoch_round(config, experiments, map_function=map, whole=False):
    """One epoch of every island of the experiments, through ``map_function``; then each
    experiment migrates, or is done when its budget is used.  ``whole``: each island runs
    to the end of the budget in one epoch (no migration)."""
    evo, islands = config.evolution, config.islands
    works = []
    for experiment in experiments:
        counts = experiment.counts()
        for island in experiment.islands:
            limits = epoch_limits(island, evo.population,
                                  None if whole else islands.migrate_every, islands.count,
                                  config.budget, counts, experiment.seconds)
            works.append(_Epoch(config, experiment.key, experiment.groups[island.group],
                                island, limits, map_function is map))
    start = time.perf_counter()
    with random_state_kept():
        results = iter(list(map_function(_run_epoch, works)))
    seconds = time.perf_counter() - start
    for experiment in experiments:
        experiment.seconds += seconds
        for i, logbook in enumerate(experiment.logbooks):
            experiment.islands[i], records = next(results)
            for record in records:
                logbook.record(**record)
                if len(experiment.islands) == 1:   # one island: its records are the merged
                    experiment.merged.record(**record)
        if len(experiment.islands) > 1:
            experiment.merged.record(**merged_record(experiment.islands, experiment.seconds))
        experiment.done = whole or _budget_used(config, experiment) >= 1.0
        if not experiment.done:
            rng = random.Random()
            rng.setstate(experiment.topology_state)
            migrate(experiment.islands, islands.topology, rng)
            experiment.topology_state = rng.getstate()


def _select_candidate(config, experiment):
    """(candidate, select fitness): of the islands' best individuals, the one with the
    best T_select fitness (the lowest island on a tie).  T_select's seeds (when randomized)
    and its evaluator's seed continue island 0's ``random`` stream."""
    with random_state_kept():
        random.setstate(experiment.islands[0].random_state)
        evaluate = make_evaluator(
            config, build_tasks(config.tasks.select, config.tasks.randomize_seeds,
                                "tasks.select"), "mean")
        candidates = [unpack(island.best)[0] for island in experiment.islands]
        selects = [evaluate(candidate)[0] for candidate in candidates]
    best = max(range(len(candidates)), key=selects.__getitem__)
    return candidates[best], selects[best]


def run_experiment(config, seed, verbose=False):
    """One experiment, all randomness seeded by ``seed``: evolve its islands on T_search
    in this process, then evaluate the candidate on T_select.  A function of its
    arguments alone."""
    experiment = _start_experiment(config, 1, seed, _run_id())
    while not experiment.done:
        _epoch_round(config, [experiment])
        if verbose:
            print(experiment.merged.stream, flush=True)
    candidate, select_fitness = _select_candidate(config, experiment)
    return ExperimentResult(pack([candidate]), candidate.fitness.values[0], select_fitness,
                            experiment.merged)


@dataclasses.dataclass
class RunState:
    """A run between epochs: all a checkpoint holds, besides the FEC caches."""
    config: Config           # with its seed
    parallel: int            # experiments at a time
    random_state: tuple      # the run's random state, after the last seeds drawn
    run_id: str
    experiments: int = 0     # experiments finished
    individuals: int = 0     # their individuals
    best: Optional[tuple] = None   # the best candidate on T_select so far, packed
    best_select: float = -np.inf
    seconds: float = 0.0     # run time before this session
    checkpoint_seconds: float = 0.0  # of which writing checkpoints
    logbooks: list = dataclasses.field(default_factory=list)         # merged, per experiment
    island_logbooks: list = dataclasses.field(default_factory=list)  # per experiment
    summaries: list = dataclasses.field(default_factory=list)        # per experiment
    round: list = dataclasses.field(default_factory=list)  # ExperimentStates running

    def best_so_far(self):
        """(individual, fitness, what) of the best candidate, or of the best individual
        of the running experiments when none finished; (None, None, None) before any."""
        if self.best is not None:
            return unpack(self.best)[0], self.best_select, "select"
        bests = [unpack(island.best)[0] for experiment in self.round
                 for island in experiment.islands if island.best is not None]
        if not bests:
            return None, None, None
        best = max(bests, key=lambda ind: ind.fitness.values[0])
        return best, best.fitness.values[0], "search"


def _new_run(config, workers=1):
    """The state of a new run of config (its seed drawn from the time when None)."""
    seed = config.seed if config.seed is not None else time.time_ns() % SEED_RANGE
    config = dataclasses.replace(config, seed=seed)
    with random_state_kept():
        random.seed(seed)
        state = random.getstate()
    return RunState(config, max(1, workers // config.islands.count), state, _run_id())


class _Progress:
    """Progress while a run goes: the logbook's columns, or on a terminal a line with
    individuals, rate, best, FEC hit rate and time left on the budget (at most one a
    second)."""

    def __init__(self, config, verbose, line, log):
        self.config, self.verbose, self.line, self.log = config, verbose, line, log
        self.last = 0.0

    def report(self, state, start_individuals, start):
        if not self.verbose or (state.parallel > 1 and not self.line):
            return
        experiment = state.round[0]
        if not self.line:
            self.log(experiment.merged.stream)
            return
        now = time.perf_counter()
        if now - self.last < 1.0:
            return
        self.last = now
        counts = experiment.counts()
        individuals = state.individuals + counts["individuals"]
        rate = (individuals - start_individuals) / max(now - start, 1e-9)
        best = max(island.stats["best"] for island in experiment.islands)
        used = _budget_used(self.config, experiment)
        left = experiment.seconds * (1 - used) / used if used > 0 else float("inf")
        self.log("experiment %d: %d individuals (run: %d), %.0f/s, best %.6f, FEC hits "
                 "%.0f%%, about %s left" % (
                     experiment.number, counts["individuals"], individuals, rate, best,
                     100.0 * counts["cached"] / max(counts["evals"], 1), _duration(left)))


def _duration(seconds):
    """seconds as 12.3 s, 4 min 05 s or 2.5 h."""
    if seconds < 60:
        return "%.1f s" % seconds
    if seconds < 3600:
        return "%d min %02d s" % divmod(round(seconds), 60)
    return "%.1f h" % (seconds / 3600)


def run_experiments(config, map_function=map, workers=1, verbose=True, log=print,
                    folder=None, progress_line=False):
    """Run experiments until a candidate's T_select fitness exceeds the sufficient
    fitness (or ``experiments.max`` ran), then evaluate the best on the final tasks.

    An experiment is one search over ``islands.count`` islands, whose epochs run
    through ``map_function`` (scoop's ``futures.map`` under scoop, a pool's ``map``);
    with fewer islands than ``workers``, ``workers // islands.count`` experiments run at
    a time.  Each experiment's seed is drawn from the run's seed.  With a ``folder``
    (``azdeap.runfolder.RunFolder``) the run writes its checkpoint there every
    ``checkpoint_every`` seconds, and its results at the end.  The config is checked
    first (``check_before_search``)."""
    check_before_search(config)
    state = _new_run(config, workers)
    log("azdeap: seed %d%s%s" % (
        state.config.seed, ", %d experiments at a time" % state.parallel
        if state.parallel > 1 else "", ", %d islands" % config.islands.count
        if config.islands.count > 1 else ""))
    if folder is not None:
        folder.start(state.config)
    return _drive(state, map_function, verbose, log, folder, progress_line)


def resume_experiments(folder, map_function=map, verbose=True, log=print,
                       progress_line=False):
    """Continue the run whose checkpoint is in ``folder`` (a ``RunFolder``): the same
    result as the run would have given uninterrupted (docs/parallel.md says when)."""
    state, caches = folder.load_checkpoint()
    check_before_search(state.config)
    for key in [key for key in _TOOLBOXES if key[0][0] == state.run_id]:
        del _TOOLBOXES[key]   # this process ran it before: its caches moved on since
    if map_function is map:
        _restore_caches(state.config, caches)
    log("azdeap: resuming %s: seed %d, %d experiment(s) finished, %.1f s run before"
        % (folder.path, state.config.seed, state.experiments, state.seconds))
    return _drive(state, map_function, verbose, log, folder, progress_line)


def _toolbox_keys(state):
    return [(experiment.key, specs) for experiment in state.round
            for specs in experiment.groups]


def _drive(state, map_function=map, verbose=True, log=print, folder=None, progress_line=False):
    """Run from ``state`` to the end of the run; returns the ``Result``.  Checkpoints go
    to ``folder`` (with this process's FEC caches when ``map_function`` is ``map``);
    on Ctrl-C the best so far is written there before the KeyboardInterrupt goes on."""
    config = state.config
    limit = config.experiments.max or float("inf")
    progress = _Progress(config, verbose, progress_line, log)
    start, before = time.perf_counter(), state.seconds
    start_individuals = state.individuals + sum(e.counts()["individuals"] for e in state.round)
    last_checkpoint = -np.inf   # the first after the first epoch, then every checkpoint_every
    try:
        while True:
            if not state.round:
                if state.experiments >= limit or \
                        state.best_select > config.experiments.sufficient_fitness:
                    break
                random.setstate(state.random_state)
                seeds = [random.randrange(SEED_RANGE)
                         for _ in range(int(min(state.parallel, limit - state.experiments)))]
                state.random_state = random.getstate()
                state.round = [_start_experiment(config, state.experiments + i + 1, seed,
                                                 state.run_id)
                               for i, seed in enumerate(seeds)]
            running = [experiment for experiment in state.round if not experiment.done]
            if running:
                _epoch_round(config, running, map_function,
                            whole=config.islands.count == 1 and state.parallel > 1)
                progress.report(state, start_individuals, start)
            else:
                _finish_round(state, log)
            now = time.perf_counter()
            state.seconds = before + now - start
            if folder is not None and now - last_checkpoint >= config.checkpoint_every:
                folder.save_checkpoint(state, _caches(_toolbox_keys(state))
                                       if map_function is map else {})
                last_checkpoint = time.perf_counter()
                state.checkpoint_seconds += last_checkpoint - now
    except KeyboardInterrupt:
        if folder is not None:
            state.seconds = before + time.perf_counter() - start
            folder.write_interrupted(state)
            log("azdeap: interrupted; the best so far is in %s (best.txt), and the run "
                "resumes from its last checkpoint with --resume %s" % (folder.path, folder.path))
        raise
    random.setstate(state.random_state)
    best = unpack(state.best)[0]
    final_fitness = make_evaluator(config, build_tasks(config.tasks.final, where="tasks.final"),
                                   "mean")(best)[0]
    state.seconds = before + time.perf_counter() - start
    log("final fitness (%d unseen tasks): %.6f after %d experiment(s), %d individuals, "
        "%.1f s" % (sum(spec.count for spec in config.tasks.final), final_fitness,
                    state.experiments, state.individuals, state.seconds))
    multiclass = config.multiclass()
    simple = best.simplified(exact_draws=True, multiclass=multiclass)
    log("the best algorithm without its dead code (%d of %d instructions; the full listing "
        "is %s):" % (len(simple), len(best), "in %s" % folder.file("best.txt")
                     if folder is not None else "Result.best"))
    log(format_algorithm(simple, roles=True, multiclass=multiclass))
    if config.evolution.lineage:
        steps = ancestry(best)
        log("its lineage: %d discoveries on T_search, fitness %.6f to %.6f (%s)" % (
            len(steps), steps[0].fitness, steps[-1].fitness, "ancestry.txt in %s" % folder.path
            if folder is not None else "azdeap.lineage.format_ancestry(Result.best)"))
    result = Result(best, state.best_select, final_fitness, state.experiments,
                    state.individuals, state.seconds, state.logbooks, state.island_logbooks)
    if folder is not None:
        folder.write_result(state, result)
    return result


def _finish_round(state, log):
    """Select each experiment's candidate, keep the best, log a line for each."""
    for experiment in state.round:
        candidate, select_fitness = _select_candidate(state.config, experiment)
        state.experiments += 1
        individuals = experiment.counts()["individuals"]
        state.individuals += individuals
        if select_fitness >= state.best_select:
            state.best, state.best_select = pack([candidate]), select_fitness
        state.logbooks.append(experiment.merged)
        state.island_logbooks.append(experiment.logbooks)
        search_fitness = candidate.fitness.values[0]
        state.summaries.append({"experiment": experiment.number, "seed": experiment.seed,
                                "search_fitness": search_fitness,
                                "select_fitness": select_fitness,
                                "individuals": individuals,
                                "seconds": round(experiment.seconds, 3)})
        log("experiment %d: search fitness %.6f, select fitness %.6f, best select %.6f, "
            "%d individuals, %.1f s" % (experiment.number, search_fitness, select_fitness,
                                        state.best_select, individuals, experiment.seconds))
    state.round = []
