"""Helpers for worker processes: ProcessLocal, random_state_kept, pack and unpack, scoop_map."""
import multiprocessing
import os
import pathlib
import pickle
import random
import subprocess
import sys

import numpy as np
import pytest

from azdeap import Algorithm, Evaluator, Individual, parallel, reference
from azdeap.parallel import ProcessLocal, pack, random_state_kept, unpack


class Counter(ProcessLocal):
    def __init__(self):
        self.count = 0
        self._new_key()


# -- ProcessLocal -------------------------------------------------------------------------
def test_copies_of_one_object_are_one_object_per_process():
    counter = Counter()
    blob = pickle.dumps(counter)
    first = pickle.loads(blob)
    assert first is not counter and type(first) is Counter
    assert pickle.loads(blob) is first
    first.count += 1
    counter.count = 10           # a later copy carries newer state: the first copy stays
    assert pickle.loads(pickle.dumps(counter)) is first and first.count == 1
    other = pickle.loads(pickle.dumps(Counter()))
    assert other is not first and other.count == 0


def test_a_process_keeps_the_instances_of_the_latest_objects():
    counters = [Counter() for _ in range(parallel._KEEP + 1)]
    blobs = [pickle.dumps(counter) for counter in counters]
    copies = [pickle.loads(blob) for blob in blobs]
    assert pickle.loads(blobs[-1]) is copies[-1]
    assert pickle.loads(blobs[1]) is copies[1]
    assert pickle.loads(blobs[0]) is not copies[0]   # the oldest was let go


def test_in_a_fresh_process_copies_resolve_to_one_instance(linear_tasks, readme_regressor,
                                                           creator_individual):
    """A worker: the same Evaluator twice is one object, another Evaluator another one;
    creator individuals unpack there although the worker never created their class."""
    evaluator, other = Evaluator(linear_tasks[:1]), Evaluator(linear_tasks[:2])
    individual = readme_regressor(0.1, cls=creator_individual)
    individual.fitness.values = (0.5,)
    script = ("import pickle, sys; from azdeap.parallel import unpack; "
              "a, b, c, packed = [pickle.loads(blob) for blob in pickle.load(sys.stdin.buffer)]; "
              "ind, = unpack(packed); "
              "print(a is b, a is c, len(c.tasks), type(ind).__name__, ind.fitness.values)")
    blobs = [pickle.dumps(x) for x in (evaluator, evaluator, other, pack([individual]))]
    out = subprocess.run([sys.executable, "-c", script], input=pickle.dumps(blobs),
                         capture_output=True, check=True, timeout=60).stdout
    assert out.decode().split() == ["True", "False", "2", creator_individual.__name__, "(0.5,)"]


# -- random_state_kept --------------------------------------------------------------------
def test_random_state_kept_gives_the_caller_its_state_back():
    random.seed(1)
    expected = random.random()
    random.seed(1)
    with random_state_kept():
        assert random.random() == expected          # the block draws from the same state
        random.seed(99)                             # and may reseed
    assert random.random() == expected
    random.seed(1)
    with pytest.raises(KeyError), random_state_kept():
        random.seed(5)
        raise KeyError("the state comes back on errors too")
    assert random.random() == expected
    np.random.seed(3)
    numpy_expected = np.random.random()
    np.random.seed(3)
    with random_state_kept():
        np.random.seed(4)                           # numpy's global generator too
    assert np.random.random() == numpy_expected


# -- pack and unpack ----------------------------------------------------------------------
def test_pack_round_trip_keeps_programs_types_and_fitness(readme_regressor, creator_individual):
    for cls in (Individual, creator_individual):
        evaluated = readme_regressor(0.1, cls=cls)
        evaluated.fitness.values = (0.75,)
        fresh = reference.neural_network(cls=cls)           # fitness not valid
        back = unpack(pickle.loads(pickle.dumps(pack([evaluated, fresh]))))
        # (DEAP re-creates creator classes when unpickling: compare names)
        assert [type(ind).__name__ for ind in back] == [cls.__name__] * 2
        assert back == [evaluated, fresh]
        assert back[0].fitness.values == (0.75,) and not back[1].fitness.valid
        back[0].code[0, 3] = 3                               # independent arrays
        assert evaluated.code[0, 3] == 2
        assert back[0].fitness is not back[1].fitness



def _evaluated_in_a_worker(packed):
    """What a worker of a process map does: unpack, set fitnesses, pack."""
    individuals = unpack(packed)
    for individual in individuals:
        individual.fitness.values = (len(individual) / 10.0,)
    return pack(individuals)


def test_creator_classes_keep_their_identity_through_a_process_pool():
    """DEAP re-creates a creator class on every unpickling: individuals coming back from
    a worker were of a new class each batch, and creator.PoolInd was replaced by it."""
    from deap import base, creator
    if not hasattr(creator, "PoolInd"):   # its own classes: other tests pickle TestInd
        creator.create("PoolFitness", base.Fitness, weights=(1.0,))
        creator.create("PoolInd", Algorithm, fitness=creator.PoolFitness)
    cls, fitness_class = creator.PoolInd, creator.PoolFitness
    individuals = [reference.linear_regressor(lr, cls=cls) for lr in (0.1, 0.2)]
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        for _ in range(3):   # the worker keeps the classes it made on the first batch
            packed = pool.map(_evaluated_in_a_worker, [pack(individuals), pack(individuals)])
            back = [individual for batch in packed for individual in unpack(batch)]
            assert [type(individual) for individual in back] == [cls] * 4
            assert all(type(individual.fitness) is fitness_class for individual in back)
            assert [individual.fitness.values for individual in back] == [(0.6,)] * 4
            assert back == individuals * 2
    assert creator.PoolInd is cls and creator.PoolFitness is fitness_class


def test_a_creator_class_of_another_definition_is_made_anew(creator_individual):
    """A class of the same name but another base or attributes is not taken for it: it is
    made (and registered) as DEAP would."""
    from deap import base, creator
    individual = reference.linear_regressor(cls=creator_individual)
    blob = pickle.dumps(pack([individual]))
    previous = creator.TestInd
    try:
        with pytest.warns(RuntimeWarning, match="already been created"):
            creator.create("TestInd", Individual)   # another definition of the name
        other = creator.TestInd
        back, = unpack(pickle.loads(blob))
        assert type(back) is creator.TestInd and creator.TestInd is not other
        assert type(back).reduce_args[1] is Algorithm
        assert isinstance(back.fitness, base.Fitness) and back == individual
    finally:
        creator.TestInd = previous


def test_pack_of_no_individuals():
    assert unpack(pickle.loads(pickle.dumps(pack([])))) == []


def test_pack_needs_individuals_of_one_type(readme_regressor, creator_individual):
    with pytest.raises(ValueError, match=r"^pack: individuals must be of one type, got "
                                         r"Individual and TestInd$"):
        pack([readme_regressor(cls=Individual), readme_regressor(cls=creator_individual)])


# -- scoop_map ----------------------------------------------------------------------------
SCOOP_SCRIPT = '''
import os, time
from azdeap.parallel import scoop_map

def busy(_):
    start = time.perf_counter()
    while time.perf_counter() - start < 0.1:
        pass
    return os.getpid()

if __name__ == "__main__":
    print(" ".join(str(len(set(scoop_map(busy, range(2))))) for _ in range(8)))
    print(len(scoop_map(busy, range(5))))
'''


def test_scoop_map_runs_as_many_items_as_workers_one_per_worker(tmp_path):
    """Left alone, scoop ran both items of a 2-item map on its root in about one map of
    four; scoop_map spreads every one (and still maps more items than workers)."""
    script = tmp_path / "spread.py"
    script.write_text(SCOOP_SCRIPT)
    root = pathlib.Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=str(root))
    done = subprocess.run([sys.executable, "-m", "scoop", "-n", "2", str(script)], cwd=root,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    spread, count = done.stdout.split("\n")[:2]
    assert spread.split() == ["2"] * 8
    assert count == "5"
