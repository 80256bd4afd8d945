"""The run folder (docs/parallel.md, "The run folder"): its files, checkpoints, resuming
after kill -9, bad checkpoints, Ctrl-C and failures."""
import csv
import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import pytest
import yaml

from azdeap import Algorithm, cli, experiment
from azdeap.config import load_config
from azdeap.experiment import ExperimentError
from azdeap.notation import format_algorithm
from azdeap.runfolder import CHECKPOINT, RunFolder, write_atomic

ROOT = pathlib.Path(__file__).resolve().parent.parent


def write_config(tmp_path, d, name="run.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(d, sort_keys=False))
    return path


def main(capsys, *args):
    """(exit status, stdout, stderr) of ``python -m azdeap run --quiet ARGS``, in process."""
    status = cli.main(["run", "--quiet"] + [str(a) for a in args])
    out, err = capsys.readouterr()
    return status, out, err


def rows(path, drop=("elapsed",)):
    with open(path) as stream:
        return [{k: v for k, v in row.items() if k not in drop} for row in csv.DictReader(stream)]


def test_the_run_folder_holds_config_logbooks_best_result_checkpoint(capsys, tmp_path,
                                                                    tiny_config):
    d = tiny_config(seed=None, experiments={"max": 2}, budget={"max_individuals": 600},
                    islands={"count": 2, "migrate_every": 200, "migrants": 5})
    out = tmp_path / "run"
    status, stdout, _ = main(capsys, "--config", write_config(tmp_path, d), "--out", out)
    assert status == 0 and "run folder: %s" % out in stdout
    names = {"config.yaml", "logbook.csv", "islands.csv", "best.txt", "result.json",
             CHECKPOINT}
    assert names <= {p.name for p in out.iterdir()} <= names | {"plot.png"}
    config = load_config(out / "config.yaml")   # resolved: the time-based seed written
    seed = int(stdout.split("azdeap: seed ")[1].split(",")[0])
    assert config.seed == seed and config.islands.count == 2
    result = json.loads((out / "result.json").read_text())
    assert result["status"] == "finished" and result["seed"] == seed
    assert result["experiments"] == 2 and result["individuals"] == 2 * 600
    assert [e["experiment"] for e in result["per_experiment"]] == [1, 2]
    assert set(result["versions"]) >= {"azdeap", "numpy", "numba", "deap", "python"}
    best = Algorithm.from_text((out / "best.txt").read_text())
    simple = format_algorithm(best.simplified(exact_draws=True), roles=True)
    assert simple in stdout   # printed at the end without dead code
    assert "final fitness (5 unseen tasks): %.6f" % result["final_fitness"] in stdout
    merged, islands = rows(out / "logbook.csv"), rows(out / "islands.csv")
    assert {r["experiment"] for r in merged} == {"1", "2"}
    assert {(r["experiment"], r["island"]) for r in islands} == {
        (e, i) for e in "12" for i in "01"}
    assert merged[-1]["individuals"] == "600"
    pytest.importorskip("matplotlib")
    assert (out / "plot.png").stat().st_size > 0


def test_out_holding_a_run_and_resume_with_a_config_are_one_line_errors(capsys, tmp_path,
                                                                        tiny_config):
    config = write_config(tmp_path, tiny_config(budget={"max_individuals": 100}))
    out = tmp_path / "run"
    assert main(capsys, "--config", config, "--out", out)[0] == 0
    status, _, err = main(capsys, "--config", config, "--out", out)
    assert status == 2 and err == ("azdeap: error: --out %s: already holds a run (continue "
                                   "it with --resume %s, or choose another folder)\n"
                                   % (out, out))
    status, _, err = main(capsys, "--resume", out, "--config", config)
    assert status == 2 and "drop --config, --seed and --out" in err
    status, _, err = main(capsys, "--resume", out)
    assert status == 2 and err == ("azdeap: error: --resume %s: the run already finished "
                                   "(result.json)\n" % out)


@pytest.mark.parametrize("islands", [1, 3])
def test_a_run_killed_and_resumed_ends_as_an_uninterrupted_run(capsys, tmp_path, tiny_config,
                                                                islands):
    """SIGKILL after the first checkpoint, then --resume: the same best algorithm and
    fitness, and the logbooks continue the old ones (FEC on, caches in the checkpoint)."""
    d = tiny_config(seed=3, experiments={"max": 2}, budget={"max_individuals": 20000},
                    islands={"count": islands, "migrate_every": 1000, "migrants": 5},
                    checkpoint_every=0, progress_every=2000)
    d["tasks"]["randomize_seeds"] = True
    config = write_config(tmp_path, d)
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    process = subprocess.Popen([sys.executable, "-m", "azdeap", "run", "--quiet", "--config",
                                str(config), "--out", str(killed)], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not (killed / CHECKPOINT).exists() and process.poll() is None \
            and time.monotonic() < deadline:
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)   # just after its first checkpoint
    assert process.wait(60) == -signal.SIGKILL, process.stderr.read()
    process.stderr.close()
    assert not (killed / "result.json").exists()   # killed in the middle of the run
    status, out, err = main(capsys, "--resume", killed)
    assert status == 0, err
    assert "azdeap: resuming %s" % killed in out
    assert main(capsys, "--config", config, "--out", whole)[0] == 0
    assert (killed / "best.txt").read_text() == (whole / "best.txt").read_text()
    resumed, uninterrupted = (json.loads((path / "result.json").read_text())
                              for path in (killed, whole))
    for key in ("best_fitness", "select_fitness", "final_fitness", "individuals",
                "experiments"):
        assert resumed[key] == uninterrupted[key], key
    drop = ("elapsed", "seconds")
    assert [dict(e, seconds=0) for e in resumed["per_experiment"]] == \
        [dict(e, seconds=0) for e in uninterrupted["per_experiment"]]
    for name in ("logbook.csv", "islands.csv"):
        assert rows(killed / name, drop) == rows(whole / name, drop)


def _finished_run(capsys, tmp_path, tiny_config):
    """A run folder whose run stopped after its first checkpoint (as if killed)."""
    d = tiny_config(budget={"max_individuals": 400}, islands={"migrate_every": 100},
                    checkpoint_every=0)
    out = tmp_path / "run"
    assert main(capsys, "--config", write_config(tmp_path, d), "--out", out)[0] == 0
    os.unlink(out / "result.json")
    return out


@pytest.mark.parametrize("damage, problem", [
    (lambda data: data[:len(data) // 2], "corrupt or truncated checkpoint"),
    (lambda data: data[:-1] + bytes([data[-1] ^ 1]), "corrupt or truncated checkpoint"),
    (lambda data: b"\x80\x04K\x01.", "not an azdeap checkpoint"),
    (lambda data: b"", "not an azdeap checkpoint"),
])
def test_a_bad_checkpoint_is_one_line_naming_it_and_nothing_is_overwritten(
        capsys, tmp_path, tiny_config, damage, problem):
    out = _finished_run(capsys, tmp_path, tiny_config)
    path = out / CHECKPOINT
    path.write_bytes(damage(path.read_bytes()))
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    status, stdout, err = main(capsys, "--resume", out)
    assert status == 2 and err.startswith("azdeap: error: %s: %s" % (path, problem))
    assert err.count("\n") == 1 and stdout == ""
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_foreign_pickle_with_a_valid_header_is_refused(capsys, tmp_path, tiny_config):
    import hashlib
    import pickle
    out = _finished_run(capsys, tmp_path, tiny_config)
    payload = pickle.dumps({"state": "not a run", "caches": {}})
    write_atomic(str(out / CHECKPOINT), b"azdeap checkpoint 1\n" +
                 hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)
    with pytest.raises(ExperimentError, match="not an azdeap checkpoint"):
        RunFolder(str(out)).load_checkpoint()
    status, _, err = main(capsys, "--resume", tmp_path / "nowhere")
    assert status == 2 and "cannot read" in err and "nowhere" in err


def _interrupt_after(monkeypatch, rounds, error):
    real = experiment._epoch_round
    calls = []

    def epoch_round(*args, **kwargs):
        calls.append(1)
        if len(calls) > rounds:
            raise error
        return real(*args, **kwargs)
    monkeypatch.setattr(experiment, "_epoch_round", epoch_round)


def test_ctrl_c_saves_the_best_so_far_and_says_where(capsys, monkeypatch, tmp_path,
                                                     tiny_config):
    _interrupt_after(monkeypatch, 3, KeyboardInterrupt())
    d = tiny_config(budget={"max_individuals": 5000}, islands={"migrate_every": 200})
    out = tmp_path / "run"
    status, stdout, err = main(capsys, "--config", write_config(tmp_path, d), "--out", out)
    assert status == 130 and err == "azdeap: interrupted\n"
    assert "the best so far is in %s (best.txt)" % out in stdout
    result = json.loads((out / "result.json").read_text())
    assert result["status"] == "interrupted" and result["best_fitness_on"] == "search"
    best = Algorithm.from_text((out / "best.txt").read_text())
    assert len(best) > 0 and result["individuals"] == 50 + 3 * 200
    assert rows(out / "islands.csv")[-1]["individuals"] == "650"


def test_an_error_during_the_run_leaves_a_failed_marker(capsys, monkeypatch, tmp_path,
                                                        tiny_config):
    _interrupt_after(monkeypatch, 0, ExperimentError("the disk went away"))
    out = tmp_path / "run"
    status, _, err = main(capsys, "--config", write_config(tmp_path, tiny_config()),
                          "--out", out)
    assert status == 2 and err == "azdeap: error: the disk went away\n"
    assert (out / "FAILED").read_text() == "ExperimentError: the disk went away\n"


def test_a_run_that_failed_before_its_first_checkpoint_starts_again_in_its_folder(
        capsys, monkeypatch, tmp_path, tiny_config):
    """Nothing to resume there, so --out may take the folder again; the new run removes
    the old FAILED marker."""
    _interrupt_after(monkeypatch, 0, ExperimentError("the disk went away"))
    out, config = tmp_path / "run", write_config(tmp_path, tiny_config())
    assert main(capsys, "--config", config, "--out", out)[0] == 2
    assert (out / "FAILED").exists() and not (out / CHECKPOINT).exists()
    monkeypatch.undo()
    status, _, err = main(capsys, "--config", config, "--out", out)
    assert status == 0 and err == ""
    assert not (out / "FAILED").exists()
    assert json.loads((out / "result.json").read_text())["status"] == "finished"
    status, _, err = main(capsys, "--config", config, "--out", out)   # finished: refused
    assert status == 2 and "already holds a run" in err
