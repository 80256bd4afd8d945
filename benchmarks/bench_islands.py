"""One search on 1 and W workers: individuals/s, parallel efficiency, epoch overhead.

    python benchmarks/bench_islands.py [--workers 2] [--individuals 2e6]
        [--migrate-every 50000] [--maps serial multiprocessing scoop] [--rounds 2]

The search is configs/demo.yaml as one experiment of ``--individuals`` individuals on W
islands (``islands.count: W``, ring migration of 50), so every measurement does the same
work.  Each map runs it through the command line in a fresh process and a run folder of
its own: ``serial`` (``python -m azdeap run``, the islands one after another in one
process), ``multiprocessing`` (``--workers W``), ``scoop`` (``python -m scoop -n W
azdeap/run.py``).  From the run folder's merged logbook it takes the rate between the
first and the last epoch, so process start-up, imports and numba's cache loads (in the
first epoch) are left out.  It prints per map and round:

* individuals/s, and the efficiency: rate / (W x the serial rate);
* the epoch overhead: wall time per epoch round minus the longest island's epoch (for a
  pool: transfers, packing, waiting for the slowest island), and for ``serial`` the
  wall time minus the sum of the islands' epochs (packing and the driver);
* the checkpoint time as a share of the run (the default ``checkpoint_every``, 60 s).

Rounds interleave the maps.  The figures in docs/parallel.md came from this script.
"""
import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def write_config(directory, workers, individuals, migrate_every):
    with open(os.path.join(ROOT, "configs", "demo.yaml")) as stream:
        config = yaml.safe_load(stream)
    config.update(seed=1, experiments={"max": 1, "sufficient_fitness": 0.9999},
                  budget={"max_train_steps": None, "max_individuals": int(individuals)},
                  islands={"count": workers, "migrate_every": int(migrate_every),
                           "migrants": 50, "topology": "ring"})
    path = os.path.join(directory, "bench_islands.yaml")
    with open(path, "w") as stream:
        yaml.safe_dump(config, stream, sort_keys=False)
    return path


def command(map_name, workers, config, out):
    run = ["--config", config, "--out", out, "--quiet"]
    if map_name == "serial":
        return [sys.executable, "-m", "azdeap", "run"] + run
    if map_name == "multiprocessing":
        return [sys.executable, "-m", "azdeap", "run", "--workers", str(workers)] + run
    return [sys.executable, "-m", "scoop", "-n", str(workers), "azdeap/run.py"] + run


def read_rows(path):
    with open(path) as stream:
        return [{key: float(value) for key, value in row.items()}
                for row in csv.DictReader(stream)]


def measure(map_name, workers, config, out, population, migrate_every):
    """(individuals/s, overhead ms per epoch round, checkpoint share) of one run."""
    subprocess.run(command(map_name, workers, config, out), cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    merged = read_rows(os.path.join(out, "logbook.csv"))
    islands = read_rows(os.path.join(out, "islands.csv"))
    if len(merged) < 3:
        raise SystemExit("too few epochs: raise --individuals or lower --migrate-every")
    first, last = merged[0], merged[-1]
    rate = (last["individuals"] - first["individuals"]) / (last["elapsed"] - first["elapsed"])
    per_island = {}
    for row in islands:
        per_island.setdefault(int(row["island"]), []).append(row)
    # an island's epoch k ends at population + k * migrate_every individuals (the budget
    # ends the last): its cumulative elapsed there
    ends = []
    for rows in per_island.values():
        times = [next(r["elapsed"] for r in rows
                      if r["individuals"] >= population + k * migrate_every
                      or r is rows[-1])
                 for k in range(1, len(merged) + 1)]
        ends.append([0.0] + times)
    combine = sum if map_name == "serial" else max
    overheads = [(b["elapsed"] - a["elapsed"])
                 - combine(island[r + 2] - island[r + 1] for island in ends)
                 for r, (a, b) in enumerate(zip(merged, merged[1:]))]
    with open(os.path.join(out, "result.json")) as stream:
        result = json.load(stream)
    return rate, 1000 * statistics.median(overheads), \
        result["checkpoint_seconds"] / result["seconds"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--individuals", type=float, default=2e6)
    parser.add_argument("--migrate-every", type=float, default=50000)
    parser.add_argument("--maps", nargs="+", default=["serial", "multiprocessing", "scoop"],
                        choices=["serial", "multiprocessing", "scoop"])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    rates = {}
    with tempfile.TemporaryDirectory() as directory:
        config = write_config(directory, args.workers, args.individuals, args.migrate_every)
        for round_number in range(args.rounds):
            for map_name in args.maps:
                out = os.path.join(directory, "%s-%d" % (map_name, round_number))
                rate, overhead, checkpoints = measure(map_name, args.workers, config, out,
                                                      1000, args.migrate_every)
                rates.setdefault(map_name, []).append(rate)
                print("round %d %-15s %9.0f individuals/s  epoch overhead %6.1f ms  "
                      "checkpoints %.2f%% of the run" % (round_number + 1, map_name, rate,
                                                         overhead, 100 * checkpoints),
                      flush=True)
    if "serial" in rates:
        serial = statistics.median(rates["serial"])
        for map_name in args.maps:
            if map_name != "serial":
                print("%-15s efficiency at %d workers: %.2f" % (
                    map_name, args.workers,
                    statistics.median(rates[map_name]) / (args.workers * serial)))


if __name__ == "__main__":
    main()
