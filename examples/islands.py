"""One search on several islands, from Python: the paper's distributed search in small.

configs/linear.yaml's search (evolve linear regression with the README regressor's ops)
as one experiment on ISLANDS populations that send their 20 best to the next island every
few thousand individuals.  Each island's epoch is one unit of work for a process pool of
WORKERS processes (the builtin ``map`` with --workers 1).  With --out DIR the run writes
its folder there (config.yaml, logbooks, best.txt, result.json, checkpoint.pkl) and can be
continued after a kill with ``python -m azdeap run --resume DIR``.

Run:  python examples/islands.py [--islands 4] [--workers 2] [--individuals 200000]
                                 [--seed 1] [--out DIR]
"""
import argparse
import dataclasses
import multiprocessing
import os

from azdeap.config import Budget, Experiments, Islands, load_config
from azdeap.experiment import run_experiments
from azdeap.runfolder import RunFolder

LINEAR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                      "configs", "linear.yaml")


def island_config(islands, individuals, seed):
    """configs/linear.yaml as one experiment of that many individuals on that many islands,
    each migrating about five times."""
    config = load_config(LINEAR)
    every = max(individuals // (5 * islands), 1)
    return dataclasses.replace(
        config, seed=seed, experiments=Experiments(max=1),
        budget=Budget(max_train_steps=None, max_individuals=individuals),
        islands=Islands(count=islands, migrate_every=every, migrants=20, topology="ring"))


def main(islands=4, workers=2, individuals=200_000, seed=1, out=None, verbose=True):
    """Run the search; returns azdeap.experiment.Result."""
    config = island_config(islands, individuals, seed)
    folder = RunFolder(out) if out else None
    log = print if verbose else (lambda *_: None)
    if workers == 1:
        return run_experiments(config, map, 1, verbose=False, log=log, folder=folder)
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        return run_experiments(config, pool.map, workers, verbose=False, log=log,
                               folder=folder)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--islands", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--individuals", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", help="a run folder to write (default: none)")
    args = parser.parse_args()
    result = main(args.islands, args.workers, args.individuals, args.seed, args.out)
    for island, logbook in enumerate(result.island_logbooks[0]):
        print("island %d: best search fitness %.6f after %d individuals"
              % (island, logbook[-1]["best"], logbook[-1]["individuals"]))
