"""Bad input at the boundary (issue 11): one clear error line naming the problem and where,
never a crash of the process, a traceback for a user error or a silently wrong answer."""
import copy
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import yaml

from azdeap import Algorithm, Individual, cli
from azdeap.config import ConfigError, config_from_dict, load_config
from azdeap.experiment import ExperimentError, build_tasks, run_experiments
from azdeap.notation import NotationError
from azdeap.plot import plot_logbooks
from azdeap.tasks import Task, make_tasks, projected_binary_classification, \
    scalar_linear_regression

ROOT = pathlib.Path(__file__).resolve().parent.parent
TIMEOUT = 120
LINEAR = {"kind": "linear", "count": 2, "features": 4, "train": 20, "valid": 20}
TINY = {
    "seed": 1,
    "tasks": {"search": [LINEAR], "select": [LINEAR], "final": [LINEAR],
              "randomize_seeds": False},
    "evolution": {"population": 10, "tournament": 2, "batch": 10},
    "budget": {"max_train_steps": None, "max_individuals": 20},
    "experiments": {"max": 1},
}


def tiny(**tasks):
    """The tiny config dict, with some task groups replaced."""
    d = copy.deepcopy(TINY)
    d["tasks"].update(tasks)
    return d


def write_config(tmp_path, d):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(d))
    return path


def one_line(text):
    lines = text.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in text, text
    return lines[0]


@pytest.fixture(autouse=True)
def _run_folders_in_tmp(tmp_path_factory, monkeypatch):
    """Run folders of ``run_cli`` go to a temporary folder of their own."""
    runs = tmp_path_factory.mktemp("runs")
    count = iter(range(1000))
    monkeypatch.setattr(cli, "default_path", lambda config: str(runs / str(next(count))))


def run_cli(capsys, *args):
    """(exit status, the one stderr line, stdout) of ``python -m azdeap run ARGS``."""
    status = cli.main(["run", "--quiet"] + [str(a) for a in args])
    out, err = capsys.readouterr()
    return status, (one_line(err) if err.strip() else ""), out


def blobs(path, classes=(0, 1), n=40, d=6):
    rng = np.random.RandomState(0)
    y = np.repeat(classes, n)
    np.savez(path, x=rng.normal(size=(len(y), d)) + y[:, None], y=y)
    return str(path)


# -- Algorithm: arrays the kernel can run, or one error line ------------------------------
ONE_ROW = (np.zeros((1, 4), np.int32), np.zeros((1, 3)))


@pytest.mark.parametrize("sizes, error, words", [
    ((-5, 6, 0), ValueError, "sizes must be >= 0"),
    ((1, 0), TypeError, "sizes must be 3 integers"),
    ((1.0, 0, 0), TypeError, "sizes must be 3 integers"),
    (None, TypeError, "sizes must be 3 integers"),
])
def test_algorithm_rejects_bad_sizes(sizes, error, words):
    with pytest.raises(error, match=words):
        Algorithm(*ONE_ROW, sizes)
    with pytest.raises(error, match=words):
        Individual(None, None, sizes)


@pytest.mark.parametrize("code, data, error, words", [
    (np.zeros((2, 4), np.int32), ONE_ROW[1], ValueError,
     r"code must have shape \(1, 4\) and data \(1, 3\) for sizes \(1, 0, 0\), got \(2, 4\)"),
    (ONE_ROW[0], np.zeros(3), ValueError, r"got \(1, 4\) and \(3,\)"),
    (np.zeros((1, 4)), ONE_ROW[1], TypeError, "code must hold integers, got float64"),
    (ONE_ROW[0], np.array([["a", "b", "c"]]), TypeError, "data must hold real numbers"),
    ([[0, 0, 0, [1]]], ONE_ROW[1], TypeError, "code must be an array of numbers, got list"),
    (ONE_ROW[0], [[None, 0, 0]], TypeError, "data must be an array of numbers, got list"),
    ([[65, 0, 0, 1]], ONE_ROW[1], ValueError, r"code\[0, 0\] \(op\) must be in 0\.\.64, got 65"),
    ([[1, -1, 0, 1]], ONE_ROW[1], ValueError, r"code\[0, 1\] \(in1\) must be in 0\.\.2147483647"),
    (np.array([[56, 0, 0, 2**32 + 1]]), ONE_ROW[1], ValueError, r"code\[0, 3\] \(out\)"),
])
def test_algorithm_rejects_bad_arrays(code, data, error, words):
    with pytest.raises(error, match=words) as raised:
        Algorithm(code, data, (1, 0, 0))
    assert "\n" not in str(raised.value)


def test_algorithm_accepts_lists_and_keeps_its_types():
    alg = Algorithm([[56, 0, 0, 2]], [[1, 0, 0]], [1, 0, 0])
    assert alg.code.dtype == np.int32 and alg.data.dtype == np.float64
    assert alg.sizes == (1, 0, 0) and str(alg).splitlines()[1].strip() == "s2 = 1.0"
    assert Algorithm(np.zeros((0, 4), np.int64), np.zeros((0, 3)), (0, 0, 0)) == Algorithm()


def test_negative_sizes_no_longer_reach_the_kernel():
    """Evaluating such an algorithm in a batch, or fitting a Learner with it, crashed the
    process (segfault): construction refuses it, in a fresh process too."""
    code = ("import numpy as np; from azdeap import Algorithm\n"
            "try:\n    Algorithm(np.zeros((1, 4), np.int32), np.zeros((1, 3)), (-5, 6, 0))\n"
            "except ValueError as e:\n    print(e)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=TIMEOUT)
    assert proc.returncode == 0 and "sizes must be >= 0" in proc.stdout, proc.stderr


# -- Task: data the kernel can run, or one error line naming the task and the array -------
def task(name="t", n_features=3, n_train=5, n_valid=4, classification=False, **arrays):
    fields = {"train_x": np.ones((n_train, n_features)), "train_y": np.zeros(n_train),
              "valid_x": np.ones((n_valid, n_features)), "valid_y": np.zeros(n_valid)}
    fields.update(arrays)
    return Task(name, classification=classification, **fields)


@pytest.mark.parametrize("kwargs, words", [
    ({"n_features": 0}, "task 't': needs at least 1 feature"),
    ({"n_train": 0}, "task 't': needs at least 1 training example"),
    ({"n_valid": 0}, "task 't': needs at least 1 validation example"),
    ({"classification": True, "train_y": np.array([0, 1, 2, 0, 1.0])},
     "task 't': train_y: classification labels must be 0 or 1, got 2.0"),
    ({"classification": True, "n_valid": 0}, "task 't': needs at least 1 validation example"),
    ({"train_x": np.full((5, 3), np.nan)}, "task 't': train_x contains NaN or infinite"),
    ({"valid_y": np.array([0, 0, np.inf, 0])}, "task 't': valid_y contains NaN or infinite"),
])
def test_task_rejects_bad_data(kwargs, words):
    with pytest.raises(ValueError, match=words) as raised:
        task(**kwargs)
    assert "\n" not in str(raised.value)


def test_task_rejects_text():
    with pytest.raises(TypeError, match="task 't': train_x must hold real numbers"):
        task(train_x=[["a"] * 3] * 5)


def test_task_accepts_good_data():
    t = task(classification=True, train_y=np.array([0, 1, 1, 0, 1]))
    assert t.n_features == 3 and t.n_train == 5 and t.n_valid == 4 and t.classification


# -- projected tasks: every named class must be in the data ------------------------------
def test_class_pair_naming_an_absent_class_is_an_error(tmp_path):
    x = np.random.RandomState(0).normal(size=(100, 5))
    y = np.repeat([0, 1], 50)
    with pytest.raises(ValueError, match=r"class 7 is not in y \(classes: 0, 1\)"):
        projected_binary_classification(x, y, (0, 7), 3, 10, 10)
    with pytest.raises(ValueError, match="class 7"):
        make_tasks("projected", 1, 3, 10, 10, x=x, y=y, class_pairs=[(0, 7)])
    spec = {"kind": "projected", "count": 1, "features": 3, "train": 10, "valid": 10,
            "dataset": blobs(tmp_path / "b.npz"), "class_pairs": [[7, 0]]}
    with pytest.raises(ExperimentError,
                       match=r"^tasks.search\[0\] \(projected\): class 7 is not in y"):
        build_tasks(config_from_dict(tiny(search=[spec])).tasks.search, where="tasks.search")


def test_dataset_with_nan_or_text_is_an_error(tmp_path):
    np.savez(tmp_path / "nan.npz", x=np.full((4, 2), np.nan), y=np.zeros(4))
    np.savez(tmp_path / "text.npz", x=np.array([["a", "b"]] * 4), y=np.zeros(4))
    spec = {"kind": "projected", "count": 1, "features": 2, "train": 2, "valid": 2}
    for name, words in (("nan", "x contains NaN or infinite values"),
                        ("text", "x must hold numbers")):
        specs = config_from_dict(tiny(final=[dict(
            spec, dataset=str(tmp_path / (name + ".npz")))])).tasks.final
        with pytest.raises(ExperimentError,
                           match=r"tasks.final\[0\] \(projected\): dataset .*: " + words):
            build_tasks(specs, where="tasks.final")


# -- notation ---------------------------------------------------------------------------
def test_address_too_large_for_int32_is_a_notation_error():
    text = "def Setup():\n  s99999999999 = 1.0\ndef Predict():\ndef Learn():"
    with pytest.raises(NotationError, match=r"line 2: address s99999999999 too large"):
        Algorithm.from_text(text)


def test_from_text_needs_a_string():
    with pytest.raises(TypeError, match="text must be a str .*, got NoneType"):
        Algorithm.from_text(None)


# -- config files -----------------------------------------------------------------------
def test_config_that_is_not_utf8(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("seed: 1\n# caf\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=r"latin1.yaml: line 2: not UTF-8 text \(byte 0xe9\)$"
                       ) as raised:
        load_config(path)
    assert "\n" not in str(raised.value)


# -- seeds: 0 <= seed < 2**63 everywhere ---------------------------------------------------
@pytest.mark.parametrize("d, where", [
    ({"seed": -1}, "seed"), ({"seed": 2**63}, "seed"),
    (tiny(search=[dict(LINEAR, param_seeds=[2**63])]), r"tasks.search\[0\].param_seeds\[0\]"),
    (tiny(final=[dict(LINEAR, data_seeds=[5, -2])]), r"tasks.final\[0\].data_seeds\[1\]"),
])
def test_config_seeds_out_of_range(d, where):
    with pytest.raises(ConfigError, match="<dict>: %s: expected an integer in "
                                          "0..9223372036854775807, got " % where):
        config_from_dict(d)


def test_config_seed_at_the_limit_is_fine():
    assert config_from_dict({"seed": 2**63 - 1}).seed == 2**63 - 1


@pytest.mark.parametrize("seed", [-3, 2**63])
def test_seed_option_out_of_range(capsys, seed):
    status, error, out = run_cli(capsys, "--seed", seed)
    assert status == 2 and error == ("azdeap: error: --seed: expected an integer in "
                                     "0..9223372036854775807, got %d" % seed)
    assert "azdeap: seed" not in out


def test_task_seeds_out_of_range():
    with pytest.raises(ValueError, match=r"param_seed must be an integer in 0\.\.2\*\*63-1, "
                                         r"got -1"):
        scalar_linear_regression(4, 10, 10, param_seed=-1)
    with pytest.raises(ValueError, match=r"data_seeds\[1\] must be an integer in "):
        make_tasks("teacher", 2, 4, 10, 10, data_seeds=[1, 2**64])
    with pytest.raises(TypeError, match=r"param_seeds\[0\] must be an integer"):
        make_tasks("linear", 1, 4, 10, 10, param_seeds=[1.5])


# -- --plot -------------------------------------------------------------------------------
@pytest.mark.parametrize("where, problem", [
    (".", "is a directory"),
    ("a_file/x.png", "no such directory"),
    ("nowhere/x.png", "no such directory"),
    ("/sys/x.png", "cannot write: "),     # even for root
])
def test_plot_path_is_checked_before_the_run(capsys, tmp_path, where, problem):
    pytest.importorskip("matplotlib")
    (tmp_path / "a_file").write_text("")
    plot = tmp_path / where
    status, error, out = run_cli(capsys, "--config", write_config(tmp_path, TINY),
                                 "--plot", plot)
    assert status == 2 and error.startswith("azdeap: error: --plot %s: %s" % (plot, problem))
    assert "experiment 1" not in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file", "config.yaml"]


def test_plot_that_fails_to_write_leaves_no_file(capsys, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(Figure, "savefig", full_disk)
    plot = tmp_path / "x.png"
    status, error, out = run_cli(capsys, "--config", write_config(tmp_path, TINY),
                                 "--plot", plot)
    assert status == 2
    assert error == "azdeap: error: --plot %s: cannot write: No space left on device" % plot
    assert "final fitness" in out         # the run's result was printed before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.yaml"]


def test_plot_logbooks_onto_a_directory_leaves_no_file(tmp_path):
    pytest.importorskip("matplotlib")
    result = run_experiments(config_from_dict(TINY), verbose=False, log=lambda line: None)
    (tmp_path / "x.png").mkdir()
    with pytest.raises(OSError):
        plot_logbooks(result.logbooks, tmp_path / "x.png")
    assert [p.name for p in tmp_path.iterdir()] == ["x.png"]


# -- Ctrl-C while python -m azdeap imports ---------------------------------------------------
@pytest.mark.parametrize("module", ["deap", "yaml"])
def test_ctrl_c_during_imports(tmp_path, module):
    """A KeyboardInterrupt raised by a dependency's import (deap: while the package
    loads; yaml: while the command line loads)."""
    (tmp_path / (module + ".py")).write_text("raise KeyboardInterrupt\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT)]))
    for args in (["-m", "azdeap", "run"], [str(ROOT / "azdeap" / "run.py")]):
        proc = subprocess.run([sys.executable] + args, capture_output=True, text=True,
                              env=env, cwd=tmp_path, timeout=TIMEOUT)
        assert proc.returncode == 130 and one_line(proc.stderr) == "azdeap: interrupted"


def test_ctrl_c_during_an_import_by_another_program_is_left_alone(tmp_path):
    (tmp_path / "deap.py").write_text("raise KeyboardInterrupt\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT)]))
    proc = subprocess.run([sys.executable, "-c", "import azdeap; azdeap.Algorithm"],
                          capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=TIMEOUT)
    assert "KeyboardInterrupt" in proc.stderr and proc.returncode != 130


# -- the driver checks every task spec before the search ------------------------------------
@pytest.mark.parametrize("group", ["select", "final"])
def test_missing_dataset_is_found_before_the_search(tmp_path, group):
    spec = {"kind": "projected", "count": 1, "features": 3, "train": 10, "valid": 10,
            "dataset": str(tmp_path / "absent.npz")}
    lines = []
    with pytest.raises(ExperimentError, match=r"^tasks.%s\[1\] \(projected\): dataset "
                                              r".*absent.npz: no such file$" % group):
        run_experiments(config_from_dict(tiny(**{group: [LINEAR, spec]})), verbose=False,
                        log=lines.append)
    assert not any(line.startswith("experiment") for line in lines)


def test_absent_class_in_final_tasks_is_found_before_the_search(capsys, tmp_path):
    spec = {"kind": "projected", "count": 1, "features": 3, "train": 10, "valid": 10,
            "dataset": blobs(tmp_path / "b.npz"), "class_pairs": [[0, 3]]}
    status, error, out = run_cli(capsys, "--config", write_config(tmp_path, tiny(final=[spec])))
    assert status == 2
    assert error == ("azdeap: error: tasks.final[0] (projected): class 3 is not in y "
                     "(classes: 0, 1)")
    assert "experiment 1" not in out


@pytest.mark.parametrize("changes", [
    {"memory": {"scalars": 10**12}},
    {"tasks": {"search": [dict(LINEAR, count=10000, train=100000, features=256)]}},
])
def test_absurd_sizes_are_refused_before_allocating(capsys, tmp_path, changes):
    d = tiny()
    for key, value in changes.items():
        d[key] = dict(d.get(key, {}), **value)
    with pytest.raises(ExperimentError, match=r"^one experiment needs about [\d.]+ GiB "
                                              r"\(memory, task arrays, population\), more "
                                              r"than the limit of [\d.]+ GiB"):
        run_experiments(config_from_dict(d), verbose=False, log=lambda line: None)
    status, error, out = run_cli(capsys, "--config", write_config(tmp_path, d))
    assert status == 2 and "GiB" in error and "experiment 1" not in out


# -- scoop --------------------------------------------------------------------------------
def test_scoop_prints_the_error_line_though_its_exit_status_is_0(tmp_path):
    config = write_config(tmp_path, dict(TINY, seed=-1))
    proc = subprocess.run([sys.executable, "-m", "scoop", "-n", "1", "azdeap/run.py",
                           "--config", config], cwd=ROOT, capture_output=True, text=True,
                          timeout=TIMEOUT)
    assert proc.returncode == 0       # scoop's launcher, whatever the run did (documented)
    assert "azdeap: error: %s: seed: expected an integer in 0..9223372036854775807, got -1" \
        % config in proc.stderr
    assert "Traceback" not in proc.stderr
