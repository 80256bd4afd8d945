"""Experiments as the original runs them (docs/design.md, "Experiments").

One experiment evolves a population on the search tasks (T_search), takes the
best individual of the final population as the candidate and evaluates it on
the selection tasks (T_select).  Experiments repeat until a candidate's T_select
fitness exceeds ``sufficient_fitness`` or ``max`` experiments ran; the best
candidate is then evaluated on the unseen final tasks.
"""
import random
import time
from collections import Counter
from functools import partial
from typing import List, NamedTuple, Optional

import numpy as np
from deap import tools

from azdeap import generator
from azdeap.algorithm import Individual
from azdeap.evolution import eaRegularized
from azdeap.fec import FEC
from azdeap.evaluator import Evaluator, check_bytes, evaluation_bytes
from azdeap.parallel import pack, random_state_kept, unpack
from azdeap.tasks import make_tasks
from azdeap.toolbox import population_stats, regularized

SEED_RANGE = 2 ** 31
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
    logbooks: List[tools.Logbook]


def load_dataset(path):
    """(x, y) from an .npz file holding arrays ``x`` (N, D) and ``y`` (N,)."""
    try:
        with np.load(path) as archive:
            x, y = archive["x"], archive["y"]
    except FileNotFoundError:
        raise ExperimentError("dataset %s: no such file" % path) from None
    except KeyError as missing:
        raise ExperimentError("dataset %s: no array %s (need x and y)" % (path, missing)) from None
    except (OSError, ValueError) as error:
        raise ExperimentError("dataset %s: not a readable .npz file (%s)"
                              % (path, error)) from None
    if len(x) != len(y):
        raise ExperimentError("dataset %s: x has %d rows but y has %d" % (path, len(x), len(y)))
    if x.dtype.kind not in "biuf":
        raise ExperimentError("dataset %s: x must hold numbers, got %s" % (path, x.dtype))
    for name, array in (("x", x), ("y", y)):
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            raise ExperimentError("dataset %s: %s contains NaN or infinite values" % (path, name))
    return x, y


def build_tasks(specs, randomize_seeds=False, where="tasks"):
    """The tasks of a list of config task specs; new random seeds if asked.  A problem is
    an ExperimentError naming the spec, e.g. ``tasks.final[1] (projected): ...``."""
    tasks = []
    for i, spec in enumerate(specs):
        param_seeds, data_seeds = spec.param_seeds, spec.data_seeds
        if randomize_seeds:
            param_seeds = (random.randrange(SEED_RANGE),)
            data_seeds = (random.randrange(SEED_RANGE),)
        try:
            x, y = load_dataset(spec.dataset) if spec.kind == "projected" else (None, None)
            tasks += make_tasks(spec.kind, spec.count, spec.features, spec.train, spec.valid,
                                param_seeds, data_seeds, x, y, spec.class_pairs, spec.epochs)
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


def make_evaluator(config, tasks, combination=None):
    return Evaluator(tasks, config.memory, combination or config.fitness.combination,
                     config.fitness.max_abs_error, seed=random.randrange(SEED_RANGE))


def build_toolbox(config, search_tasks):
    """The regularized-evolution toolbox (``azdeap.toolbox.regularized``) of a config."""
    evaluate = make_evaluator(config, search_tasks)
    fec = config.fitness.fec
    if fec is not None:
        evaluate = FEC(evaluate, fec.train, fec.valid, fec.cache_size, fec.forget_every)
    evo = config.evolution
    return regularized(config.search_space(), evaluate, evo.tournament, evo.mutations,
                       evo.mutate_prob, evo.constant_rule,
                       individual=initial_individual(config))


class ExperimentResult(NamedTuple):
    candidate: tuple          # the best individual of the final population, packed
    search_fitness: float
    select_fitness: float
    logbook: tools.Logbook


def run_experiment(config, seed, verbose=False):
    """One experiment, all randomness seeded by ``seed``:
    evolve on T_search, then evaluate the candidate on T_select.  A function of its
    arguments alone, so experiments can run in parallel anywhere."""
    random.seed(seed)
    randomize = config.tasks.randomize_seeds
    toolbox = build_toolbox(config, build_tasks(config.tasks.search, randomize, "tasks.search"))
    budget = config.budget
    population, logbook = eaRegularized(
        toolbox.population(config.evolution.population), toolbox,
        batch=config.evolution.batch, max_individuals=budget.max_individuals,
        max_train_steps=budget.max_train_steps, max_seconds=budget.max_seconds,
        stats=population_stats(), verbose=verbose, progress_every=config.progress_every)
    candidate = max(population, key=lambda ind: ind.fitness.values[0])
    select_fitness = make_evaluator(
        config, build_tasks(config.tasks.select, randomize, "tasks.select"), "mean")(candidate)[0]
    return ExperimentResult(pack([candidate]), candidate.fitness.values[0], select_fitness,
                            logbook)


def run_experiments(config, map_function=map, workers=1, verbose=True, log=print):
    """Run experiments until a candidate's T_select fitness exceeds the sufficient
    fitness (or ``experiments.max`` ran), then evaluate the best on the final tasks.

    Experiments run ``workers`` at a time through ``map_function`` (scoop's
    ``futures.map`` under scoop): they are independent, so this is how a search
    spreads over cores without shipping individuals around.  Each experiment's seed
    is drawn from the run's seed, so a run is reproducible for a given ``workers``.
    Progress lines are printed when one experiment runs at a time.  The config is checked
    first (``check_before_search``)."""
    check_before_search(config)
    seed = config.seed if config.seed is not None else time.time_ns() % SEED_RANGE
    random.seed(seed)
    log("azdeap: seed %d%s" % (seed, ", %d experiments at a time" % workers
                               if workers > 1 else ""))
    start = time.perf_counter()
    best: Optional[Individual] = None
    best_select = -np.inf
    individuals = 0
    logbooks = []
    experiment = 0
    limit = config.experiments.max or float("inf")
    while experiment < limit and not best_select > config.experiments.sufficient_fitness:
        round_size = int(min(workers, limit - experiment))
        seeds = [random.randrange(SEED_RANGE) for _ in range(round_size)]
        with random_state_kept():
            run = partial(run_experiment, config, verbose=verbose and workers == 1)
            for result in map_function(run, seeds):
                experiment += 1
                logbooks.append(result.logbook)
                individuals += result.logbook[-1]["individuals"]
                if result.select_fitness >= best_select:
                    best, best_select = unpack(result.candidate)[0], result.select_fitness
                log("experiment %d: search fitness %.6f, select fitness %.6f, best select %.6f, "
                    "%d individuals, %.1f s" % (
                        experiment, result.search_fitness, result.select_fitness, best_select,
                        result.logbook[-1]["individuals"], result.logbook[-1]["elapsed"]))
    final_fitness = make_evaluator(config, build_tasks(config.tasks.final, where="tasks.final"),
                                   "mean")(best)[0]
    seconds = time.perf_counter() - start
    log("final fitness (%d unseen tasks): %.6f after %d experiment(s), %d individuals, "
        "%.1f s" % (sum(spec.count for spec in config.tasks.final), final_fitness,
                    experiment, individuals, seconds))
    log(str(best))
    return Result(best, best_select, final_fitness, experiment, individuals, seconds, logbooks)
