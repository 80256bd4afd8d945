"""FEC, the functional equivalence cache (docs/design.md, "FEC"), and its cache in worker
processes."""
import pickle
import random

import numpy as np
import pytest

from azdeap import generator
from azdeap.algorithm import Algorithm
from azdeap.space import Memory
from azdeap.config import Config
from azdeap.fec import FEC, FINGERPRINT_SEED
from azdeap.reference import LINEAR_REGRESSOR
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


def with_swapped_operands(learning_rate=0.001):
    """The README regressor with ``s4 = s2 * s3``: other live code, the same behaviour."""
    text = LINEAR_REGRESSOR.format(learning_rate=repr(float(learning_rate)))
    return Algorithm.from_text(text.replace("s4 = s3 * s2", "s4 = s2 * s3"))


def fec_of(tasks, prune=True, **kwargs):
    """An FEC around an Evaluator on tasks; looking up pruned forms when it prunes."""
    return FEC(Evaluator(tasks, MEMORY, prune=prune), by_form=prune, **kwargs)


@pytest.fixture(params=[True, False], ids=["pruning", "not pruning"])
def prune(request):
    """Whether the FEC's evaluator prunes (then ``fec_of`` looks up pruned forms first)."""
    return request.param


def probe_steps(tasks, algorithm):
    """The train steps of algorithm's fingerprint run."""
    return int(Evaluator(tasks, MEMORY).task_fitnesses(
        [algorithm], 10, 10, fingerprint=True, rng_reseed=FINGERPRINT_SEED)[1][0])


def test_hit_returns_cached_fitness_and_probe_steps(tasks, readme_regressor, prune):
    """A hit by the pruned form runs nothing, by the fingerprint the probe: both are
    charged the fingerprint run's train steps (the original's budget)."""
    plain = Evaluator(tasks, MEMORY)(readme_regressor())
    fec = fec_of(tasks, prune)
    first = fec(readme_regressor())
    assert isinstance(first, Evaluation) and not first.cached
    assert first[0] == plain[0]
    assert first.train_steps == 10 * N_TASKS + N_TRAIN * N_TASKS   # probe + full run
    second = fec(readme_regressor())
    assert second.cached
    assert second[0] == plain[0]
    assert second.train_steps == 10 * N_TASKS   # by form or by the probe: the same charge
    assert fec.stats() == {"hits": 1, "form_hits": int(prune), "misses": 1, "hit_rate": 0.5,
                           "saved_train_steps": N_TRAIN * N_TASKS}
    third = fec(with_swapped_operands())                          # a fingerprint hit
    assert third.cached and third[0] == plain[0] and third.train_steps == 10 * N_TASKS
    assert fec.stats()["form_hits"] == int(prune)


def test_probe_sizes_are_configurable(tasks, readme_regressor, prune):
    fec = fec_of(tasks, prune, train=5, valid=3)
    assert fec(readme_regressor()).train_steps == 5 * N_TASKS + N_TRAIN * N_TASKS
    assert fec(with_swapped_operands()).train_steps == 5 * N_TASKS


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


def test_fec_equals_plain_evaluation_on_random_algorithms(tasks, prune):
    """Deterministic ops (the demo's six): FEC gives the plain fitness, and the second
    evaluation of each algorithm is a hit with the same fitness."""
    space = Config().search_space()
    random.seed(2024)
    algorithms = [generator.initRandom(Algorithm, space) for _ in range(60)]
    plain = [e[0] for e in Evaluator(tasks, space.memory).evaluate_batch(algorithms)]
    for alg, expected in zip(algorithms, plain):
        fec = FEC(Evaluator(tasks, space.memory, prune=prune), by_form=prune)  # fresh: a miss first
        first, second = fec(alg), fec(alg)
        assert not first.cached and second.cached
        assert first[0] == expected and second[0] == expected
        probe = probe_steps(tasks, alg)
        assert second.train_steps == probe
        assert first.train_steps == probe + Evaluator(tasks, space.memory)(alg).train_steps
    # one shared cache, batched: misses equal the plain fitness, all repeats hit
    fec = FEC(Evaluator(tasks, space.memory, prune=prune), by_form=prune)
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
    assert stats["form_hits"] == (60 if prune else 0)   # the second batch: all by form
    assert stats["misses"] == sum(not r.cached for r in once)


def test_lru_eviction(tasks, readme_regressor, prune):
    a, b, c = readme_regressor(0.01), readme_regressor(0.02), readme_regressor(0.03)
    fec = fec_of(tasks, prune, cache_size=2)
    fec(a), fec(b), fec(c)              # a is evicted
    assert len(fec.cache) == 2
    assert fec(b).cached and fec(c).cached
    assert not fec(a).cached            # re-inserted; evicts b (least recently used)
    assert fec(c).cached and fec(a).cached
    assert not fec(b).cached


def test_hit_refreshes_lru_position(tasks, readme_regressor, prune):
    a, b, c = readme_regressor(0.01), readme_regressor(0.02), readme_regressor(0.03)
    fec = fec_of(tasks, prune, cache_size=2)
    fec(a), fec(b)
    assert fec(a).cached                # a becomes most recent
    fec(c)                              # evicts b, not a
    assert fec(a).cached
    assert not fec(b).cached


def test_forget_every(tasks, readme_regressor, prune):
    """count = 1 at insert, +1 per hit, erased when it reaches forget_every."""
    fec = fec_of(tasks, prune, forget_every=3)
    alg = readme_regressor()
    assert not fec(alg).cached          # insert, count 1
    assert fec(alg).cached              # count 2
    assert fec(alg).cached              # count 3: returned, then erased
    assert not fec(alg).cached          # a fresh full evaluation
    assert fec(alg).cached
    assert fec.stats()["hits"] == 3 and fec.stats()["misses"] == 2


def test_forget_every_1_erases_at_first_hit(tasks, readme_regressor, prune):
    fec = fec_of(tasks, prune, forget_every=1)
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
                                        r"\(evaluate_programs, an Evaluator as .evaluator\), "
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


def test_stats_counts(tasks, readme_regressor, prune):
    fec = fec_of(tasks, prune)
    assert fec.stats() == {"hits": 0, "form_hits": 0, "misses": 0, "hit_rate": 0.0,
                           "saved_train_steps": 0}
    results = fec.evaluate_batch([readme_regressor(0.01), readme_regressor(0.02)])
    assert not any(r.cached for r in results)
    results = fec.evaluate_batch([readme_regressor(0.01), readme_regressor(0.02),
                                  readme_regressor(0.03), with_dead_code(0.01)])
    assert [r.cached for r in results] == [True, True, False, True]
    stats = fec.stats()
    assert stats["hits"] == 3 and stats["misses"] == 3
    assert stats["form_hits"] == (3 if prune else 0)
    assert stats["hit_rate"] == 0.5
    assert stats["saved_train_steps"] == 3 * N_TRAIN * N_TASKS
    assert fec.evaluate_batch([]) == []


def test_fec_pickle_round_trip(tasks, readme_regressor):
    fec = fec_of(tasks)
    expected = fec(readme_regressor())
    data = pickle.dumps(fec)
    copy = pickle.loads(data)
    assert copy is not fec
    assert len(copy.cache) == len(copy.forms) == 0 and copy.stats()["misses"] == 0  # empty
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


def test_repeats_in_one_batch_are_evaluated_once(tasks, readme_regressor, prune):
    fec = fec_of(tasks, prune)
    results = fec.evaluate_batch([readme_regressor(), readme_regressor(), readme_regressor(0.05)])
    assert [r.cached for r in results] == [False, True, False]
    assert results[0][0] == results[1][0] == Evaluator(tasks, MEMORY)(readme_regressor())[0]
    assert results[1].train_steps < results[0].train_steps
    assert fec.stats()["misses"] == 2 and fec.stats()["hits"] == 1
    assert fec(readme_regressor()).cached


# -- pruned forms --------------------------------------------------------------------

def test_dead_code_is_answered_by_the_pruned_form_without_a_probe(tasks, readme_regressor,
                                                                  monkeypatch):
    fec = fec_of(tasks)
    base = fec(readme_regressor())
    runs = []
    task_fitnesses = fec.evaluator.task_fitnesses
    monkeypatch.setattr(fec.evaluator, "task_fitnesses",
                        lambda *a, **k: runs.append(a) or task_fitnesses(*a, **k))
    hit = fec(with_dead_code())
    assert hit.cached and hit[0] == base[0] and hit.train_steps == 10 * N_TASKS
    assert runs == [] and fec.stats()["form_hits"] == 1
    fec.evaluator.prune = False        # without pruning the same algorithm is probed
    assert fec(with_dead_code()).cached and len(runs) == 1
    assert fec.stats()["form_hits"] == 1


def test_a_fingerprint_hit_remembers_the_form(tasks, readme_regressor):
    fec = fec_of(tasks)
    fec(readme_regressor())
    assert fec(with_swapped_operands()).cached                       # probed
    assert fec.stats()["form_hits"] == 0
    assert fec(with_swapped_operands()).train_steps == 10 * N_TASKS   # by its form
    assert fec.stats()["form_hits"] == 1 and fec.stats()["hits"] == 2


def test_both_keys_count_uses_of_one_entry(tasks, readme_regressor):
    """forget_every counts hits by form and by fingerprint together; once the entry is
    forgotten, its forms answer no more."""
    fec = fec_of(tasks, forget_every=3)
    assert not fec(readme_regressor()).cached     # insert: 1 use
    assert fec(with_dead_code()).cached           # by form: 2
    assert fec(with_swapped_operands()).cached    # by fingerprint: 3, then forgotten
    assert not fec(with_dead_code()).cached       # measured again
    assert fec(readme_regressor()).cached         # the new entry's form
    assert fec.stats() == {"hits": 3, "form_hits": 2, "misses": 2, "hit_rate": 0.6,
                           "saved_train_steps": 3 * N_TRAIN * N_TASKS}


def test_an_evicted_entry_answers_by_no_key(tasks, readme_regressor):
    a, b = readme_regressor(0.01), readme_regressor(0.02)
    fec = fec_of(tasks, cache_size=1)
    fec(a), fec(b)                                # a is evicted, with its form
    assert len(fec.cache) == 1 and len(fec.forms) == 1
    assert not fec(a).cached
    assert fec(a).cached and fec.stats()["form_hits"] == 1


def test_a_hit_by_form_refreshes_the_lru_position(tasks, readme_regressor):
    a, b, c = readme_regressor(0.01), readme_regressor(0.02), readme_regressor(0.03)
    fec = fec_of(tasks, cache_size=2)
    fec(a), fec(b)
    assert fec(with_dead_code(0.01)).cached             # a by form: a becomes most recent
    assert fec.stats()["form_hits"] == 1
    fec(c)                                              # evicts b, not a
    assert fec(a).cached and not fec(b).cached


def test_a_bad_algorithm_is_named_by_its_place_in_the_batch(tasks, readme_regressor):
    fec = fec_of(tasks)
    fec(readme_regressor())
    bad = Algorithm.from_text("def Setup():\n  s9 = 0.5\ndef Predict():\ndef Learn():")
    with pytest.raises(ValueError, match="^algorithm 1: address out of range"):
        fec.evaluate_batch([readme_regressor(), bad])



def test_the_form_includes_the_component_sizes(tasks):
    """The same rows split otherwise between Setup and Predict: another form (here the
    same behaviour, so the fingerprint hits)."""
    fec = fec_of(tasks)
    in_setup = Algorithm.from_text("def Setup():\n  s2 = 0.5\ndef Predict():\n"
                                   "  s1 = s2 * s2\ndef Learn():")
    in_predict = Algorithm.from_text("def Setup():\ndef Predict():\n  s2 = 0.5\n"
                                     "  s1 = s2 * s2\ndef Learn():")
    assert np.array_equal(in_setup.code, in_predict.code)
    fec(in_setup)
    hit = fec(in_predict)
    assert hit.cached and hit.train_steps == 10 * N_TASKS
    assert fec.stats()["form_hits"] == 0


def test_by_form_is_off_by_default_and_pruned_probes_are_not_pruned_again(
        tasks, readme_regressor, monkeypatch):
    fec = FEC(Evaluator(tasks, MEMORY))
    fec(readme_regressor())
    assert fec(with_dead_code()).cached and fec.stats()["form_hits"] == 0   # by fingerprint
    import azdeap.evaluator as evaluator_module
    calls = []
    real = evaluator_module._prune
    monkeypatch.setattr(evaluator_module, "_prune",
                        lambda *a, **k: calls.append(a[2]) or real(*a, **k))
    by_form = fec_of(tasks)           # the FEC prunes (reseeded); the probe does not prune
    by_form.evaluate_batch([readme_regressor(0.02), readme_regressor(0.03)])
    assert calls == [True]            # again, nor the full run (no random ops: the same form)
    with pytest.raises(TypeError, match="^FEC: by_form must be True or False, got 1$"):
        FEC(Evaluator(tasks, MEMORY), by_form=1)
