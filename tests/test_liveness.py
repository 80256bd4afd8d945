"""Live code (docs/design.md, "Live code"): hand-written listings whose pruned form is
known, and random programs over all 65 ops that run the same pruned as in full, bit for
bit (fitness, fingerprints, train steps, predictions, the random ops' stream)."""
import numpy as np
import pytest

import azdeap.liveness
from azdeap import interpreter, ops
from azdeap.algorithm import Algorithm, Individual
from azdeap.evaluator import Evaluator
from azdeap.liveness import prune, prune_programs
from azdeap.programs import Programs
from azdeap.space import Memory
from azdeap.tasks import Task, TaskBatch, make_tasks

MEMORY = Memory(4, 3, 2)   # small, so that random programs read what they wrote


def listing(setup, predict, learn):
    """An algorithm from its three components, instructions separated by ';'."""
    def block(lines):
        return "".join("\n  " + line.strip() for line in lines.split(";") if line.strip())
    return Algorithm.from_text("def Setup():%s\ndef Predict():%s\ndef Learn():%s"
                               % (block(setup), block(predict), block(learn)))


# -- hand-written listings -------------------------------------------------------------

KNOWN = {
    "dead stores": (
        ("s2 = 0.001; s5 = 0.5", "s1 = dot(v0, v1)",
         "s3 = s0 - s1; s5 = s3 * s3; s4 = s3 * s2; v2 = s4 * v0; v1 = v1 + v2"),
        ("s2 = 0.001", "s1 = dot(v0, v1)", "s3 = s0 - s1; s4 = s3 * s2; v2 = s4 * v0; "
                                           "v1 = v1 + v2")),
    # s3 feeds only itself from one example to the next: a cycle keeps nothing alive
    "a dead accumulator": (
        ("s2 = 0.5", "s1 = dot(v0, v1)", "s3 = s3 + s0; v1 = s2 * v0"),
        ("s2 = 0.5", "s1 = dot(v0, v1)", "v1 = s2 * v0")),
    # Predict's s3 is read by Learn, Learn's s2 by the next Predict; Learn's own s3 is
    # overwritten by Predict before anyone reads it, and so is Setup's
    "values carried across examples": (
        ("s2 = 0.1; s3 = 7.0", "s1 = s2 * s0; s3 = norm(v0)", "s2 = s2 + s3; s3 = s0 * s0"),
        ("s2 = 0.1", "s1 = s2 * s0; s3 = norm(v0)", "s2 = s2 + s3")),
    # the runner writes v0 and s0 before every Predict and Learn: earlier writes are dead
    "the runner's writes": (
        ("v0 = bcast(s2); s0 = 1.0; s2 = 0.5", "v0 = s2 * v0; s1 = dot(v0, v0); s0 = s2 * s1",
         "v0 = s0 * v0; s2 = s0 + s2"),
        ("s2 = 0.5", "v0 = s2 * v0; s1 = dot(v0, v0)", "s2 = s0 + s2")),
    # setting one entry keeps the other entries: the broadcast before it stays live
    "one-entry writes": (
        ("s2 = 0.3; v1 = bcast(s2); v1[0.5] = 2.0; v2 = bcast(s2); v2 = abs(v1); "
         "m0[0.25, 0.75] = 1.5", "s1 = dot(v0, v2)", ""),
        ("s2 = 0.3; v1 = bcast(s2); v1[0.5] = 2.0; v2 = abs(v1)", "s1 = dot(v0, v2)", "")),
    "no-ops and an empty Predict": (
        ("NoOp(); s1 = 0.5; s2 = 0.25", "NoOp()", "NoOp(); s2 = s1 * s1"),
        ("s1 = 0.5", "", "")),
    # s1 written in Learn is what the next Predict returns
    "a prediction made in Learn": (
        ("", "s2 = s1 + s1", "s1 = dot(v0, v1); v1 = s0 * v0"),
        ("", "", "s1 = dot(v0, v1); v1 = s0 * v0")),
}


@pytest.mark.parametrize("name", list(KNOWN))
def test_known_pruned_forms(name):
    full, pruned = (listing(*parts) for parts in KNOWN[name])
    assert prune(full) == pruned
    assert prune(pruned) == pruned


def test_random_ops_keep_the_stream_when_one_is_live():
    """A dead random op stays when a live one draws after it (its draws shift the live
    one's numbers), in both modes; with no live random op, only a reseeded run drops it
    (a shared stream would shift for the programs after it)."""
    live_random = listing("s2 = uniform(0.0, 1.0); s3 = gaussian(0.0, 1.0)",
                          "s1 = dot(v0, v1)", "v1 = s3 * v0")
    assert prune(live_random) == live_random
    assert prune(live_random, reseeded=True) == live_random
    dead_random = listing("s2 = uniform(0.0, 1.0); s3 = 0.5", "s1 = dot(v0, v1)",
                          "v1 = s3 * v0; v2 = gaussian(0.0, 1.0, n_features)")
    assert prune(dead_random) == listing("s2 = uniform(0.0, 1.0); s3 = 0.5",
                                         "s1 = dot(v0, v1)",
                                         "v1 = s3 * v0; v2 = gaussian(0.0, 1.0, n_features)")
    assert prune(dead_random, reseeded=True) == listing("s3 = 0.5", "s1 = dot(v0, v1)",
                                                        "v1 = s3 * v0")
    # without exact draws only the live random ops stay, whatever the stream
    for reseeded in (False, True):
        assert prune(live_random, reseeded=reseeded, exact_draws=False) == listing(
            "s3 = gaussian(0.0, 1.0)", "s1 = dot(v0, v1)", "v1 = s3 * v0")


def test_the_rule_for_random_ops_is_needed_on_a_shared_stream():
    """Dropping a program's dead random ops shifts the stream of the next program: the
    reseeded form is only right when every program restarts the stream."""
    dead = listing("s2 = uniform(0.0, 1.0)", "s1 = dot(v0, v1)", "v1 = s0 * v0")
    live = listing("s2 = uniform(-1.0, 1.0)", "s1 = dot(v0, v1); s1 = s1 + s2",
                   "v1 = s0 * v0")
    batch = TaskBatch(make_tasks("linear", 1, 4, 10, 10))
    full = Programs.stack([dead, live])

    def fitness(programs, reseed):
        return interpreter.run(programs, batch, memory=MEMORY, rng_reseed=reseed,
                               rng_state=np.ones(1, np.uint64)).fitness
    kept, dropped = prune_programs(full, MEMORY), prune_programs(full, MEMORY, reseeded=True)
    assert kept.sizes[0].sum() == 3 and dropped.sizes[0].sum() == 2
    assert fitness(kept, -1).tobytes() == fitness(full, -1).tobytes()
    assert fitness(dropped, -1)[1] != fitness(full, -1)[1]
    assert fitness(dropped, 5).tobytes() == fitness(full, 5).tobytes()


def test_prune_keeps_the_type_and_fitness():
    full = Individual.from_text(str(listing(*KNOWN["dead stores"][0])))
    full.fitness.values = (0.5,)
    pruned = prune(full)
    assert type(pruned) is Individual and pruned.fitness.values == (0.5,)
    assert pruned.sizes == (1, 1, 4) and full.sizes == (2, 1, 5)
    assert pruned.code.flags.owndata and pruned.data.flags.owndata


# -- programs the interpreter refuses, and bad arguments --------------------------------

def test_a_program_outside_the_memory_is_kept_whole():
    """so that the interpreter still reports it (an Evaluator raises ValueError)."""
    bad = listing("s2 = 0.5; s9 = 1.0", "s1 = dot(v0, v1)", "")
    good = listing("s2 = 0.5; s3 = 1.0", "s1 = dot(v0, v1)", "")
    pruned = prune_programs([good, bad], MEMORY)
    assert pruned[0] == listing("", "s1 = dot(v0, v1)", "")
    assert pruned[1] == bad
    with pytest.raises(ValueError, match="^algorithm 1: address out of range"):
        Evaluator(make_tasks("linear", 1, 4, 5, 5), MEMORY).evaluate_batch([good, bad])
    with pytest.raises(ValueError, match=r"^address out of range for the memory \(memory 4 "):
        prune(bad, MEMORY)


def test_bad_index_fractions_and_op_codes_are_kept_whole():
    alg = listing("v1[0.5] = 1.0", "s1 = dot(v0, v0)", "")
    assert prune(alg, MEMORY).sizes == (0, 1, 0)
    alg.data[0, 0] = 1.5
    assert prune_programs([alg], MEMORY).sizes.tolist() == [[1, 1, 0]]
    with pytest.raises(ValueError, match="^index fraction outside"):
        prune(alg, MEMORY)
    unknown = Programs.stack([listing("s2 = 0.5", "s1 = dot(v0, v0)", "")])
    unknown.code[0, 0] = 99
    assert prune_programs(unknown, MEMORY).sizes.tolist() == [[1, 1, 0]]


@pytest.mark.parametrize("call, error, message", [
    (lambda: prune("s1 = 1", MEMORY), TypeError,
     "algorithm must be an azdeap.algorithm.Algorithm, got str"),
    (lambda: prune(Algorithm(), MEMORY, reseeded=1), TypeError,
     "reseeded must be True or False, got 1"),
    (lambda: prune(Algorithm(), MEMORY, exact_draws=None), TypeError,
     "exact_draws must be True or False, got None"),
    (lambda: prune_programs([Algorithm()], (1, 1, 0)), ValueError, "scalars"),
    (lambda: prune_programs([Algorithm()], MEMORY, reseeded="yes"), TypeError,
     "reseeded must be True or False, got 'yes'"),
    (lambda: prune_programs(["x"], MEMORY), TypeError, r"algorithms\[0\] must be"),
])
def test_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()


# -- random programs over all 65 ops: pruned == full, bit for bit ------------------------

def random_program(rng, sizes, memory=MEMORY):
    """An algorithm of random instructions over all 65 ops, any address (s0 and v0 as
    outputs too), constants in (-1, 1), index fractions in [0, 1)."""
    n = sum(sizes)
    code = np.zeros((n, 4), np.int32)
    data = np.zeros((n, 3))
    for k in range(n):
        op = int(rng.integers(ops.NUM_OPS))
        code[k, 0] = op
        for column, kinds in ((1, ops.IN1_KIND), (2, ops.IN2_KIND), (3, ops.OUT_KIND)):
            if kinds[op] >= 0:
                code[k, column] = rng.integers(memory[kinds[op]])
        n_data, n_indices = ops.N_DATA[op], interpreter.N_INDICES[op]
        data[k, :n_data] = rng.uniform(-1.0, 1.0, n_data)
        data[k, :n_indices] = rng.uniform(0.0, 1.0, n_indices)
    return Algorithm(code, data, sizes)


def random_programs(seed, count=300):
    rng = np.random.default_rng(seed)
    return [random_program(rng, tuple(int(s) for s in rng.integers(0, 9, 3)))
            for _ in range(count)]


def classification_tasks(count, n_features, n_train, n_valid, seed=3):
    rng = np.random.default_rng(seed)
    return [Task("c%d" % i, rng.normal(size=(n_train, n_features)),
                 rng.integers(0, 2, n_train).astype(float),
                 rng.normal(size=(n_valid, n_features)),
                 rng.integers(0, 2, n_valid).astype(float), classification=True)
            for i in range(count)]


def multiclass_tasks(count, n_features, n_train, n_valid, n_classes=3, seed=4):
    rng = np.random.default_rng(seed)
    return [Task("m%d" % i, rng.normal(size=(n_train, n_features)),
                 rng.integers(0, n_classes, n_train).astype(float),
                 rng.normal(size=(n_valid, n_features)),
                 rng.integers(0, n_classes, n_valid).astype(float), n_classes=n_classes)
            for i in range(count)]


TASK_BATCHES = {
    "one linear task": lambda: make_tasks("linear", 1, 4, 12, 8),
    "three linear tasks": lambda: make_tasks("linear", 3, 3, 12, 8),
    "classification and regression": lambda: (classification_tasks(2, 4, 12, 8)
                                              + make_tasks("linear", 1, 4, 12, 8)),
    "one multi-class task": lambda: multiclass_tasks(1, 4, 12, 8),
    "multi-class, binary and regression": lambda: (multiclass_tasks(2, 4, 12, 8, 4)
                                                   + classification_tasks(1, 4, 12, 8)
                                                   + make_tasks("linear", 1, 4, 12, 8)),
}


def run_both(programs, batch, reseed, max_abs_error):
    """The RunResults and final generator states of programs in full and pruned."""
    pruned = prune_programs(programs, MEMORY, reseeded=reseed >= 0, multiclass=batch.multiclass)
    runs = []
    for each in (programs, pruned):
        state = np.array([123456789], np.uint64)
        runs.append((interpreter.run(each, batch, memory=MEMORY, rng_state=state,
                                     rng_reseed=reseed, fingerprint=True,
                                     max_abs_error=max_abs_error, record_predictions=True),
                     state))
    return runs, pruned


@pytest.mark.parametrize("tasks", list(TASK_BATCHES))
@pytest.mark.parametrize("reseed", [-1, 11])
@pytest.mark.parametrize("max_abs_error", [100.0, np.inf])
def test_random_programs_run_the_same_pruned(tasks, reseed, max_abs_error):
    algorithms = random_programs(seed=12 + reseed)
    programs = Programs.stack(algorithms)
    batch = TaskBatch(TASK_BATCHES[tasks]())
    ((full, full_state), (pruned, pruned_state)), pruned_programs = run_both(
        programs, batch, reseed, max_abs_error)
    assert full.fitness.tobytes() == pruned.fitness.tobytes()
    assert np.array_equal(full.hashes, pruned.hashes)
    assert np.array_equal(full.train_steps, pruned.train_steps)
    assert np.array_equal(full.status, pruned.status)
    assert full.predictions.tobytes() == pruned.predictions.tobytes()
    assert full_state == pruned_state
    # not vacuous: code was dropped, programs ran to the end, random ops drew
    assert pruned_programs.sizes.sum() < 0.7 * programs.sizes.sum()
    assert np.count_nonzero(full.train_steps == batch.n_tasks * batch.n_train) > 10
    # a multi-class accuracy takes few values: there, the fingerprints (which hash every
    # probability) show that the programs' predictions differ
    assert len(set(full.fitness.ravel().tolist())) > (5 if batch.multiclass else 10)
    assert len(set(full.hashes.ravel().tolist())) > 50
    randoms = [alg for alg in algorithms if ops.DRAWS_RANDOM[alg.code[:, 0]].any()]
    assert len(randoms) > 50


def test_every_op_is_kept_when_live_and_dropped_when_dead():
    """Each op in Setup, writing a cell that Predict reads (kept) or that nobody reads
    (dropped)."""
    readers = {ops.SCALAR: (3, "s1 = s3 + s3"), ops.VECTOR: (2, "s1 = dot(v2, v2)"),
               ops.MATRIX: (1, "s1 = norm(m1)")}
    for op in range(1, ops.NUM_OPS):
        out, reader = readers[ops.OUT_KIND[op]]
        row = [op, max(ops.IN1_KIND[op], 0) and 1, max(ops.IN2_KIND[op], 0) and 1, out]
        for predict, kept in ((reader, 1), ("s1 = s2 + s2", 0)):
            tail = listing("", predict, "")
            alg = Algorithm(np.vstack([[row], tail.code]),
                            np.vstack([[0.5, 0.25, 0.75], tail.data]), (1, 1, 0))
            assert prune(alg, MEMORY, reseeded=True).sizes == (kept, 1, 0), ops.OPS[op].name


def test_evaluator_prunes_and_gives_the_same_results(monkeypatch):
    """Evaluator(prune=True) runs fewer instructions (the test fails if it does not
    prune) with the same fitness, train steps and generator state, bit for bit."""
    tasks = make_tasks("linear", 3, 4, 12, 8)
    algorithms = random_programs(seed=5)
    rows = []
    run = interpreter.run
    monkeypatch.setattr(interpreter, "run",
                        lambda programs, *a, **k: rows.append(programs.sizes.sum())
                        or run(programs, *a, **k))
    pruning, plain = Evaluator(tasks, MEMORY, seed=9), Evaluator(tasks, MEMORY, seed=9,
                                                                 prune=False)
    assert pruning.prune and not plain.prune
    for _ in range(2):   # the second call continues from the generator's state
        got, want = pruning.evaluate_batch(algorithms), plain.evaluate_batch(algorithms)
        assert [e[0] for e in got] == [e[0] for e in want]
        assert [e.train_steps for e in got] == [e.train_steps for e in want]
        assert pruning.rng_state == plain.rng_state
    assert rows[0] < 0.7 * rows[1] and rows[1] == sum(sum(a.sizes) for a in algorithms)


def test_pruning_is_idempotent_and_keeps_each_component_in_order():
    algorithms = random_programs(seed=8, count=60)
    once = prune_programs(algorithms, MEMORY)
    twice = prune_programs(once, MEMORY)
    assert np.array_equal(twice.code, once.code) and np.array_equal(twice.sizes, once.sizes)
    for alg, pruned in zip(algorithms, once):
        for component in range(3):
            rows = iter(zip(*(part.tolist() for part in alg.component(component))))
            for kept in zip(*(part.tolist() for part in pruned.component(component))):
                assert kept in rows   # consumes the iterator: a subsequence


@pytest.mark.parametrize("wrappers", [("fec",), ("hurdles",), ("fec", "hurdles")])
@pytest.mark.parametrize("draws", [True, False])
def test_fitness_wrappers_prune_a_batch_once_with_the_same_results(monkeypatch, wrappers,
                                                                   draws):
    """FEC and Hurdles around a pruning Evaluator give what they give around an Evaluator
    that does not prune (fitness, train steps, cache hits and generator state) on random
    programs over all 65 ops, random ops in dead code included; they prune each batch
    once for all their runs (fingerprint, cheap part, full evaluation), except that an
    FEC's misses that hold random ops are pruned again for their full run (which keeps
    every draw) — once per batch at most.  draws: programs with random ops or without."""
    import azdeap.evaluator
    import azdeap.fec
    import azdeap.hurdles
    from azdeap.fec import FEC
    from azdeap.hurdles import Hurdles
    calls = []
    real = azdeap.liveness._prune
    monkeypatch.setattr(azdeap.evaluator, "_prune",
                        lambda *a, **k: calls.append(a) or real(*a, **k))
    tasks = make_tasks("linear", 3, 4, 12, 8)
    algorithms = [alg for alg in random_programs(seed=6, count=400)
                  if ops.DRAWS_RANDOM[alg.code[:, 0]].any() == draws][:200]
    programs = Programs.stack(algorithms)

    def build(prune):
        evaluator = Evaluator(tasks, MEMORY, seed=9, prune=prune)
        hurdles = Hurdles(evaluator, tasks=1, train=6) if "hurdles" in wrappers else None
        return (FEC(hurdles or evaluator) if "fec" in wrappers else hurdles), hurdles, evaluator

    (pruning, hurdles, evaluator), (plain, plain_hurdles, plain_evaluator) = build(True), build(False)
    for round_ in range(3):   # a fresh cache, then hits; the hurdle set after the first
        calls.clear()
        got, want = pruning.evaluate_programs(programs), plain.evaluate_programs(programs)
        assert len(calls) == 1 if not draws else 1 <= len(calls) <= 2
        assert got.fitness.tobytes() == want.fitness.tobytes()
        assert np.array_equal(got.train_steps, want.train_steps)
        assert np.array_equal(got.cached, want.cached)
        assert evaluator.rng_state == plain_evaluator.rng_state
        if hurdles is not None:
            hurdles.update_hurdle(got.fitness)
            plain_hurdles.update_hurdle(want.fitness)
    if hurdles is not None:   # not vacuous: some stopped at the hurdle, some passed
        assert hurdles.stopped > 0 and hurdles.passed > 0
    if "fec" in wrappers:   # the last round answered from the cache
        assert np.count_nonzero(got.cached) > len(programs) // 2


@pytest.mark.parametrize("draws", [True, False])
def test_a_train_budget_prunes_once_unless_random_ops_need_their_own_form(monkeypatch, draws):
    """With a train budget the evaluator prunes for the cost (the form a fingerprint
    runs); a batch without random ops runs that same form, one with random ops is pruned
    again to keep every draw.  The results are those of an evaluator that does not
    prune."""
    import azdeap.evaluator
    from azdeap.budget import TrainBudget
    calls = []
    real = azdeap.liveness._prune
    monkeypatch.setattr(azdeap.evaluator, "_prune",
                        lambda *a, **k: calls.append(a[2]) or real(*a, **k))
    tasks = make_tasks("linear", 2, 4, 12, 8)
    algorithms = [alg for alg in random_programs(seed=9, count=300)
                  if ops.DRAWS_RANDOM[alg.code[:, 0]].any() == draws][:100]
    budget = TrainBudget("linear_regressor", 50.0)
    pruning = Evaluator(tasks, MEMORY, seed=3, train_budget=budget)
    plain = Evaluator(tasks, MEMORY, seed=3, train_budget=budget, prune=False)
    got = pruning.evaluate_programs(algorithms)
    assert calls == ([True, False] if draws else [True])
    want = plain.evaluate_programs(algorithms)
    assert got.fitness.tobytes() == want.fitness.tobytes()
    assert np.array_equal(got.train_steps, want.train_steps)
