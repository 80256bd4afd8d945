"""FEC, the functional equivalence cache (docs/design.md, "FEC"), as a fitness wrapper.

Before a full evaluation, every algorithm runs on a short prefix of each task
(``train`` training and ``valid`` validation examples, random ops re-seeded to a
constant) inside the kernel, which hashes the per-example errors bit-exactly.
Algorithms with the same hashes on all tasks behave the same there and get the
cached fitness; the others are evaluated in full and cached (LRU of
``cache_size``; an entry is forgotten after ``forget_every`` uses, so that lucky
fitnesses get re-measured)::

    fec = FEC(Evaluator(tasks, memory))
    toolbox.register("evaluate", fec)
    toolbox.register("evaluate_batch", fec.evaluate_batch)

The original caches per task; this cache keys on all tasks of an evaluation at
once (the kernel evaluates them side by side, so a partial hit saves nothing).
Each process keeps its own cache: under scoop, every worker caches what it saw.
"""
from collections import OrderedDict

from azdeap.evaluator import Evaluation, Evaluator
from azdeap.parallel import ProcessLocal
from azdeap.space import check_integer

FINGERPRINT_SEED = 235732282


class FEC(ProcessLocal):
    """A functional equivalence cache around an ``Evaluator``."""

    def __init__(self, evaluator, train=10, valid=10, cache_size=100000, forget_every=100):
        """TypeError or ValueError, one line, unless evaluator is an ``Evaluator`` and the
        numbers are integers with train >= 1 and train + valid >= 2 (a fingerprint
        without a prediction made after Learn cannot tell algorithms apart),
        cache_size, forget_every >= 1."""
        if not isinstance(evaluator, Evaluator):
            raise TypeError("FEC: evaluator must be an azdeap.evaluator.Evaluator, got %s"
                            % type(evaluator).__name__)
        self.train = check_integer(train, "FEC: train", 1)
        self.valid = check_integer(valid, "FEC: valid", 0)
        self.cache_size = check_integer(cache_size, "FEC: cache_size", 1)
        self.forget_every = check_integer(forget_every, "FEC: forget_every", 1)
        if train + valid < 2:
            raise ValueError("FEC: train + valid must be >= 2 (a prediction after Learn must "
                             "be hashed), got train=%d, valid=%d" % (train, valid))
        self.evaluator = evaluator
        self.cache = OrderedDict()   # fingerprint -> [fitness, uses, full train steps]
        self.hits = self.misses = self.saved_train_steps = 0
        self._new_key()

    def __getstate__(self):
        state = self.__dict__.copy()   # a worker starts with an empty cache
        state.update(cache=OrderedDict(), hits=0, misses=0, saved_train_steps=0)
        return state

    def evaluate_batch(self, algorithms):
        """A list of ``Evaluation`` tuples: cached ones where the fingerprint hits."""
        if not algorithms:
            return []
        _, probe_steps, hashes = self.evaluator.task_fitnesses(
            algorithms, self.train, self.valid, fingerprint=True, rng_reseed=FINGERPRINT_SEED,
            epochs=1)
        probe_steps = probe_steps.tolist()
        results = [None] * len(algorithms)
        missed = {}  # fingerprint -> indices of the algorithms that share it
        for b in range(len(algorithms)):
            key = hashes[b].tobytes()
            entry = self.cache.get(key)
            if entry is None:
                missed.setdefault(key, []).append(b)
                continue
            entry[1] += 1
            if entry[1] >= self.forget_every:
                del self.cache[key]
            else:
                self.cache.move_to_end(key)
            self.hits += 1
            self.saved_train_steps += entry[2]
            results[b] = Evaluation(entry[0], probe_steps[b], cached=True)
        if missed:  # one full evaluation per new fingerprint
            task_fitness, steps, _ = self.evaluator.task_fitnesses(
                [algorithms[same[0]] for same in missed.values()])
            fitness = self.evaluator.combine(task_fitness)
            for (key, same), fit, full_steps in zip(missed.items(), fitness, steps.tolist()):
                if len(same) == 1 or len(same) < self.forget_every:  # repeats were hits
                    self.cache[key] = [fit, len(same), full_steps]
                self.misses += 1
                results[same[0]] = Evaluation(fit, probe_steps[same[0]] + full_steps)
                for b in same[1:]:
                    self.hits += 1
                    self.saved_train_steps += full_steps
                    results[b] = Evaluation(fit, probe_steps[b], cached=True)
            while len(self.cache) > self.cache_size:
                self.cache.popitem(last=False)
        return results

    def __call__(self, algorithm):
        return self.evaluate_batch([algorithm])[0]

    def stats(self):
        """Hits, misses, hit rate and training steps saved, in this process."""
        total = self.hits + self.misses
        return {"hits": self.hits, "misses": self.misses,
                "hit_rate": self.hits / total if total else 0.0,
                "saved_train_steps": self.saved_train_steps}
