"""Selection and survivor policies (docs/design.md, "Search loop"): selAgingTournament,
replaceOldest, replaceWorst, and DEAP's own selectors plugged into eaRegularized."""
import copy
import itertools
import random

import numpy as np
import pytest
from deap import base, tools

from azdeap.algorithm import FitnessMax
from azdeap.evolution import eaRegularized
from azdeap.selection import (replaceOldest, replaceWorst, selAgingTournament,
                              selAgingTournamentBatch)


class Ind:
    """A minimal DEAP-style individual: a name and a maximized fitness."""

    def __init__(self, name, value=None):
        self.name = name
        self.fitness = FitnessMax()
        if value is not None:
            self.fitness.values = (value,)

    def __repr__(self):
        return "Ind(%r, %r)" % (self.name, self.fitness.values)


def population(values):
    return [Ind(i, v) for i, v in enumerate(values)]


def scripted(monkeypatch, draws):
    """Make random.random return the given values in order (then fail loudly)."""
    it = iter(draws)

    def fake():
        try:
            return next(it)
        except StopIteration:
            raise AssertionError("more random draws than scripted") from None
    monkeypatch.setattr(random, "random", fake)


# -- selAgingTournament -----------------------------------------------------------------
@pytest.mark.parametrize("k", [0, 1, 7, 25])
def test_tournament_returns_k(k):
    pop = population(range(5))
    random.seed(1)
    chosen = selAgingTournament(pop, k, tournsize=3)
    assert len(chosen) == k
    assert all(any(c is p for p in pop) for c in chosen)


def test_tournament_draws_with_replacement(monkeypatch):
    # Three draws of index 0 (the worst): only possible with replacement.
    pop = population([0.0, 1.0, 2.0])
    scripted(monkeypatch, [0.0, 0.0, 0.0])
    assert selAgingTournament(pop, 1, tournsize=3) == [pop[0]]


def test_tournament_picks_best_of_drawn(monkeypatch):
    pop = population([0.5, 0.9, 0.1, 0.7])
    # draws: indices 2, 3, 0 -> best of {0.1, 0.7, 0.5} is index 3 (not the global best 1)
    scripted(monkeypatch, [0.5, 0.75, 0.0])
    assert selAgingTournament(pop, 1, tournsize=3) == [pop[3]]


def test_tournament_ties_keep_first_drawn(monkeypatch):
    pop = population([1.0, 1.0, 1.0, 0.0])
    scripted(monkeypatch, [0.5, 0.0, 0.25, 0.75])   # indices 2, 0, 1, 3
    [chosen] = selAgingTournament(pop, 1, tournsize=4)
    assert chosen is pop[2]


def test_tournament_matches_oracle_with_seed():
    """Replay the seeded draws by hand: winner = first drawn among the best drawn."""
    values = [random.Random(3).choice([0.1, 0.2, 0.3]) for _ in range(17)]  # many ties
    pop = population(values)
    n, tournsize, k = len(pop), 4, 300
    random.seed(12345)
    chosen = selAgingTournament(pop, k, tournsize)
    random.seed(12345)
    for winner in chosen:
        drawn = [int(random.random() * n) for _ in range(tournsize)]
        best = max(values[i] for i in drawn)
        first_best = next(i for i in drawn if values[i] == best)
        assert winner is pop[first_best]


def test_tournament_size_p_statistics():
    """tournsize = P with replacement: P(best wins) = 1 - (1 - 1/P)^P (not 1, as without
    replacement); the winner is always among the good ones."""
    p, trials = 10, 20000
    pop = population([float(i) for i in range(p)])  # pop[-1] is the best
    random.seed(7)
    chosen = selAgingTournament(pop, trials, tournsize=p)
    best_rate = sum(c is pop[-1] for c in chosen) / trials
    expected = 1 - (1 - 1 / p) ** p                 # 0.651
    assert abs(best_rate - expected) < 0.02
    # P(winner is in the worst half) = 0.5^P ~ 0.001
    assert sum(c.fitness.values[0] < p / 2 for c in chosen) / trials < 0.005
    # a huge tournament: the best nearly always wins
    chosen = selAgingTournament(pop, 2000, tournsize=20 * p)
    assert sum(c is pop[-1] for c in chosen) / 2000 > 0.99


def test_tournament_size_1_is_uniform():
    p, trials = 8, 16000
    pop = population([float(i) for i in range(p)])
    random.seed(11)
    chosen = selAgingTournament(pop, trials, tournsize=1)
    counts = [sum(c is ind for c in chosen) for ind in pop]
    expected = trials / p
    chi2 = sum((c - expected) ** 2 / expected for c in counts)
    assert chi2 < 24.3   # chi-square, 7 degrees of freedom, p = 0.001


# -- selAgingTournamentBatch ------------------------------------------------------------
def winners(pop, k, tournsize, batch):
    """The indices of k tournament winners, by selAgingTournament or its batch form."""
    if batch:
        values = np.array([ind.fitness.wvalues for ind in pop])
        return selAgingTournamentBatch(values, k, tournsize).tolist()
    position = {id(ind): i for i, ind in enumerate(pop)}
    return [position[id(ind)] for ind in selAgingTournament(pop, k, tournsize)]


@pytest.mark.parametrize("batch", [False, True], ids=["one", "batch"])
@pytest.mark.parametrize("tournsize", [1, 3, 10])
def test_tournament_winner_distribution_is_exact(tournsize, batch, stat):
    """Distinct values 0..n-1 shuffled: the winner is value r with probability
    ((r + 1)^t - r^t) / n^t (the best of t draws with replacement)."""
    n, trials = 12, 30000
    values = list(range(n))
    random.Random(5).shuffle(values)
    pop = population(values)
    random.seed(13)
    counts = np.bincount([values[i] for i in winners(pop, trials, tournsize, batch)],
                         minlength=n)
    r = np.arange(n)
    expected = trials * ((r + 1.0) ** tournsize - r ** tournsize) / n ** tournsize
    keep = expected >= 5
    observed = np.append(counts[keep], counts[~keep].sum())
    expected = np.append(expected[keep], expected[~keep].sum())
    observed, expected = observed[expected > 0], expected[expected > 0]
    assert stat.fits(observed, expected), (observed, expected)


def test_batch_tournament_compares_objectives_as_tuples():
    values = np.array([[1.0, 0.0], [1.0, 5.0], [0.0, 9.0], [1.0, 5.0]])
    random.seed(14)
    chosen = selAgingTournamentBatch(values, 500, tournsize=40)
    assert set(chosen.tolist()) <= {1, 3}           # (1, 5) beats (1, 0) and (0, 9)
    assert set(selAgingTournamentBatch(values[:, 0], 500, 40).tolist()) <= {0, 1, 3}


def test_batch_tournament_seeded_and_checked():
    values = np.arange(50.0)
    random.seed(15)
    first = selAgingTournamentBatch(values, 40, 3)
    random.seed(15)
    assert np.array_equal(first, selAgingTournamentBatch(values, 40, 3))
    assert first.dtype == np.int64 and len(first) == 40 and 0 <= first.min() <= first.max() < 50
    assert len(selAgingTournamentBatch(values, 0, 3)) == 0
    with pytest.raises(ValueError, match="empty"):
        selAgingTournamentBatch(np.zeros((0, 1)), 1, 3)


# -- survivor policies ------------------------------------------------------------------
def test_replace_oldest_removes_front_and_appends():
    pop = population([5.0, 1.0, 3.0, 4.0])
    a, b, c, d = pop
    x, y = Ind("x", 0.0), Ind("y", 9.0)
    same_list = pop
    replaceOldest(pop, [x, y])
    assert pop is same_list
    assert pop == [c, d, x, y]   # the oldest two left, whatever their fitness


def test_replace_oldest_more_offspring_than_population():
    pop = population([1.0, 2.0, 3.0])
    offspring = [Ind("child%d" % i, 0.0) for i in range(5)]
    replaceOldest(pop, offspring)
    assert pop == offspring[-3:]   # the size is kept; the newest children stay


def test_replace_worst_removes_worst_keeps_age_order():
    pop = population([3.0, 1.0, 4.0, 1.0, 5.0])
    a, b, c, d, e = pop
    x, y = Ind("x", 2.0), Ind("y", 0.0)
    same_list = pop
    replaceWorst(pop, [x, y])
    assert pop is same_list
    # worst: y (0.0), then b and d tie at 1.0 -> the oldest (b) leaves
    assert pop == [a, c, d, e, x]


def test_replace_worst_keeps_good_children_at_end():
    pop = population([1.0, 2.0, 3.0])
    x, y = Ind("x", 10.0), Ind("y", 20.0)
    replaceWorst(pop, [x, y])
    assert [i.fitness.values[0] for i in pop] == [3.0, 10.0, 20.0]


# -- DEAP selectors with eaRegularized ---------------------------------------------------
class Genome(list):
    def __init__(self, values, born):
        super().__init__(values)
        self.born = born
        self.fitness = FitnessMax()


def toy_toolbox():
    births = itertools.count(1000)
    toolbox = base.Toolbox()
    toolbox.register("clone", copy.deepcopy)

    def mutate(ind):
        ind[0] += random.gauss(0.0, 1.0)
        ind.born = next(births)
        del ind.fitness.values
        return ind,
    toolbox.register("mutate", mutate)
    toolbox.register("evaluate", lambda ind: (-(ind[0] - 3.0) ** 2,))
    return toolbox


SELECTORS = {
    "selTournament": (tools.selTournament, {"tournsize": 3}),
    "selBest": (tools.selBest, {}),
    "selRandom": (tools.selRandom, {}),
    "selAgingTournament": (selAgingTournament, {"tournsize": 3}),
}


@pytest.mark.parametrize("name", sorted(SELECTORS))
@pytest.mark.parametrize("replace", [None, replaceWorst])
def test_selectors_plug_into_eaRegularized(name, replace):
    function, kwargs = SELECTORS[name]
    toolbox = toy_toolbox()
    calls = []

    def select(individuals, k):
        calls.append(k)
        return function(individuals, k, **kwargs)
    toolbox.register("select", select)
    if replace is not None:
        toolbox.register("replace", replace)
    random.seed(5)
    pop = [Genome([random.uniform(-10, 10)], born=i) for i in range(20)]
    hof = tools.HallOfFame(1)
    pop, logbook = eaRegularized(pop, toolbox, batch=4, max_individuals=400,
                                 halloffame=hof, verbose=False)
    assert len(pop) == 20
    assert calls and set(calls) == {4}
    assert all(ind.fitness.valid for ind in pop)
    assert logbook[-1]["individuals"] == 400
    if replace is None:   # aging: strictly age-ordered, children at the end
        born = [ind.born for ind in pop]
        assert born == sorted(born) and min(born) >= 1000
    else:                 # kill the worst: elitist, the best ever survives
        assert max(ind.fitness.values[0] for ind in pop) == hof[0].fitness.values[0]
        born = [ind.born for ind in pop]
        assert born == sorted(born)
    if name == "selBest" and replace is replaceWorst:
        assert hof[0].fitness.values[0] > -0.01   # greedy hill-climbing reaches x ~ 3
