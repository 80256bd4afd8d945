"""FEC, the functional equivalence cache (docs/design.md, "FEC"), as a fitness wrapper.

Before a full evaluation, every algorithm runs on a short prefix of each task
(``train`` training and ``valid`` validation examples, random ops re-seeded to a
constant) inside the kernel, which hashes the per-example errors bit-exactly.
Algorithms with the same hashes on all tasks behave the same there and get the
cached fitness; the others are evaluated in full and cached (LRU of
``cache_size``; an entry is forgotten after ``forget_every`` uses, so that lucky
fitnesses get re-measured).  With a pruning evaluator, an algorithm whose live code was
seen before is answered first, without the prefix run (docs/design.md, "Live code")::

    fec = FEC(Evaluator(tasks, memory))
    toolbox.register("evaluate", fec)
    toolbox.register("evaluate_batch", fec.evaluate_batch)

The FEC may also wrap another fitness wrapper (with ``evaluate_programs``, as a
``BatchFitness`` has it) that holds an ``Evaluator`` as its ``evaluator``
(``FEC(Hurdles(Evaluator(...)))``): it fingerprints on that Evaluator and
has the wrapper evaluate the misses, caching what the wrapper returns.

The original caches per task; this cache keys on all tasks of an evaluation at
once (the kernel evaluates them side by side, so a partial hit saves nothing).
Each process keeps its own cache: under scoop, every worker caches what it saw.
"""
from collections import OrderedDict

import numpy as np
from numba import njit

from azdeap.evaluator import BatchFitness, Evaluator, Scores, raise_on_bad_status
from azdeap.fec_cache import FingerprintCache
from azdeap.liveness import draws_random
from azdeap.programs import Programs
from azdeap.space import check_bool, check_integer

FINGERPRINT_SEED = 235732282


def _inner_evaluator(evaluate):
    """The Evaluator an FEC fingerprints on: evaluate itself, or its ``evaluator`` when
    it is a wrapper with an ``evaluate_programs``; None otherwise."""
    if isinstance(evaluate, Evaluator):
        return evaluate
    inner = getattr(evaluate, "evaluator", None)
    if isinstance(inner, Evaluator) and callable(getattr(evaluate, "evaluate_programs", None)):
        return inner
    return None


class FEC(BatchFitness):
    """A functional equivalence cache around an ``Evaluator`` (or a wrapper of one).
    ``cache`` (a ``FingerprintCache``) maps a fingerprint to (fitness, uses, full train
    steps)."""

    def __init__(self, evaluator, train=10, valid=10, cache_size=100000, forget_every=100,
                 by_form=False):
        """by_form: with a pruning Evaluator, answer an algorithm whose live code the
        cache has seen before its fingerprint run (see ``evaluate_programs``).  TypeError or
        ValueError, one line, unless evaluator is an ``Evaluator`` (or a wrapper with
        ``evaluate_programs`` and an Evaluator as ``evaluator``) and the numbers are
        integers with train >= 1 and train + valid >= 2 (a fingerprint without a
        prediction made after Learn cannot tell algorithms apart), cache_size,
        forget_every >= 1."""
        if _inner_evaluator(evaluator) is None:
            raise TypeError("FEC: evaluator must be an azdeap.evaluator.Evaluator or a "
                            "wrapper of one (evaluate_programs, an Evaluator as .evaluator), "
                            "got %s" % type(evaluator).__name__)
        self.train = check_integer(train, "FEC: train", 1)
        self.valid = check_integer(valid, "FEC: valid", 0)
        self.cache_size = check_integer(cache_size, "FEC: cache_size", 1)
        self.forget_every = check_integer(forget_every, "FEC: forget_every", 1)
        if train + valid < 2:
            raise ValueError("FEC: train + valid must be >= 2 (a prediction after Learn must "
                             "be hashed), got train=%d, valid=%d" % (train, valid))
        self.by_form = check_bool(by_form, "FEC: by_form")
        self.evaluator = evaluator   # evaluates the misses
        self.probe = _inner_evaluator(evaluator)   # fingerprints
        self._empty_cache()
        self._new_key()

    def _empty_cache(self):
        self.cache = FingerprintCache(self.cache_size, len(self.probe.tasks))
        self.forms = OrderedDict()   # a pruned form -> (its fingerprint row, probe's steps)
        self.hits = self.form_hits = self.misses = self.saved_train_steps = 0

    def __getstate__(self):
        state = self.__dict__.copy()   # a worker starts with an empty cache
        del state["cache"], state["forms"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._empty_cache()

    def evaluate_programs(self, programs, pruned=False) -> Scores:
        """The ``Scores`` of the programs: cached ones where the pruned form or the
        fingerprint hits.

        With a pruning evaluator, the programs are pruned once for the fingerprint run
        (dead random ops dropped where none is live), and the misses' pruned forms serve
        their full evaluations too unless they hold random ops (which the full run's
        pruning keeps: docs/design.md, "Live code").  With ``by_form`` too, each
        program's live code (as a fingerprint runs it) is looked up first: a program
        whose pruned form maps to a fingerprint still in the cache is answered without
        running at all.  A use by form counts towards ``forget_every`` and refreshes the
        entry's LRU place as a use by fingerprint does.  Forms are remembered on every
        fingerprint hit and insert (an LRU of ``cache_size`` forms)."""
        programs = Programs.stack(programs)
        n = len(programs)
        fitness, steps = np.empty(n), np.zeros(n, np.int64)
        cached = np.ones(n, bool)
        rows = np.arange(n)   # the programs fingerprinted
        live = forms = None   # live: the programs pruned as a fingerprint runs them
        if self.probe.prune and (self.by_form or n > 1):
            live, status = self.probe._live(programs, True)
            if self.by_form:
                raise_on_bad_status(status, programs, self.probe.memory)
                forms = _forms(live)
                rows = np.array([b for b, form in enumerate(forms)
                                 if not self._form_hit(form, b, fitness, steps)], np.int64)
                if not len(rows):
                    return Scores(fitness, steps, cached)
        to_probe = programs if live is None else live if len(rows) == n else live.take(rows)
        _, probe_steps, hashes = self.probe.task_fitnesses(
            to_probe, self.train, self.valid, fingerprint=True, rng_reseed=FINGERPRINT_SEED,
            epochs=1, pruned=live is not None)
        steps[rows] = probe_steps
        probe_steps = probe_steps.tolist()
        found, found_fitness, saved = self.cache.lookup(hashes, self.forget_every)
        hit = np.flatnonzero(found)
        fitness[rows[hit]] = found_fitness[hit]
        self.hits += len(hit)
        self.saved_train_steps += saved
        for j in hit.tolist() if forms is not None else ():
            self._remember(forms[rows[j]], hashes[j].copy(), probe_steps[j])
        missed = {}   # fingerprint -> the rows that share it
        for j in np.flatnonzero(~found).tolist():
            missed.setdefault(hashes[j].tobytes(), []).append(j)
        if missed:  # one full evaluation per new fingerprint
            firsts = [same[0] for same in missed.values()]
            first = rows[firsts]
            misses = programs.take(first)
            if live is not None and not draws_random(misses):
                full = self.evaluator.evaluate_programs(live.take(first), True)
            else:   # their random ops are all kept by the full run's pruning
                full = self.evaluator.evaluate_programs(misses, pruned)
            fitness[first] = full.fitness
            steps[first] += full.train_steps
            cached[first] = False
            repeats = np.array([len(same) for same in missed.values()])
            kept = (repeats == 1) | (repeats < self.forget_every)   # repeats were hits
            self.cache.insert(hashes[firsts][kept], full.fitness[kept], repeats[kept],
                              full.train_steps[kept])
            self.misses += len(firsts)
            self.hits += int(repeats.sum()) - len(firsts)
            self.saved_train_steps += int(((repeats - 1) * full.train_steps).sum())
            for same, fit, is_kept in zip(missed.values(), full.fitness.tolist(), kept.tolist()):
                if len(same) > 1:
                    fitness[rows[same[1:]]] = fit
                for j in same if forms is not None and is_kept else ():
                    self._remember(forms[rows[j]], hashes[same[0]].copy(), probe_steps[j])
        while len(self.forms) > self.cache_size:
            self.forms.popitem(last=False)
        return Scores(fitness, steps, cached)

    def _form_hit(self, form, b, fitness, steps):
        """Answer program b from the cache entry of its pruned form's fingerprint, if that
        is still cached."""
        fingerprint, probe_steps = self.forms.get(form, (None, 0))
        if fingerprint is None:
            return False
        found, found_fitness, saved = self.cache.lookup(fingerprint[None], self.forget_every)
        if not found[0]:
            return False
        self.forms.move_to_end(form)
        self.hits += 1
        self.form_hits += 1
        self.saved_train_steps += saved
        fitness[b], steps[b] = found_fitness[0], probe_steps
        return True

    def _remember(self, form, fingerprint, probe_steps):
        """Map a pruned form to its fingerprint (a row of hashes) and the train steps of
        its fingerprint run (charged to a later answer by form, as the original's budget
        counts every fingerprint)."""
        self.forms[form] = fingerprint, probe_steps
        self.forms.move_to_end(form)

    def stats(self):
        """Hits (of which ``form_hits`` were answered by the pruned form, without a
        fingerprint run), misses, hit rate and training steps saved, in this process."""
        total = self.hits + self.misses
        return {"hits": self.hits, "form_hits": self.form_hits, "misses": self.misses,
                "hit_rate": self.hits / total if total else 0.0,
                "saved_train_steps": self.saved_train_steps}


def _forms(programs):
    """Each program's exact form as bytes: its sizes, then its code and data rows."""
    packed, bounds = _pack(programs.code.view(np.uint8).reshape(-1, 16),
                           programs.data.view(np.uint8).reshape(-1, 24),
                           programs.sizes.view(np.uint8).reshape(-1, 24), programs.offsets,
                           programs.sizes)
    packed, bounds = packed.tobytes(), bounds.tolist()
    return [packed[start:stop] for start, stop in zip(bounds, bounds[1:])]


@njit(cache=True)
def _pack(code_bytes, data_bytes, sizes_bytes, offsets, sizes):
    """The bytes of every program (sizes, then each row's code and data) one after the
    other, and where each starts (and the last ends)."""
    n_programs = offsets.shape[0]
    bounds = np.empty(n_programs + 1, np.int64)
    bounds[0] = 0
    for b in range(n_programs):
        bounds[b + 1] = bounds[b] + 24 + 40 * (sizes[b, 0] + sizes[b, 1] + sizes[b, 2])
    packed = np.empty(bounds[n_programs], np.uint8)
    for b in range(n_programs):
        at = bounds[b]
        for i in range(24):
            packed[at + i] = sizes_bytes[b, i]
        at += 24
        for k in range(offsets[b], offsets[b] + (bounds[b + 1] - bounds[b] - 24) // 40):
            for i in range(16):
                packed[at + i] = code_bytes[k, i]
            for i in range(24):
                packed[at + 16 + i] = data_bytes[k, i]
            at += 40
    return packed, bounds
