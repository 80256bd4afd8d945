"""The command line (docs/design.md, "Experiments"): ``python -m azdeap run``,
``python azdeap/run.py``, scoop, --plot, --workers and one-line errors."""
import itertools
import json
import pathlib
import subprocess
import sys

import pytest
import yaml

from azdeap.config import config_from_dict
from azdeap.experiment import run_experiments

ROOT = pathlib.Path(__file__).resolve().parent.parent
RUN_PY = ROOT / "azdeap" / "run.py"
TIMEOUT = 120


def write_config(tmp_path, d, name="tiny.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(d, sort_keys=False))
    return path


@pytest.fixture
def tiny_yaml(tmp_path, tiny_config):
    """The tiny config (one experiment of 2000 individuals, seed 1) as a YAML file."""
    return write_config(tmp_path, tiny_config())


OUT = {}   # the current test's folder for run folders


@pytest.fixture(autouse=True)
def _run_folders_in_tmp(tmp_path):
    OUT["root"], OUT["count"] = tmp_path / "runs", itertools.count()


def run(args, cwd=ROOT, timeout=TIMEOUT):
    """``python ARGS``; a run gets ``--out`` in the test's temporary folder unless it
    has --out or --resume."""
    args = [str(a) for a in args]
    runs = "run" in args[:3] or any(a.endswith("run.py") for a in args)
    if runs and "--out" not in args and "--resume" not in args:
        args += ["--out", str(OUT["root"] / str(next(OUT["count"])))]
    return subprocess.run([sys.executable] + args, cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def assert_ran(proc):
    """A run to its end: the final fitness and the best algorithm printed, no traceback."""
    assert proc.returncode == 0, proc.stderr
    assert "final fitness" in proc.stdout
    assert "def Setup():" in proc.stdout
    assert "def Predict():" in proc.stdout and "def Learn():" in proc.stdout
    assert "Traceback" not in proc.stderr       # scoop prints its logs there, nothing else


def assert_one_line_error(proc, *words):
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("azdeap: error:")
    assert "Traceback" not in proc.stderr
    for word in words:
        assert word in lines[0]
    assert "final fitness" not in proc.stdout


# -- command line: python -m azdeap / python azdeap/run.py --------------------------------
def test_module_run(tiny_yaml):
    proc = run(["-m", "azdeap", "run", "--config", tiny_yaml])
    assert_ran(proc)
    assert "azdeap: seed 1" in proc.stdout
    assert "individuals" in proc.stdout          # the logbook header (not --quiet)
    assert "2000 individuals" in proc.stdout


def test_script_path_from_repo_root(tiny_yaml):
    proc = run(["azdeap/run.py", "--config", tiny_yaml, "--quiet"])
    assert_ran(proc)
    assert "train_steps" not in proc.stdout      # --quiet: no progress lines


def test_script_path_from_another_cwd(tmp_path, tiny_yaml):
    proc = run([RUN_PY, "--config", tiny_yaml, "--quiet"], cwd=tmp_path)
    assert_ran(proc)


def test_seed_option_overrides_config(tiny_yaml):
    proc = run(["-m", "azdeap", "run", "--config", tiny_yaml, "--seed", "7", "--quiet"])
    assert_ran(proc)
    assert "azdeap: seed 7" in proc.stdout
    assert "azdeap: seed 1" not in proc.stdout


def test_unknown_key_is_one_line_error(tmp_path, tiny_config):
    config = write_config(tmp_path, tiny_config(evolution={"populaton": 50}))
    proc = run(["-m", "azdeap", "run", "--config", config])
    assert_one_line_error(proc, "populaton", str(config))
    proc = run([RUN_PY, "--config", config], cwd=tmp_path)
    assert_one_line_error(proc, "populaton")


def test_missing_config_file(tmp_path):
    missing = tmp_path / "nope.yaml"
    proc = run(["-m", "azdeap", "run", "--config", missing])
    assert_one_line_error(proc, "nope.yaml")


def test_negative_seed_is_one_line_error(tiny_yaml):
    proc = run(["-m", "azdeap", "run", "--config", tiny_yaml,
                "--seed", "-3"])
    assert_one_line_error(proc, "--seed")


def test_missing_dataset_is_one_line_error(tmp_path, tiny_config):
    d = tiny_config()
    d["tasks"]["search"] = [{"kind": "projected", "count": 2, "features": 4, "train": 50,
                             "valid": 20, "dataset": str(tmp_path / "absent.npz")}]
    proc = run(["-m", "azdeap", "run", "--config", write_config(tmp_path, d)])
    assert_one_line_error(proc, "absent.npz")


def test_projected_dataset_from_the_command_line(tmp_path, blobs, tiny_config):
    spec = {"kind": "projected", "count": 3, "features": 4, "train": 100, "valid": 50,
            "dataset": str(blobs(tmp_path / "blobs.npz"))}
    d = tiny_config(tasks={"search": [spec], "select": [spec], "final": [dict(spec, count=2)]},
                    budget={"max_individuals": 200})
    proc = run(["-m", "azdeap", "run", "--config", write_config(tmp_path, d), "--quiet"],
               cwd=tmp_path)
    assert_ran(proc)
    assert "final fitness (2 unseen tasks)" in proc.stdout


def test_unknown_command():
    assert_one_line_error(run(["-m", "azdeap", "fly"]), "unknown command 'fly'", "run")


# -- scoop -----------------------------------------------------------------------------------
def test_scoop_spreads_one_search_over_its_workers_as_islands(tmp_path, tiny_config):
    """islands.count 2 under scoop -n 2: one experiment, its epochs on scoop's workers;
    FEC off, so the same run as in one process."""
    d = tiny_config(islands={"count": 2, "migrate_every": 300, "migrants": 5},
                    fitness={"fec": None})
    scoop = tmp_path / "scoop"
    proc = run(["-m", "scoop", "-n", "2", "azdeap/run.py", "--config", write_config(tmp_path, d),
                "--quiet", "--out", scoop])
    assert_ran(proc)
    assert "azdeap: seed 1, 2 islands" in proc.stdout
    alone = run_experiments(config_from_dict(d), verbose=False, log=lambda *_: None)
    assert (scoop / "best.txt").read_text() == str(alone.best) + "\n"
    result = json.loads((scoop / "result.json").read_text())
    assert result["experiments"] == 1 and result["islands"] == 2
    assert (result["select_fitness"], result["final_fitness"], result["individuals"]) == (
        alone.select_fitness, alone.final_fitness, alone.individuals)


def test_scoop_two_workers(tmp_path, tiny_config):
    config = write_config(tmp_path, tiny_config(evolution={"batch": 20}))
    proc = run(["-m", "scoop", "-n", "2", "azdeap/run.py", "--config", config, "--quiet"])
    assert_ran(proc)


# -- plot ------------------------------------------------------------------------------------
def test_plot_option_writes_a_png(tmp_path, tiny_yaml):
    png = tmp_path / "run.png"
    proc = run(["-m", "azdeap", "run", "--config", tiny_yaml, "--quiet", "--plot", png])
    assert_ran(proc)
    assert "plot: %s" % png in proc.stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_plot_without_matplotlib_fails_before_the_run(tmp_path, tiny_yaml):
    code = ("import sys; sys.modules['matplotlib'] = None; from azdeap import cli; "
            "sys.exit(cli.main(['--config', %r, '--plot', %r]))"
            % (str(tiny_yaml), str(tmp_path / "x.png")))
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=TIMEOUT)
    assert_one_line_error(proc, "matplotlib", "[plot]")
    assert "experiment 1" not in proc.stdout


def test_plot_into_a_missing_directory_fails_before_the_run(tmp_path, tiny_yaml):
    proc = run(["-m", "azdeap", "run", "--config", tiny_yaml,
                "--plot", str(tmp_path / "nowhere" / "x.png")])
    assert_one_line_error(proc, "--plot", "no such directory")
    assert "experiment 1" not in proc.stdout


def test_workers_option_runs_experiments_in_processes(tmp_path, tiny_config):
    config = write_config(tmp_path, tiny_config(experiments={"max": 2,
                                                             "sufficient_fitness": 1.0}))
    proc = run(["-m", "azdeap", "run", "--config", config, "--quiet", "--workers", "2"])
    assert_ran(proc)
    assert "2 experiments at a time" in proc.stdout
    assert proc.stdout.count("experiment ") >= 2 and "after 2 experiment(s)" in proc.stdout
    bad = run(["-m", "azdeap", "run", "--config", config, "--workers", "0"])
    assert_one_line_error(bad, "--workers")
