"""Islands: one search over several regularized-evolution populations that exchange
their best individuals (docs/design.md, "Parallelism").

An ``Island`` holds all its next epoch depends on: the population in age order (packed),
its fitness values, Python's and numpy's random states, the state of the kernel's
random-op generator, its counters and the immigrants waiting for it.  ``run_epoch``
runs ``eaRegularized`` on it for one epoch and returns the new state, so an epoch is a
function of the island, its limits and the toolbox (whose FEC cache, if any, belongs to
the process running the epoch).  Between epochs ``migrate`` hands each island the
emigrants of another, DEAP's ``tools.migRing`` style: each island sends copies of its
``migrants`` best, which replace the receiver's oldest and join it as its youngest.
"""
import dataclasses
import math
import random
from collections import OrderedDict
from typing import List, Optional, Tuple

import numpy as np

from azdeap.evolution import eaRegularized
from azdeap.parallel import pack, unpack
from azdeap.toolbox import population_stats

COUNTERS = ("individuals", "train_steps", "evals", "cached", "elapsed")
SEED_RANGE = 2 ** 31
_UNPACKED = OrderedDict()   # id(packed population) -> (it, its individuals), run_epoch's keep
_KEEP = 64                  # populations kept


@dataclasses.dataclass
class Island:
    """The state of one island between epochs; ``population`` is None before the first."""
    number: int
    group: int
    random_state: tuple
    numpy_state: tuple
    rng_state: Optional[np.ndarray] = None
    population: Optional[tuple] = None       # pack() of the population, oldest first
    immigrants: Optional[tuple] = None       # pack() of the individuals to take in
    emigrants: Optional[tuple] = None        # pack() of copies of its best, best first
    best: Optional[tuple] = None             # pack() of its best individual
    counts: dict = dataclasses.field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    stats: dict = dataclasses.field(default_factory=dict)  # mean, stdev, best, last epoch


def new_island(number: int, group: int, seed: int, random_state: Optional[tuple] = None
               ) -> Island:
    """Island ``number`` of the experiment of ``seed``: Python's ``random`` in
    ``random_state`` (default: seeded by seed and number), numpy's seeded by both."""
    if random_state is None:
        random_state = random.Random("%d/%d" % (seed, number)).getstate()
    numpy_state = np.random.RandomState([seed % 2**32, seed >> 32, number]).get_state()
    return Island(number, group, random_state, numpy_state)


def epoch_limits(island: Island, population: int, migrate_every: Optional[int], islands: int,
                 budget, counts: dict, seconds: float) -> Tuple:
    """(max_individuals, max_train_steps, max_seconds) of the island's next
    ``eaRegularized`` call: ``migrate_every`` new individuals (None: no limit), and an
    equal share of what is left of the experiment's budget (``counts`` and ``seconds``
    are the experiment's so far).  The first call counts the initial population, later
    ones count it again without evaluating it."""
    share = math.inf
    if budget.max_individuals is not None:
        share = -(-(budget.max_individuals - counts["individuals"]) // islands)
    epoch = math.inf if migrate_every is None else migrate_every
    if island.population is None:
        individuals = min(population + epoch, share)
    else:
        individuals = population + min(epoch, share)
    steps = None
    if budget.max_train_steps is not None:
        steps = -(-(budget.max_train_steps - counts["train_steps"]) // islands)
    left = None if budget.max_seconds is None else budget.max_seconds - seconds
    return (None if individuals == math.inf else int(individuals), steps, left)


def run_epoch(toolbox, evaluator, island: Island, limits: Tuple, population_size: int,
              batch: int, migrants: int, progress_every: int, keep: bool = False
              ) -> Tuple[Island, List[dict]]:
    """One epoch of the island: take in its immigrants (in place of its oldest), run
    ``eaRegularized`` within ``limits`` (``epoch_limits``) with ``evaluator`` (the
    ``Evaluator`` under ``toolbox.evaluate``) drawing from the island's generator state,
    and return the new state and the epoch's logbook records, counted for the island.
    ``keep``: keep the individuals in this process for the next epoch, which then need
    not unpack them if it runs here on the returned state (the builtin ``map``)."""
    random.setstate(island.random_state)
    np.random.set_state(island.numpy_state)
    counts = island.counts
    if island.population is None:
        rng_state = np.array([random.randrange(SEED_RANGE)], np.uint64)
        population = toolbox.population(population_size)
        base = 0
    else:
        rng_state = island.rng_state.copy()
        population = _unpacked(island.population)
        if island.immigrants is not None:
            population = population[len(island.immigrants[1]):] + unpack(island.immigrants)
        base = counts["individuals"] - len(population)
    evaluator.rng_state[:] = rng_state   # in place: Hurdles' cheap part shares the array
    max_individuals, max_train_steps, max_seconds = limits
    population, logbook = eaRegularized(
        population, toolbox, batch=batch, max_individuals=max_individuals,
        max_train_steps=max_train_steps, max_seconds=max_seconds, stats=population_stats(),
        verbose=False, progress_every=progress_every)
    records = []
    for record in logbook[0 if island.population is None else 1:]:
        record = dict(record)
        record["individuals"] += base
        for key in ("train_steps", "evals", "cached", "elapsed"):
            record[key] += counts[key]
        record["elapsed"] = round(record["elapsed"], 3)
        records.append(record)
    last = dict(logbook[-1])
    new_counts = {key: counts[key] + last[key] for key in COUNTERS}
    new_counts["individuals"] = base + last["individuals"]
    new_counts["elapsed"] = round(new_counts["elapsed"], 3)
    fitness = [ind.fitness.values[0] for ind in population]
    best = max(range(len(population)), key=fitness.__getitem__)   # the oldest of equals
    emigrants = None
    if migrants:
        order = sorted(range(len(population)), key=fitness.__getitem__, reverse=True)
        emigrants = pack([population[i] for i in order[:migrants]])
    packed = pack(population)
    if keep:
        _UNPACKED[id(packed)] = packed, population
        while len(_UNPACKED) > _KEEP:
            _UNPACKED.popitem(last=False)
    new = dataclasses.replace(
        island, random_state=random.getstate(), numpy_state=np.random.get_state(),
        rng_state=evaluator.rng_state.copy(), population=packed, immigrants=None,
        emigrants=emigrants, best=pack([population[best]]), counts=new_counts,
        stats={key: last[key] for key in ("mean", "stdev", "best")})
    return new, records


def _unpacked(packed):
    """The individuals of a packed population: those it was packed from when this
    process packed and kept it (taken out: the epoch keeps its own), else ``unpack``'s;
    a new list either way."""
    kept = _UNPACKED.pop(id(packed), None)
    if kept is not None and kept[0] is packed:
        return list(kept[1])
    return unpack(packed)


def migrate(islands: List[Island], topology: str, rng: random.Random) -> None:
    """Give each island the emigrants of another as its immigrants: island i - 1's on a
    ``ring``; a uniformly drawn other island's (from ``rng``) with ``random``."""
    k = len(islands)
    if k < 2:
        return
    for i, island in enumerate(islands):
        if topology == "ring":
            source = (i - 1) % k
        else:
            source = rng.randrange(k - 1)
            source += source >= i
        island.immigrants = islands[source].emigrants


def merged_record(islands: List[Island], elapsed: float) -> dict:
    """One logbook record for all islands: summed counters, the elapsed time, and the
    mean, standard deviation and best of all populations together (equal sizes)."""
    record = {key: sum(island.counts[key] for island in islands) for key in COUNTERS}
    record["elapsed"] = round(elapsed, 3)
    means = np.array([island.stats["mean"] for island in islands])
    squares = np.array([island.stats["stdev"] ** 2 for island in islands]) + means ** 2
    mean = float(means.mean())
    record.update(mean=mean, stdev=math.sqrt(max(float(squares.mean()) - mean ** 2, 0.0)),
                  best=max(island.stats["best"] for island in islands))
    return record
