"""Evolution loops in DEAP style: ``eaRegularized`` (regularized/aging evolution)."""
import random
import time

from deap import tools

from azdeap.algorithm import Algorithm
from azdeap.parallel import pack, random_state_kept, split, unpack
from azdeap.selection import replaceOldest

LOG_FIELDS = ["individuals", "train_steps", "elapsed", "evals", "cached"]


def evaluate_invalid(toolbox, individuals, chunks=1, map_function=None):
    """Evaluate the individuals whose fitness is invalid; returns (evaluations,
    cache hits, train steps).  Uses ``toolbox.evaluate_batch`` (list -> list of
    fitness tuples) mapped over ``chunks`` chunks when the toolbox has it, else
    ``toolbox.evaluate`` mapped over the individuals; both through
    ``map_function`` (default ``toolbox.map``)."""
    map_function = toolbox.map if map_function is None else map_function
    invalid = [ind for ind in individuals if not ind.fitness.valid]
    if not invalid:
        return 0, 0, 0
    evaluate_batch = getattr(toolbox, "evaluate_batch", None)
    if evaluate_batch is not None:
        results = [fit for part in map_function(evaluate_batch, split(invalid, chunks))
                   for fit in part]
    else:
        results = list(map_function(toolbox.evaluate, invalid))
    steps = cached = 0
    for ind, fit in zip(invalid, results):
        ind.fitness.values = fit
        steps += getattr(fit, "train_steps", 0)
        cached += getattr(fit, "cached", False)
    return len(invalid), cached, steps


class Breeder:
    """What a worker needs to breed: the toolbox's clone, mutate and evaluate
    (not the toolbox itself, whose ``map`` need not pickle).  With ``packed``,
    parents and children travel as a few arrays (``azdeap.parallel.pack``): for
    another process, that is much cheaper than pickling each individual."""

    def __init__(self, toolbox, packed=False):
        self.clone = toolbox.clone
        self.mutate = toolbox.mutate
        self.evaluate = toolbox.evaluate
        self.evaluate_batch = getattr(toolbox, "evaluate_batch", None)
        self.map = map
        self.packed = packed

    def __call__(self, task):
        """Children of parents, cloned, mutated and evaluated where this runs; returns
        (children, (evaluations, cache hits, train steps)).  The random module is
        seeded from the task, so a run is reproducible whichever worker breeds."""
        seed, parents = task
        random.seed(seed)
        children = [self.mutate(self.clone(parent))[0]
                    for parent in (unpack(parents) if self.packed else parents)]
        evaluated = evaluate_invalid(self, children)
        return (pack(children) if self.packed else children), evaluated


def runs_in_process(map_function):
    """True for Python's own ``map`` (also as registered in a toolbox)."""
    return getattr(map_function, "func", map_function) is map


def eaRegularized(population, toolbox, batch=1, chunks=1, max_individuals=None,
                  max_train_steps=None, max_seconds=None, stats=None, halloffame=None,
                  verbose=__debug__, progress_every=1000):
    """Regularized (aging) evolution (Real et al. 2019), as AutoML-Zero runs it.

    ``population`` is a list in age order, oldest first.  Each cycle picks
    ``batch`` parents with ``toolbox.select(population, batch)``; ``toolbox.map``
    sends them in ``chunks`` chunks (one per worker) to a ``Breeder``, which clones,
    mutates and evaluates the children (``toolbox.clone``, ``toolbox.mutate``,
    ``toolbox.evaluate_batch`` or ``toolbox.evaluate``); then
    ``toolbox.replace(population, children)`` decides who leaves (default:
    ``replaceOldest``, i.e. aging).  With ``batch=1`` this is exactly the
    original's sequential algorithm; larger batches amortize the per-call costs
    and give the workers of a parallel ``toolbox.map`` work to share.

    Stops after the first cycle that reaches any budget: ``max_individuals``
    (children made, counting the initial population), ``max_train_steps``
    (training examples processed, as reported by the evaluations) or
    ``max_seconds``.  Every ``progress_every`` individuals the logbook records
    individuals, train_steps, elapsed, evals, cached and ``stats`` of the
    population.  Returns ``(population, logbook)``.
    """
    if max_individuals is None and max_train_steps is None and max_seconds is None:
        raise ValueError("eaRegularized needs a budget: max_individuals, max_train_steps "
                         "or max_seconds")
    replace = getattr(toolbox, "replace", replaceOldest)
    logbook = tools.Logbook()
    logbook.header = LOG_FIELDS + (stats.fields if stats else [])
    start = time.perf_counter()
    counts = {"individuals": 0, "train_steps": 0, "evals": 0, "cached": 0}

    def account(individuals, evaluated):
        n_evals, n_cached, steps = evaluated
        counts["individuals"] += len(individuals)
        counts["evals"] += n_evals
        counts["cached"] += n_cached
        counts["train_steps"] += steps
        if halloffame is not None:
            halloffame.update(individuals)

    def record():
        entry = dict(counts, elapsed=round(time.perf_counter() - start, 3))
        logbook.record(**entry, **(stats.compile(population) if stats else {}))
        if verbose:
            print(logbook.stream, flush=True)

    def exhausted():
        return ((max_individuals is not None and counts["individuals"] >= max_individuals)
                or (max_train_steps is not None and counts["train_steps"] >= max_train_steps)
                or (max_seconds is not None and time.perf_counter() - start >= max_seconds))

    account(population, evaluate_invalid(toolbox, population, chunks))
    record()
    next_record = counts["individuals"] + progress_every
    packed = not runs_in_process(toolbox.map) and isinstance(population[0], Algorithm)
    breeder = Breeder(toolbox, packed)
    while not exhausted():
        parents = toolbox.select(population, batch)
        tasks = [(random.getrandbits(64), pack(part) if packed else part)
                 for part in split(parents, chunks)]
        with random_state_kept():
            for children, evaluated in toolbox.map(breeder, tasks):
                children = unpack(children) if packed else children
                account(children, evaluated)
                replace(population, children)
        if counts["individuals"] >= next_record:
            record()
            next_record += progress_every
    if logbook[-1]["individuals"] != counts["individuals"]:
        record()
    return population, logbook
