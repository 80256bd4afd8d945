"""The show command and listing files (azdeap.listing)."""
import pathlib

import pytest
import yaml

from azdeap import reference
from azdeap.cli import main
from azdeap.config import Config
from azdeap.evaluator import Evaluator
from azdeap.experiment import ExperimentError, build_tasks
from azdeap.listing import describe, read_listing, task_fitness

FIGURE_S1A = pathlib.Path(__file__).resolve().parent / "data" / "figure_s1a.txt"


def test_show_prints_size_memory_and_the_listing_with_roles(capsys):
    assert main(["show", str(FIGURE_S1A)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == ("%s: 26 instructions (Setup 4, Predict 6, Learn 16); memory: 8 scalars, "
                      "13 vectors, 3 matrices" % FIGURE_S1A)
    assert out[1] == "live: 17 instructions (Setup 0, Predict 5, Learn 12); memory: 8 scalars, " \
                     "12 vectors, 3 matrices"
    assert "  s6 = cos(s4)" in out and "  s1 = dot(v6, v1)  # prediction" in out
    assert main(["show", str(FIGURE_S1A), "--simplify"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "  s6 = cos(s4)" not in out and out[2:4] == ["def Setup():", "def Predict():"]
    assert len(out) == 2 + 3 + 17


def test_show_with_a_config_prints_the_fitness_of_each_task_group(tmp_path, tiny_config,
                                                                    capsys):
    config_path = tmp_path / "tiny.yaml"
    config_path.write_text(yaml.safe_dump(tiny_config(memory={"scalars": 5}), sort_keys=False))
    listing = tmp_path / "best.txt"
    listing.write_text(str(reference.linear_regressor(0.1)))
    assert main(["show", str(listing), "--config", str(config_path)]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith("fitness on %s: search 0.9" % config_path)
    assert ", select 0.9" in last and ", final 0.9" in last


def test_task_fitness_is_the_evaluators_mean():
    config = Config()
    algorithm = reference.linear_regressor(0.01)
    tasks = build_tasks(config.tasks.final)
    want = Evaluator(tasks, config.memory._replace(scalars=5), seed=0)(algorithm)[0]
    got = task_fitness(algorithm, Config(memory=config.memory._replace(scalars=5)))
    assert got["final"] == want and set(got) == {"search", "select", "final"}


def test_describe():
    assert describe(reference.linear_regressor()) == (
        "6 instructions (Setup 1, Predict 1, Learn 4); memory: 5 scalars, 3 vectors, 0 matrices")


@pytest.mark.parametrize("text, args, message", [
    (None, [], "best.txt: no such file"),
    ("def Setup():\n  s1 =\n", [], "best.txt: line 2: 's1 =' continues on no instruction"),
    (str(reference.linear_regressor()), ["--config", "{config}"],
     "memory (4, 3, 1): "),
])
def test_show_errors_are_one_line(tmp_path, tiny_config, capsys, text, args, message):
    path = tmp_path / "best.txt"
    if text is not None:
        path.write_text(text)
    config_path = tmp_path / "tiny.yaml"
    config_path.write_text(yaml.safe_dump(tiny_config(), sort_keys=False))
    args = [arg.format(config=config_path) for arg in args]
    assert main(["show", str(path)] + args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err


def test_read_listing_raises_experiment_errors(tmp_path):
    with pytest.raises(ExperimentError, match="is a directory|cannot read"):
        read_listing(str(tmp_path))
    assert read_listing(str(FIGURE_S1A)).sizes == (4, 6, 16)
