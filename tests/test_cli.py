"""The experiment driver and the command line (docs/design.md, "Experiments"):
run_experiments, Result, datasets, ``python -m azdeap run``, ``python azdeap/run.py`` and
scoop."""
import copy
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import yaml

from azdeap.algorithm import Individual
from azdeap.config import config_from_dict
from azdeap.experiment import ExperimentError, Result, build_tasks, load_dataset, \
    run_experiments

ROOT = pathlib.Path(__file__).resolve().parent.parent
RUN_PY = ROOT / "azdeap" / "run.py"
TIMEOUT = 120

TINY = {
    "seed": 1,
    "tasks": {
        "search": [{"kind": "linear", "count": 3, "features": 4, "train": 100, "valid": 100}],
        "select": [{"kind": "linear", "count": 5, "features": 4, "train": 100, "valid": 100}],
        "final": [{"kind": "linear", "count": 5, "features": 4, "train": 100, "valid": 100,
                   "param_seeds": [2000000], "data_seeds": [1000000]}],
        "randomize_seeds": False,
    },
    "evolution": {"population": 50, "tournament": 5, "batch": 10},
    "budget": {"max_train_steps": None, "max_individuals": 2000},
    "experiments": {"max": 1},
    "progress_every": 500,
}


def tiny(**changes):
    """The tiny config dict with top-level sections updated (shallowly) from changes."""
    d = copy.deepcopy(TINY)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(d.get(key), dict):
            d[key].update(value)
        else:
            d[key] = value
    return d


def write_config(tmp_path, d, name="tiny.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(d, sort_keys=False))
    return path


def run(args, cwd=ROOT, timeout=TIMEOUT):
    return subprocess.run([sys.executable] + [str(a) for a in args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def assert_ran(proc):
    assert proc.returncode == 0, proc.stderr
    assert "final fitness" in proc.stdout
    assert "def Setup():" in proc.stdout
    assert "Traceback" not in proc.stderr       # scoop prints its logs there, nothing else
    assert "def Predict():" in proc.stdout and "def Learn():" in proc.stdout
    assert "Traceback" not in proc.stderr


def assert_one_line_error(proc, *words):
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("azdeap: error:")
    assert "Traceback" not in proc.stderr
    for word in words:
        assert word in lines[0]
    assert "final fitness" not in proc.stdout


def blobs(path, n=300, d=10, classes=3, seed=0, **extra):
    """Gaussian blobs: `classes` classes of n // classes rows in D dimensions."""
    rng = np.random.RandomState(seed)
    centers = rng.normal(0, 3, (classes, d))
    y = np.repeat(np.arange(classes), n // classes)
    x = centers[y] + rng.normal(0, 1, (len(y), d))
    np.savez(path, x=x, y=y, **extra)
    return path


# -- command line: python -m azdeap / python azdeap/run.py --------------------------------
def test_module_run(tmp_path):
    proc = run(["-m", "azdeap", "run", "--config", write_config(tmp_path, TINY)])
    assert_ran(proc)
    assert "azdeap: seed 1" in proc.stdout
    assert "individuals" in proc.stdout          # the logbook header (not --quiet)
    assert "2000 individuals" in proc.stdout


def test_script_path_from_repo_root(tmp_path):
    proc = run(["azdeap/run.py", "--config", write_config(tmp_path, TINY), "--quiet"])
    assert_ran(proc)
    assert "train_steps" not in proc.stdout      # --quiet: no progress lines


def test_script_path_from_another_cwd(tmp_path):
    proc = run([RUN_PY, "--config", write_config(tmp_path, TINY), "--quiet"], cwd=tmp_path)
    assert_ran(proc)


def test_seed_option_overrides_config(tmp_path):
    config = write_config(tmp_path, TINY)
    proc = run(["-m", "azdeap", "run", "--config", config, "--seed", "7", "--quiet"])
    assert_ran(proc)
    assert "azdeap: seed 7" in proc.stdout
    assert "azdeap: seed 1" not in proc.stdout


def test_unknown_key_is_one_line_error(tmp_path):
    config = write_config(tmp_path, tiny(evolution={"populaton": 50}))
    proc = run(["-m", "azdeap", "run", "--config", config])
    assert_one_line_error(proc, "populaton", str(config))
    proc = run([RUN_PY, "--config", config], cwd=tmp_path)
    assert_one_line_error(proc, "populaton")


def test_missing_config_file(tmp_path):
    missing = tmp_path / "nope.yaml"
    proc = run(["-m", "azdeap", "run", "--config", missing])
    assert_one_line_error(proc, "nope.yaml")


def test_negative_seed_is_one_line_error(tmp_path):
    proc = run(["-m", "azdeap", "run", "--config", write_config(tmp_path, TINY),
                "--seed", "-3"])
    assert_one_line_error(proc, "--seed")


def test_missing_dataset_is_one_line_error(tmp_path):
    d = tiny()
    d["tasks"]["search"] = [{"kind": "projected", "count": 2, "features": 4, "train": 50,
                             "valid": 20, "dataset": str(tmp_path / "absent.npz")}]
    proc = run(["-m", "azdeap", "run", "--config", write_config(tmp_path, d)])
    assert_one_line_error(proc, "absent.npz")


def test_unknown_command():
    proc = run(["-m", "azdeap", "fly"])
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("azdeap: error:") and "fly" in proc.stderr


# -- datasets ----------------------------------------------------------------------------
def test_load_dataset(tmp_path):
    x, y = load_dataset(blobs(tmp_path / "blobs.npz"))
    assert x.shape == (300, 10) and y.shape == (300,)


def test_load_dataset_errors(tmp_path):
    np.savez(tmp_path / "no_y.npz", x=np.zeros((10, 3)))
    with pytest.raises(ExperimentError, match="y"):
        load_dataset(tmp_path / "no_y.npz")
    np.savez(tmp_path / "rows.npz", x=np.zeros((10, 3)), y=np.zeros(9))
    with pytest.raises(ExperimentError, match="rows"):
        load_dataset(tmp_path / "rows.npz")
    (tmp_path / "text.npz").write_text("not a zip file")
    with pytest.raises(ExperimentError):
        load_dataset(tmp_path / "text.npz")
    with pytest.raises(ExperimentError, match="no such file"):
        load_dataset(tmp_path / "absent.npz")


def test_build_tasks_wraps_task_errors(tmp_path):
    path = blobs(tmp_path / "small.npz", n=30)          # 10 rows per class
    spec = config_from_dict(tiny(tasks={"search": [
        {"kind": "projected", "count": 1, "features": 4, "train": 50, "valid": 20,
         "dataset": str(path)}]})).tasks.search
    with pytest.raises(ExperimentError, match="projected"):
        build_tasks(spec)


def test_projected_dataset_runs(tmp_path):
    path = str(blobs(tmp_path / "blobs.npz"))
    spec = {"kind": "projected", "count": 3, "features": 4, "train": 100, "valid": 50,
            "dataset": path}
    d = tiny(tasks={"search": [spec], "select": [spec], "final": [dict(spec, count=2)]},
             budget={"max_individuals": 600})
    lines = []
    result = run_experiments(config_from_dict(d), verbose=False, log=lines.append)
    assert 0.0 <= result.final_fitness <= 1.0
    assert 0.0 <= result.select_fitness <= 1.0
    assert result.individuals == 600
    assert any(line.startswith("final fitness (2 unseen tasks)") for line in lines)
    # the same config through the command line
    d["budget"]["max_individuals"] = 200
    proc = run(["-m", "azdeap", "run", "--config", write_config(tmp_path, d), "--quiet"],
               cwd=tmp_path)
    assert_ran(proc)


# -- run_experiments and Result ------------------------------------------------------------
def test_result_fields():
    lines = []
    result = run_experiments(config_from_dict(TINY), verbose=False, log=lines.append)
    assert isinstance(result, Result)
    assert set(Result._fields) == {"best", "select_fitness", "final_fitness", "experiments",
                                   "individuals", "seconds", "logbooks"}
    assert isinstance(result.best, Individual) and result.best.fitness.valid
    assert 0.0 <= result.select_fitness <= 1.0 and 0.0 <= result.final_fitness <= 1.0
    assert result.experiments == 1
    assert result.individuals == 2000
    assert result.seconds > 0
    assert len(result.logbooks) == 1
    assert result.logbooks[0][-1]["individuals"] == 2000
    assert lines[0] == "azdeap: seed 1"
    assert lines[-1] == str(result.best)
    assert any("final fitness (5 unseen tasks): %.6f" % result.final_fitness in line
               for line in lines)


def test_same_seed_same_result():
    first = run_experiments(config_from_dict(TINY), verbose=False, log=lambda *_: None)
    second = run_experiments(config_from_dict(TINY), verbose=False, log=lambda *_: None)
    assert first.final_fitness == second.final_fitness
    assert first.select_fitness == second.select_fitness
    assert first.best == second.best and str(first.best) == str(second.best)
    other = run_experiments(config_from_dict(tiny(seed=2)), verbose=False,
                            log=lambda *_: None)
    assert other.best != first.best


def test_experiments_repeat_until_max_or_sufficient():
    low_budget = {"max_individuals": 300}
    lines = []
    result = run_experiments(
        config_from_dict(tiny(budget=low_budget, experiments={"max": 3})),
        verbose=False, log=lines.append)
    assert result.experiments == 3 and result.individuals == 900
    assert len(result.logbooks) == 3
    # the best select fitness over the experiments is kept
    selects = [float(line.split("select fitness ")[1].split(",")[0])
               for line in lines if line.startswith("experiment ")]
    assert len(selects) == 3
    assert result.select_fitness == pytest.approx(max(selects), abs=1e-6)
    # sufficient_fitness 0 is exceeded by the first candidate (strict >): one experiment
    result = run_experiments(
        config_from_dict(tiny(budget=low_budget,
                              experiments={"max": 3, "sufficient_fitness": 0.0})),
        verbose=False, log=lambda *_: None)
    assert result.experiments == 1 and result.individuals == 300


def test_experiments_run_in_parallel_reproducibly():
    """workers=2 runs two experiments per round; a process pool gives the same result."""
    import multiprocessing
    config = config_from_dict(tiny(budget={"max_individuals": 300},
                                   experiments={"max": 3, "sufficient_fitness": 1.0}))
    lines = []
    serial = run_experiments(config, workers=2, verbose=False, log=lines.append)
    assert lines[0] == "azdeap: seed 1, 2 experiments at a time"
    assert serial.experiments == 3 and len(serial.logbooks) == 3   # rounds of 2, then 1
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        parallel = run_experiments(config, pool.map, workers=2, verbose=False,
                                   log=lambda *_: None)
    assert (parallel.best, parallel.select_fitness, parallel.final_fitness) == (
        serial.best, serial.select_fitness, serial.final_fitness)
    assert [log[-1]["best"] for log in parallel.logbooks] == [
        log[-1]["best"] for log in serial.logbooks]


# -- scoop -----------------------------------------------------------------------------------
def test_scoop_two_workers(tmp_path):
    config = write_config(tmp_path, tiny(evolution={"batch": 20}))
    proc = run(["-m", "scoop", "-n", "2", "azdeap/run.py", "--config", config, "--quiet"])
    assert proc.returncode == 0, proc.stderr
    assert "final fitness" in proc.stdout
    assert "def Setup():" in proc.stdout
    assert "Traceback" not in proc.stderr       # scoop prints its logs there, nothing else



# -- plot ------------------------------------------------------------------------------------
def test_plot_option_writes_a_png(tmp_path):
    png = tmp_path / "run.png"
    proc = run(["-m", "azdeap", "run", "--config", write_config(tmp_path, tiny()), "--quiet",
                "--plot", str(png)])
    assert_ran(proc)
    assert "plot: %s" % png in proc.stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_plot_without_matplotlib_fails_before_the_run(tmp_path):
    config = write_config(tmp_path, tiny())
    code = ("import sys; sys.modules['matplotlib'] = None; from azdeap import cli; "
            "sys.exit(cli.main(['--config', %r, '--plot', %r]))"
            % (str(config), str(tmp_path / "x.png")))
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=TIMEOUT)
    assert_one_line_error(proc, "matplotlib", "[plot]")
    assert "experiment 1" not in proc.stdout


def test_plot_into_a_missing_directory_fails_before_the_run(tmp_path):
    proc = run(["-m", "azdeap", "run", "--config", write_config(tmp_path, tiny()),
                "--plot", str(tmp_path / "nowhere" / "x.png")])
    assert_one_line_error(proc, "--plot", "no such directory")
    assert "experiment 1" not in proc.stdout


def test_workers_option_runs_experiments_in_processes(tmp_path):
    config = write_config(tmp_path, tiny(experiments={"max": 2, "sufficient_fitness": 1.0}))
    proc = run(["-m", "azdeap", "run", "--config", config, "--quiet", "--workers", "2"])
    assert_ran(proc)
    assert "2 experiments at a time" in proc.stdout
    assert proc.stdout.count("experiment ") >= 2 and "after 2 experiment(s)" in proc.stdout
    bad = run(["-m", "azdeap", "run", "--config", config, "--workers", "0"])
    assert_one_line_error(bad, "--workers")
