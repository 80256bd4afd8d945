"""FEC, the functional equivalence cache (docs/design.md, "FEC"), and its cache in worker
processes."""
import pickle
import random

import pytest

from azdeap import generator
from azdeap.algorithm import Algorithm
from azdeap.space import Memory
from azdeap.config import Config
from azdeap.fec import FEC
from azdeap.evaluator import Evaluation, Evaluator

N_TASKS, N_TRAIN = 4, 100   # the first 4 linear_tasks
MEMORY = Memory(6, 3, 1)    # the README regressor uses s0-s4; s5 is free for dead code

# The README regressor with dead code: s5 is written but never read.
README_DEAD = """\
def Setup():
  s2 = {lr}
  s5 = 0.5
def Predict():
  s1 = dot(v0, v1)
def Learn():
  s3 = s0 - s1
  s5 = s3 * s3
  s4 = s3 * s2
  v2 = s4 * v0
  v1 = v1 + v2"""


@pytest.fixture(scope="module")
def tasks(linear_tasks):
    return linear_tasks[:N_TASKS]


def with_dead_code(learning_rate=0.001):
    """The README regressor (``readme_regressor(learning_rate)``) with dead code."""
    return Algorithm.from_text(README_DEAD.format(lr=learning_rate))


def fec_of(tasks, **kwargs):
    return FEC(Evaluator(tasks, MEMORY), **kwargs)


def test_hit_returns_cached_fitness_and_probe_steps(tasks, readme_regressor):
    plain = Evaluator(tasks, MEMORY)(readme_regressor())
    fec = fec_of(tasks)
    first = fec(readme_regressor())
    assert isinstance(first, Evaluation) and not first.cached
    assert first[0] == plain[0]
    assert first.train_steps == 10 * N_TASKS + N_TRAIN * N_TASKS   # probe + full run
    second = fec(readme_regressor())
    assert second.cached
    assert second[0] == plain[0]
    assert second.train_steps == 10 * N_TASKS                      # the probe only
    assert fec.stats() == {"hits": 1, "misses": 1, "hit_rate": 0.5,
                           "saved_train_steps": N_TRAIN * N_TASKS}


def test_probe_sizes_are_configurable(tasks, readme_regressor):
    fec = fec_of(tasks, train=5, valid=3)
    assert fec(readme_regressor()).train_steps == 5 * N_TASKS + N_TRAIN * N_TASKS
    assert fec(readme_regressor()).train_steps == 5 * N_TASKS


def test_dead_code_is_a_hit(tasks, readme_regressor):
    fec = fec_of(tasks)
    base_fit = fec(readme_regressor())
    dead = with_dead_code()
    assert dead != readme_regressor() and dead.sizes != readme_regressor().sizes
    hit = fec(dead)
    assert hit.cached
    assert hit[0] == base_fit[0]
    # and the cached value is right: the dead code changes nothing
    assert Evaluator(tasks, MEMORY)(dead)[0] == base_fit[0]


def test_changed_constant_is_a_miss(tasks, readme_regressor):
    fec = fec_of(tasks)
    a = fec(readme_regressor(0.01))
    b = fec(readme_regressor(0.02))
    assert not a.cached and not b.cached
    assert a[0] != b[0]
    assert b[0] == Evaluator(tasks, MEMORY)(readme_regressor(0.02))[0]
    assert fec.stats()["misses"] == 2 and fec.stats()["hits"] == 0


def test_fec_equals_plain_evaluation_on_random_algorithms(tasks):
    """Deterministic ops (the demo's six): FEC gives the plain fitness, and the second
    evaluation of each algorithm is a hit with the same fitness."""
    space = Config().search_space()
    random.seed(2024)
    algorithms = [generator.initRandom(Algorithm, space) for _ in range(60)]
    plain = [e[0] for e in Evaluator(tasks, space.memory).evaluate_batch(algorithms)]
    for alg, expected in zip(algorithms, plain):
        fec = FEC(Evaluator(tasks, space.memory))   # fresh cache: the first is a miss
        first, second = fec(alg), fec(alg)
        assert not first.cached and second.cached
        assert first[0] == expected and second[0] == expected
        assert second.train_steps <= 10 * N_TASKS
        assert first.train_steps == second.train_steps + Evaluator(
            tasks, space.memory)(alg).train_steps
    # one shared cache, batched: misses equal the plain fitness, all repeats hit
    fec = FEC(Evaluator(tasks, space.memory))
    once = fec.evaluate_batch(algorithms)
    for result, expected in zip(once, plain):
        if not result.cached:
            assert result[0] == expected
    again = fec.evaluate_batch(algorithms)
    assert all(r.cached for r in again)
    assert [r[0] for r in again] == [r[0] for r in once]
    assert all(r.train_steps <= 10 * N_TASKS for r in again)
    stats = fec.stats()
    assert stats["hits"] + stats["misses"] == 120
    assert stats["misses"] == sum(not r.cached for r in once)


def test_lru_eviction(tasks, readme_regressor):
    a, b, c = readme_regressor(0.01), readme_regressor(0.02), readme_regressor(0.03)
    fec = fec_of(tasks, cache_size=2)
    fec(a), fec(b), fec(c)              # a is evicted
    assert len(fec.cache) == 2
    assert fec(b).cached and fec(c).cached
    assert not fec(a).cached            # re-inserted; evicts b (least recently used)
    assert fec(c).cached and fec(a).cached
    assert not fec(b).cached


def test_hit_refreshes_lru_position(tasks, readme_regressor):
    a, b, c = readme_regressor(0.01), readme_regressor(0.02), readme_regressor(0.03)
    fec = fec_of(tasks, cache_size=2)
    fec(a), fec(b)
    assert fec(a).cached                # a becomes most recent
    fec(c)                              # evicts b, not a
    assert fec(a).cached
    assert not fec(b).cached


def test_forget_every(tasks, readme_regressor):
    """count = 1 at insert, +1 per hit, erased when it reaches forget_every."""
    fec = fec_of(tasks, forget_every=3)
    alg = readme_regressor()
    assert not fec(alg).cached          # insert, count 1
    assert fec(alg).cached              # count 2
    assert fec(alg).cached              # count 3: returned, then erased
    assert not fec(alg).cached          # a fresh full evaluation
    assert fec(alg).cached
    assert fec.stats()["hits"] == 3 and fec.stats()["misses"] == 2


def test_forget_every_1_erases_at_first_hit(tasks, readme_regressor):
    fec = fec_of(tasks, forget_every=1)
    alg = readme_regressor()
    assert [fec(alg).cached for _ in range(4)] == [False, True, False, True]


@pytest.mark.parametrize("kwargs, error, words", [
    ({"train": 0}, ValueError, "train must be >= 1, got 0"),
    ({"train": 0, "valid": 0}, ValueError, "train must be >= 1, got 0"),
    ({"train": 1, "valid": 0}, ValueError, "train + valid must be >= 2 (a prediction after "
                                           "Learn must be hashed), got train=1, valid=0"),
    ({"valid": -1}, ValueError, "valid must be >= 0, got -1"),
    ({"cache_size": 0}, ValueError, "cache_size must be >= 1, got 0"),
    ({"forget_every": 0}, ValueError, "forget_every must be >= 1, got 0"),
    ({"train": 2.5}, TypeError, "train must be an integer, got 2.5"),
    ({"valid": "10"}, TypeError, "valid must be an integer, got '10'"),
    ({"cache_size": None}, TypeError, "cache_size must be an integer, got None"),
    ({"forget_every": True}, TypeError, "forget_every must be an integer, got True"),
])
def test_invalid_parameters(tasks, kwargs, error, words):
    with pytest.raises(error) as raised:
        FEC(Evaluator(tasks, MEMORY), **kwargs)
    assert str(raised.value) == "FEC: " + words


def test_evaluator_must_be_an_evaluator():
    with pytest.raises(TypeError, match=r"^FEC: evaluator must be an "
                                        r"azdeap.evaluator.Evaluator or a wrapper of one "
                                        r"\(evaluate_batch, an Evaluator as .evaluator\), "
                                        r"got str$"):
        FEC("evaluator")


@pytest.mark.parametrize("train, valid", [(0, 0), (0, 10), (1, 0)])
def test_a_fingerprint_blind_to_learn_is_refused(tasks, readme_regressor, train, valid):
    """Such a fingerprint hashes no prediction made after Learn ran: every algorithm that
    differs only in Learn would get the first one's cached fitness."""
    with pytest.raises(ValueError, match="^FEC: train"):
        fec_of(tasks, train=train, valid=valid)


@pytest.mark.parametrize("train, valid", [(1, 1), (2, 0)])
def test_the_smallest_fingerprints_see_learn(tasks, readme_regressor, train, valid):
    fec = fec_of(tasks, train=train, valid=valid)
    slow, fast = fec(readme_regressor(0.001)), fec(readme_regressor(0.1))
    assert not fast.cached and slow[0] != fast[0]


def test_stats_counts(tasks, readme_regressor):
    fec = fec_of(tasks)
    assert fec.stats() == {"hits": 0, "misses": 0, "hit_rate": 0.0, "saved_train_steps": 0}
    results = fec.evaluate_batch([readme_regressor(0.01), readme_regressor(0.02)])
    assert not any(r.cached for r in results)
    results = fec.evaluate_batch([readme_regressor(0.01), readme_regressor(0.02),
                                  readme_regressor(0.03), with_dead_code(0.01)])
    assert [r.cached for r in results] == [True, True, False, True]
    stats = fec.stats()
    assert stats["hits"] == 3 and stats["misses"] == 3
    assert stats["hit_rate"] == 0.5
    assert stats["saved_train_steps"] == 3 * N_TRAIN * N_TASKS
    assert fec.evaluate_batch([]) == []


def test_fec_pickle_round_trip(tasks, readme_regressor):
    fec = fec_of(tasks)
    expected = fec(readme_regressor())
    data = pickle.dumps(fec)
    copy = pickle.loads(data)
    assert copy is not fec
    assert len(copy.cache) == 0 and copy.stats()["misses"] == 0  # a worker starts empty
    first = copy(readme_regressor())
    assert not first.cached and first[0] == expected[0]
    assert copy(readme_regressor()).cached         # ...and caches what it sees
    assert len(pickle.dumps(fec)) == len(data)   # the cache never travels
    fresh = copy(readme_regressor(0.05))
    assert not fresh.cached
    assert fresh[0] == Evaluator(tasks, MEMORY)(readme_regressor(0.05))[0]


def test_process_local_unpickles_to_one_object(tasks, readme_regressor):
    fec = fec_of(tasks)
    data = pickle.dumps(fec)
    first = pickle.loads(data)
    second = pickle.loads(data)
    assert first is second               # one object per process
    assert first.evaluator is second.evaluator
    first(readme_regressor())                      # a worker evaluates a chunk...
    later = pickle.loads(data)           # ...and receives the FEC again with the next
    assert later is first
    assert later(readme_regressor()).cached        # the cache persisted in the worker
    assert later.stats()["hits"] == 1 and later.stats()["misses"] == 1
    # the original (in the "main process") is untouched
    assert fec.stats()["misses"] == 0


def test_repeats_in_one_batch_are_evaluated_once(tasks, readme_regressor):
    fec = fec_of(tasks)
    results = fec.evaluate_batch([readme_regressor(), readme_regressor(), readme_regressor(0.05)])
    assert [r.cached for r in results] == [False, True, False]
    assert results[0][0] == results[1][0] == Evaluator(tasks, MEMORY)(readme_regressor())[0]
    assert results[1].train_steps < results[0].train_steps
    assert fec.stats()["misses"] == 2 and fec.stats()["hits"] == 1
    assert fec(readme_regressor()).cached
