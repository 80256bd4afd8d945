"""The FEC's cache (docs/fec.md): fingerprints -> (fitness, uses, full train steps), an LRU
of fixed capacity in numba arrays, looked up and filled a batch at a time.

A fingerprint is a row of ``width`` uint64 hashes (one per task), compared bit for bit.
The table is open addressing over a power-of-two index (linear probing; removed entries
leave a marker until the index is rebuilt) with the entries in a doubly linked list from
the least to the most recently used.  ``lookup`` does, row by row, what a dictionary
would: a row found counts a use, and is forgotten at ``forget_every`` uses or else moves
to the most recent end, so that a later row of the same batch sees the effect.
"""
import numpy as np
from numba import njit

_EMPTY, _REMOVED = -1, -2
_FIRST_SLOTS = 1024   # entries allocated at first
# meta: the least and the most recently used entry, entries, removed markers, free slots
_OLDEST, _NEWEST, _SIZE, _REMOVED_MARKS, _FREE = range(5)


class FingerprintCache:
    """An LRU map from fingerprints (rows of ``width`` uint64) to (fitness, uses, full
    train steps) holding at most ``capacity`` entries.  Its arrays start small and
    double as entries come, up to the capacity."""

    def __init__(self, capacity: int, width: int):
        self.capacity, self.width = capacity, width
        self._allocate(min(capacity, _FIRST_SLOTS))

    def _allocate(self, slots):
        """Empty arrays of slots entries."""
        index_size = 1 << max(3, (2 * slots - 1).bit_length())   # at most half full
        self.keys = np.zeros((slots, self.width), np.uint64)
        self.fitness = np.zeros(slots)
        self.uses = np.zeros(slots, np.int64)
        self.steps = np.zeros(slots, np.int64)
        self.older = np.full(slots, -1, np.int64)    # the linked list, by slot
        self.newer = np.full(slots, -1, np.int64)
        self.position = np.zeros(slots, np.int64)    # each slot's place in the index
        self.index = np.full(index_size, _EMPTY, np.int64)
        self.free = np.arange(slots - 1, -1, -1, dtype=np.int64)   # a stack of slots
        self.meta = np.array([-1, -1, 0, 0, slots], np.int64)

    def __len__(self):
        return int(self.meta[_SIZE])

    def _arrays(self):
        return (self.keys, self.fitness, self.uses, self.steps, self.older, self.newer,
                self.position, self.index, self.free, self.meta)

    def lookup(self, keys: np.ndarray, forget_every: int):
        """For each row of keys in order: (found (n,) bool, fitness (n,), the sum of the
        found entries' full train steps).  A found entry counts a use: at
        ``forget_every`` uses it is forgotten, else it becomes the most recently used."""
        found = np.zeros(len(keys), np.bool_)
        fitness = np.zeros(len(keys))
        saved = _lookup(*self._arrays(), np.ascontiguousarray(keys, np.uint64), forget_every,
                        found, fitness)
        return found, fitness, int(saved)

    def insert(self, keys: np.ndarray, fitness, uses, steps) -> None:
        """Insert each row of keys (not in the cache) as the most recently used, with its
        fitness, uses and full train steps, forgetting the least recently used entry when
        the cache is full."""
        needed, slots = len(self) + len(keys), len(self.keys)
        if needed > slots < self.capacity:   # grow, keeping the entries in LRU order
            entries = self.__getstate__()[2:]
            self._allocate(min(self.capacity, max(needed, 2 * slots)))
            self.insert(*entries)
        _insert(*self._arrays(), np.ascontiguousarray(keys, np.uint64),
                np.asarray(fitness, np.float64), np.asarray(uses, np.int64),
                np.asarray(steps, np.int64))

    def items(self):
        """(fingerprint bytes, (fitness, uses, full train steps)) from the least to the
        most recently used."""
        for slot in _order(self.newer, self.meta).tolist():
            yield (self.keys[slot].tobytes(),
                   (float(self.fitness[slot]), int(self.uses[slot]), int(self.steps[slot])))

    def __getstate__(self):
        """The entries only, from the least to the most recently used."""
        order = _order(self.newer, self.meta)
        return (self.capacity, self.width, self.keys[order], self.fitness[order],
                self.uses[order], self.steps[order])

    def __setstate__(self, state):
        capacity, width, *entries = state
        self.__init__(capacity, width)
        self.insert(*entries)


@njit(cache=True)
def _order(newer, meta):
    """The slots of the entries from the least to the most recently used."""
    order = np.empty(meta[_SIZE], np.int64)
    slot = meta[_OLDEST]
    for i in range(order.shape[0]):
        order[i] = slot
        slot = newer[slot]
    return order


@njit(cache=True)
def _hash(keys, row):
    """A 64-bit mix of the row's words (splitmix64's finalizer on a running sum)."""
    h = np.uint64(0x9E3779B97F4A7C15)
    for word in keys[row]:
        h ^= word
        h = (h ^ (h >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        h = (h ^ (h >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        h ^= h >> np.uint64(31)
    return h


@njit(cache=True)
def _same(a, slot, b, row):
    for column in range(a.shape[1]):
        if a[slot, column] != b[row, column]:
            return False
    return True


@njit(cache=True)
def _find(slot_keys, index, keys, row):
    """(the slot holding row, or -1; the index position to insert it at if absent)."""
    mask = np.uint64(index.shape[0] - 1)
    at = _hash(keys, row) & mask
    first_removed = -1
    while True:
        slot = index[at]
        if slot == _EMPTY:
            return -1, first_removed if first_removed >= 0 else np.int64(at)
        if slot == _REMOVED:
            if first_removed < 0:
                first_removed = np.int64(at)
        elif _same(slot_keys, slot, keys, row):
            return slot, np.int64(at)
        at = (at + np.uint64(1)) & mask


@njit(cache=True)
def _unlink(older, newer, meta, slot):
    if older[slot] >= 0:
        newer[older[slot]] = newer[slot]
    else:
        meta[_OLDEST] = newer[slot]
    if newer[slot] >= 0:
        older[newer[slot]] = older[slot]
    else:
        meta[_NEWEST] = older[slot]


@njit(cache=True)
def _append(older, newer, meta, slot):
    older[slot], newer[slot] = meta[_NEWEST], -1
    if meta[_NEWEST] >= 0:
        newer[meta[_NEWEST]] = slot
    else:
        meta[_OLDEST] = slot
    meta[_NEWEST] = slot


@njit(cache=True)
def _remove(older, newer, position, index, free, meta, slot):
    _unlink(older, newer, meta, slot)
    index[position[slot]] = _REMOVED
    free[meta[_FREE]] = slot
    meta[_FREE] += 1
    meta[_SIZE] -= 1
    meta[_REMOVED_MARKS] += 1


@njit(cache=True)
def _lookup(slot_keys, fitness, uses, steps, older, newer, position, index, free, meta,
            keys, forget_every, found, found_fitness):
    saved = 0
    for row in range(keys.shape[0]):
        slot, _ = _find(slot_keys, index, keys, row)
        if slot < 0:
            continue
        found[row] = True
        found_fitness[row] = fitness[slot]
        saved += steps[slot]
        uses[slot] += 1
        if uses[slot] >= forget_every:
            _remove(older, newer, position, index, free, meta, slot)
        else:
            _unlink(older, newer, meta, slot)
            _append(older, newer, meta, slot)
    return saved


@njit(cache=True)
def _rebuild(slot_keys, position, index, meta, newer):
    """Index the entries again, without removed markers."""
    index[:] = _EMPTY
    mask = np.uint64(index.shape[0] - 1)
    slot = meta[_OLDEST]
    while slot >= 0:
        at = _hash(slot_keys, slot) & mask
        while index[at] != _EMPTY:
            at = (at + np.uint64(1)) & mask
        index[at] = slot
        position[slot] = at
        slot = newer[slot]
    meta[_REMOVED_MARKS] = 0


@njit(cache=True)
def _insert(slot_keys, fitness, uses, steps, older, newer, position, index, free, meta,
            keys, new_fitness, new_uses, new_steps):
    for row in range(keys.shape[0]):
        if meta[_FREE] == 0:   # full: forget the least recently used
            _remove(older, newer, position, index, free, meta, meta[_OLDEST])
        if 4 * (meta[_SIZE] + meta[_REMOVED_MARKS]) >= 3 * index.shape[0]:
            _rebuild(slot_keys, position, index, meta, newer)
        meta[_FREE] -= 1
        slot = free[meta[_FREE]]
        slot_keys[slot] = keys[row]
        fitness[slot], uses[slot], steps[slot] = new_fitness[row], new_uses[row], new_steps[row]
        _, at = _find(slot_keys, index, keys, row)
        index[at] = slot
        position[slot] = at
        _append(older, newer, meta, slot)
        meta[_SIZE] += 1
