"""The run folder: what a run leaves behind, and its checkpoint.

A folder holds ``config.yaml`` (the config as resolved, with its seed),
``checkpoint.pkl``, and at the end (or on Ctrl-C) ``logbook.csv`` (merged over the
islands), ``islands.csv`` (per island), ``best.txt`` (the best algorithm in the paper's
notation), ``result.json`` and ``plot.png`` (when matplotlib is installed); ``FAILED``
when the run stopped on an error.  Every file is written to a temporary file first and
renamed into place, so none is ever half-written.

Checkpoints are pickles: load them only from folders you trust.
"""
import csv
import hashlib
import io
import itertools
import json
import os
import pickle
import platform
import tempfile
import time
from typing import Optional

import numpy as np

import azdeap
from azdeap.config import dump_config
from azdeap.experiment import ExperimentError, RunState
from azdeap.lineage import format_ancestry, plot_ancestry
from azdeap.plot import plot_logbooks

CHECKPOINT = "checkpoint.pkl"
MAGIC = b"azdeap checkpoint 1\n"


def write_atomic(path: str, data: bytes) -> None:
    """Write data to path through a temporary file in the same folder and a rename."""
    directory = os.path.dirname(os.path.abspath(path))
    with tempfile.NamedTemporaryFile(dir=directory, prefix=".tmp-", delete=False) as stream:
        try:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        except BaseException:
            stream.close()
            os.unlink(stream.name)
            raise
    os.replace(stream.name, path)


def check_output_path(path: str, option: str) -> None:
    """ExperimentError, one line naming the option, if a file cannot be made at path
    because it is a directory or its directory is missing (checked before long work)."""
    problem = ("is a directory" if os.path.isdir(path)
               else None if os.path.isdir(os.path.dirname(os.path.abspath(path)))
               else "no such directory")
    if problem:
        raise ExperimentError("%s %s: %s" % (option, path, problem))


def default_path(config_path: Optional[str]) -> str:
    """``runs/<config name>-<timestamp>`` (``demo`` without a config file)."""
    name = os.path.splitext(os.path.basename(config_path))[0] if config_path else "demo"
    base = path = os.path.join("runs", "%s-%s" % (name, time.strftime("%Y%m%d-%H%M%S")))
    for number in itertools.count(2):   # two runs started in one second
        if not os.path.exists(path):
            return path
        path = "%s-%d" % (base, number)


def _ancestry_text(best) -> str:
    """ancestry.txt: the best algorithm's discoveries (``format_ancestry``) under a head
    saying how to read them, and the algorithm's own fitness and number."""
    node = best.lineage
    return ("# The ancestry of the algorithm of best.txt: its ancestors fitter on T_search "
            "than all before\n# them, oldest first, each with the instructions its mutation "
            "added (+) and removed (-).\n# Individual N: the Nth of the island that made it "
            "(0: initial; docs/design.md, \"Search loop\").\n# best.txt: fitness %.6f  "
            "individual %d\n%s\n" % (node.fitness.values[0], node.born, format_ancestry(best)))


def _versions():
    import deap
    import numba
    return {"azdeap": azdeap.__version__, "python": platform.python_version(),
            "numpy": np.__version__, "numba": numba.__version__, "deap": deap.__version__}


class RunFolder:
    """The folder of one run, at ``path``."""

    def __init__(self, path: str):
        self.path = path
        self.started = False   # by start() or load_checkpoint(): FAILED may be written

    def file(self, name: str) -> str:
        return os.path.join(self.path, name)

    def check_new(self) -> None:
        """ExperimentError if the folder already holds a run: one to resume (a checkpoint)
        or a finished one.  A run stopped before its first checkpoint may start again."""
        if os.path.exists(self.file(CHECKPOINT)) or self._status() == "finished":
            raise ExperimentError("--out %s: already holds a run (continue it with --resume "
                                  "%s, or choose another folder)" % (self.path, self.path))

    def start(self, config) -> None:
        """Make the folder and write config.yaml (the config as the run resolved it, seed
        included); ExperimentError if it cannot be made or already holds a run."""
        self.check_new()
        try:
            os.makedirs(self.path, exist_ok=True)
            write_atomic(self.file("config.yaml"), dump_config(config).encode())
            self._forget_failure()
        except OSError as error:
            raise ExperimentError("--out %s: cannot write: %s"
                                  % (self.path, error.strerror or error)) from None
        self.started = True

    def save_checkpoint(self, state: RunState, caches: dict) -> None:
        """Write checkpoint.pkl atomically: the run state and the FEC caches given."""
        payload = pickle.dumps({"state": state, "caches": caches}, pickle.HIGHEST_PROTOCOL)
        digest = hashlib.sha256(payload).hexdigest().encode()
        write_atomic(self.file(CHECKPOINT), MAGIC + digest + b"\n" + payload)

    def load_checkpoint(self):
        """(RunState, caches) of checkpoint.pkl; ExperimentError, one line naming the
        file, if it is missing, truncated, corrupt or not an azdeap checkpoint, or if the
        run already finished."""
        path = self.file(CHECKPOINT)
        if self._status() == "finished":
            raise ExperimentError("--resume %s: the run already finished (result.json)"
                                  % self.path)
        try:
            with open(path, "rb") as stream:
                data = stream.read()
        except OSError as error:
            raise ExperimentError("--resume %s: cannot read %s: %s" % (
                self.path, path, error.strerror or error)) from None
        if not data.startswith(MAGIC):
            raise ExperimentError("%s: not an azdeap checkpoint" % path)
        digest, _, payload = data[len(MAGIC):].partition(b"\n")
        if hashlib.sha256(payload).hexdigest().encode() != digest:
            raise ExperimentError("%s: corrupt or truncated checkpoint (checksum mismatch)"
                                  % path)
        try:
            content = pickle.loads(payload)
            state, caches = content["state"], content["caches"]
        except Exception as error:  # an unpicklable checkpoint of another version
            raise ExperimentError("%s: unreadable checkpoint (%s: %s)"
                                  % (path, type(error).__name__, error)) from None
        if not isinstance(state, RunState):
            raise ExperimentError("%s: not an azdeap checkpoint" % path)
        self._forget_failure()
        self.started = True
        return state, caches

    def _forget_failure(self):
        """Remove the FAILED marker of an earlier attempt: the run goes on (a marker that
        cannot be removed is left, it stops nothing)."""
        try:
            os.remove(self.file("FAILED"))
        except OSError:
            pass

    def _status(self) -> Optional[str]:
        """result.json's status, None without a readable one."""
        try:
            with open(self.file("result.json")) as stream:
                return json.load(stream).get("status")
        except (OSError, ValueError, AttributeError):
            return None

    def _write_logbooks(self, state: RunState) -> None:
        merged = [(number, None, logbook) for number, logbook in enumerate(
            state.logbooks + [e.merged for e in state.round], 1)]
        per_island = [(number, island, logbook) for number, logbooks in enumerate(
            state.island_logbooks + [e.logbooks for e in state.round], 1)
            for island, logbook in enumerate(logbooks)]
        for name, rows, first in (("logbook.csv", merged, ["experiment"]),
                                  ("islands.csv", per_island, ["experiment", "island"])):
            text = io.StringIO()
            writer = None
            for number, island, logbook in rows:
                for record in logbook:
                    if writer is None:
                        writer = csv.DictWriter(text, first + list(record), lineterminator="\n")
                        writer.writeheader()
                    writer.writerow(dict(record, experiment=number, **(
                        {} if island is None else {"island": island})))
            write_atomic(self.file(name), text.getvalue().encode())

    def _write_summary(self, state: RunState, status: str, result=None) -> Optional[str]:
        """logbooks, best.txt (and ancestry.txt) and result.json; returns best.txt's path
        (None if no best)."""
        self._write_logbooks(state)
        best, fitness, what = state.best_so_far()
        summary = {"status": status, "seed": state.config.seed,
                   "islands": state.config.islands.count,
                   "experiments": state.experiments, "seconds": round(state.seconds, 3),
                   "checkpoint_seconds": round(state.checkpoint_seconds, 3),
                   "individuals": state.individuals + sum(
                       e.counts()["individuals"] for e in state.round),
                   "best_fitness": fitness, "best_fitness_on": what,
                   "select_fitness": None if state.best is None else state.best_select,
                   "final_fitness": None if result is None else result.final_fitness,
                   "per_experiment": state.summaries, "versions": _versions()}
        path = None
        if best is not None:
            path = self.file("best.txt")
            write_atomic(path, (str(best) + "\n").encode())
            if state.config.evolution.lineage:
                write_atomic(self.file("ancestry.txt"), _ancestry_text(best).encode())
        write_atomic(self.file("result.json"), (json.dumps(summary, indent=2) + "\n").encode())
        return path

    def write_result(self, state: RunState, result) -> None:
        """The files of a finished run, and the plots when matplotlib is installed."""
        self._write_summary(state, "finished", result)
        plots = [(plot_logbooks, result.logbooks, "plot.png")]
        if state.config.evolution.lineage:
            plots.append((plot_ancestry, result.best, "ancestry.png"))
        for plot, what, name in plots:
            try:
                plot(what, self.file(name))
            except (ImportError, OSError):
                pass   # a plot is a bonus: no matplotlib, or no room, is no failure

    def write_interrupted(self, state: RunState) -> None:
        """The files of a run stopped by Ctrl-C: the best so far and the logbooks."""
        self._write_summary(state, "interrupted")

    def write_failed(self, message: str) -> None:
        """FAILED, holding the error (scoop's exit status is 0 even then)."""
        write_atomic(self.file("FAILED"), (message + "\n").encode())

