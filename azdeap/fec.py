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

The FEC may also wrap another fitness wrapper that holds an ``Evaluator`` as its
``evaluator`` (``FEC(Hurdles(Evaluator(...)))``): it fingerprints on that Evaluator and
has the wrapper evaluate the misses, caching what the wrapper returns.

The original caches per task; this cache keys on all tasks of an evaluation at
once (the kernel evaluates them side by side, so a partial hit saves nothing).
Each process keeps its own cache: under scoop, every worker caches what it saw.
"""
from collections import OrderedDict

import numpy as np
from numba import njit

from azdeap.evaluator import Evaluation, Evaluator, raise_on_bad_status
from azdeap.liveness import _prune
from azdeap.parallel import ProcessLocal
from azdeap.programs import Programs
from azdeap.space import check_bool, check_integer

FINGERPRINT_SEED = 235732282
_FINGERPRINT = 3   # an entry is [fitness, uses, full train steps, its fingerprint]


def _inner_evaluator(evaluate):
    """The Evaluator an FEC fingerprints on: evaluate itself, or its ``evaluator`` when
    it is a wrapper with an ``evaluate_batch``; None otherwise."""
    if isinstance(evaluate, Evaluator):
        return evaluate
    inner = getattr(evaluate, "evaluator", None)
    if isinstance(inner, Evaluator) and callable(getattr(evaluate, "evaluate_batch", None)):
        return inner
    return None


class FEC(ProcessLocal):
    """A functional equivalence cache around an ``Evaluator`` (or a wrapper of one)."""

    takes_programs = True   # evaluate_batch also takes a Programs (eaRegularized)

    def __init__(self, evaluator, train=10, valid=10, cache_size=100000, forget_every=100,
                 by_form=False):
        """by_form: with a pruning Evaluator, answer an algorithm whose live code the
        cache has seen before its fingerprint run (see ``evaluate_batch``).  TypeError or
        ValueError, one line, unless evaluator is an ``Evaluator`` (or a wrapper with
        ``evaluate_batch`` and an Evaluator as ``evaluator``) and the numbers are
        integers with train >= 1 and train + valid >= 2 (a fingerprint without a
        prediction made after Learn cannot tell algorithms apart), cache_size,
        forget_every >= 1."""
        if _inner_evaluator(evaluator) is None:
            raise TypeError("FEC: evaluator must be an azdeap.evaluator.Evaluator or a "
                            "wrapper of one (evaluate_batch, an Evaluator as .evaluator), "
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
        self.cache = OrderedDict()   # fingerprint -> entry
        self.forms = OrderedDict()   # a pruned program's bytes -> entry (see evaluate_batch)
        self.hits = self.form_hits = self.misses = self.saved_train_steps = 0
        self._new_key()

    def __getstate__(self):
        state = self.__dict__.copy()   # a worker starts with an empty cache
        state.update(cache=OrderedDict(), forms=OrderedDict(), hits=0, form_hits=0, misses=0,
                     saved_train_steps=0)
        return state

    def evaluate_batch(self, algorithms):
        """A list of ``Evaluation`` tuples: cached ones where the pruned form or the
        fingerprint hits.

        With ``by_form`` and a pruning evaluator, each algorithm's live code (as a fingerprint runs it)
        is looked up first: a program whose pruned form maps to an entry still in the
        cache is answered without running at all.  The form's map shares entries with
        the fingerprints', so a use by either counts towards ``forget_every`` and
        refreshes the entry's LRU place; a form whose entry was forgotten or evicted
        answers no more.  Forms are remembered on every fingerprint hit and insert
        (an LRU of ``cache_size`` forms)."""
        if not algorithms:
            return []
        results = [None] * len(algorithms)
        probed, forms = range(len(algorithms)), None
        to_probe = algorithms
        if self.by_form and self.probe.prune:
            memory = self.probe.memory
            programs, status = _prune(Programs.stack(algorithms), memory, True)
            raise_on_bad_status(status, algorithms, memory)
            forms = _forms(programs)
            probed = [b for b, form in enumerate(forms) if not self._form_hit(form, b, results)]
            if not probed:
                return results
            to_probe = programs if len(probed) == len(algorithms) else programs.take(probed)
        _, probe_steps, hashes = self.probe.task_fitnesses(
            to_probe, self.train, self.valid, fingerprint=True, rng_reseed=FINGERPRINT_SEED,
            epochs=1, pruned=forms is not None)
        probe_steps = probe_steps.tolist()
        missed = {}  # fingerprint -> indices of the algorithms that share it
        for j, b in enumerate(probed):
            key = hashes[j].tobytes()
            entry = self.cache.get(key)
            if entry is None:
                missed.setdefault(key, []).append(b)
                continue
            self._use(entry)
            results[b] = Evaluation(entry[0], probe_steps[j], cached=True)
            if forms is not None:
                self._remember(forms[b], entry, probe_steps[j])
        if missed:  # one full evaluation per new fingerprint
            steps_of = dict(zip(probed, probe_steps))
            evaluated = self.evaluator.evaluate_batch(
                [algorithms[same[0]] for same in missed.values()])
            for (key, same), (fit,), full_steps in zip(
                    missed.items(), evaluated, [e.train_steps for e in evaluated]):
                if len(same) == 1 or len(same) < self.forget_every:  # repeats were hits
                    entry = self.cache[key] = [fit, len(same), full_steps, key]
                    for b in same if forms is not None else ():
                        self._remember(forms[b], entry, steps_of[b])
                self.misses += 1
                results[same[0]] = Evaluation(fit, steps_of[same[0]] + full_steps)
                for b in same[1:]:
                    self.hits += 1
                    self.saved_train_steps += full_steps
                    results[b] = Evaluation(fit, steps_of[b], cached=True)
            while len(self.cache) > self.cache_size:
                self.cache.popitem(last=False)
        while len(self.forms) > self.cache_size:
            self.forms.popitem(last=False)
        return results

    def _form_hit(self, form, b, results):
        """Answer algorithm b from the entry of its pruned form, if that is still cached."""
        entry, probe_steps = self.forms.get(form, (None, 0))
        if entry is None or self.cache.get(entry[_FINGERPRINT]) is not entry:
            return False
        self.forms.move_to_end(form)
        self._use(entry)
        self.form_hits += 1
        results[b] = Evaluation(entry[0], probe_steps, cached=True)
        return True

    def _use(self, entry):
        """Count a hit on entry: forget it at ``forget_every`` uses, else refresh it."""
        entry[1] += 1
        if entry[1] >= self.forget_every:
            del self.cache[entry[_FINGERPRINT]]
        else:
            self.cache.move_to_end(entry[_FINGERPRINT])
        self.hits += 1
        self.saved_train_steps += entry[2]

    def _remember(self, form, entry, probe_steps):
        """Map a pruned form to entry and the train steps of its fingerprint run (charged
        to a later answer by form, as the original's budget counts every fingerprint),
        if entry is still cached."""
        if self.cache.get(entry[_FINGERPRINT]) is entry:
            self.forms[form] = entry, probe_steps
            self.forms.move_to_end(form)

    def __call__(self, algorithm):
        return self.evaluate_batch([algorithm])[0]

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
