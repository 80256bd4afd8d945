"""The FEC's cache table (azdeap.fec_cache): the same answers, uses, forgetting and LRU
order as a dictionary model, over long random sequences of lookups and inserts."""
from collections import OrderedDict

import numpy as np
import pytest

from azdeap.fec_cache import FingerprintCache


class Model:
    """What the table must do, written with an OrderedDict."""

    def __init__(self, capacity):
        self.capacity, self.entries = capacity, OrderedDict()

    def lookup(self, keys, forget_every):
        found, fitness, saved = [], [], 0
        for key in map(bytes, keys):
            entry = self.entries.get(key)
            found.append(entry is not None)
            fitness.append(entry[0] if entry else 0.0)
            if entry:
                saved += entry[2]
                if entry[1] + 1 >= forget_every:
                    del self.entries[key]
                else:
                    self.entries[key] = (entry[0], entry[1] + 1, entry[2])
                    self.entries.move_to_end(key)
        return found, fitness, saved

    def insert(self, keys, fitness, uses, steps):
        for key, entry in zip(map(bytes, keys), zip(fitness, uses, steps)):
            self.entries[key] = entry
            if len(self.entries) > self.capacity:
                self.entries.popitem(last=False)


@pytest.mark.parametrize("capacity, width, distinct", [(1, 1, 4), (5, 3, 12), (64, 10, 200),
                                                       (300, 2, 400)])
def test_the_table_does_what_a_dictionary_does(capacity, width, distinct):
    rng = np.random.default_rng(capacity)
    pool = rng.integers(0, 2**63, (distinct, width), dtype=np.int64).astype(np.uint64)
    pool[1, :] = pool[0, :]          # equal keys,
    pool[2, :-1] = pool[3, :-1]      # and keys differing only in their last word
    table, model = FingerprintCache(capacity, width), Model(capacity)
    hits = removals = 0
    for step in range(1500):
        keys = pool[rng.integers(0, distinct, rng.integers(1, 20))]
        forget_every = int(rng.choice([1, 2, 5, 100]))
        got = table.lookup(keys, forget_every)
        want = model.lookup(keys, forget_every)
        assert got[0].tolist() == want[0] and got[1].tolist() == want[1] and got[2] == want[2]
        hits += sum(want[0])
        absent = [bytes(key) not in model.entries for key in keys]
        new = np.unique(keys[absent], axis=0)
        uses = rng.integers(1, 4, len(new))
        steps = rng.integers(0, 1000, len(new))
        fitness = rng.random(len(new))
        removals += max(0, len(model.entries) + len(new) - capacity)
        table.insert(new, fitness, uses, steps)
        model.insert(new, fitness, uses, steps)
        assert len(table) == len(model.entries)
        assert list(table.items()) == list(model.entries.items())   # the same LRU order
    assert hits > 100 and removals > 100   # not vacuous: hits, forgetting and evictions


def test_an_empty_table_finds_nothing():
    table = FingerprintCache(4, 2)
    found, fitness, saved = table.lookup(np.zeros((3, 2), np.uint64), 100)
    assert not found.any() and saved == 0 and len(table) == 0 and list(table.items()) == []


def test_a_pickled_table_holds_its_entries_in_their_order_and_nothing_else():
    import pickle
    rng = np.random.default_rng(5)
    table = FingerprintCache(1000, 10)
    keys = rng.integers(0, 2**63, (50, 10), dtype=np.int64).astype(np.uint64)
    table.insert(keys, rng.random(50), rng.integers(1, 5, 50), rng.integers(0, 99, 50))
    table.lookup(keys[[7, 3]], 100)                      # moved to the recent end
    table.lookup(keys[[9]], 1)                           # forgotten
    data = pickle.dumps(table)
    assert len(data) < 50 * 10 * 8 * 2                   # the entries, not the capacity
    copy = pickle.loads(data)
    assert list(copy.items()) == list(table.items()) and len(copy) == 49
    assert copy.lookup(keys, 100)[0].tolist() == table.lookup(keys, 100)[0].tolist()
    copy.insert(rng.integers(0, 2**63, (2000, 10), dtype=np.int64).astype(np.uint64),
                np.zeros(2000), np.ones(2000, np.int64), np.zeros(2000, np.int64))
    assert len(copy) == 1000                             # the capacity survives


def test_the_arrays_grow_with_the_entries_up_to_the_capacity():
    """A large capacity costs nothing until entries come; growing keeps the LRU order."""
    table, model = FingerprintCache(10**9, 4), Model(10**9)
    assert len(table.keys) <= 1024
    rng = np.random.default_rng(9)
    for _ in range(3):
        keys = rng.integers(0, 2**63, (1500, 4), dtype=np.int64).astype(np.uint64)
        values = rng.random(1500), rng.integers(1, 3, 1500), rng.integers(0, 9, 1500)
        table.insert(keys, *values)
        model.insert(keys, *values)
        table.lookup(keys[::7], 100)
        model.lookup(keys[::7], 100)
    assert len(table) == 4500 and 4500 <= len(table.keys) < 10000
    assert list(table.items()) == list(model.entries.items())
