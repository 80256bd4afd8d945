"""The scripts in examples/ run on a tiny budget and print what they promise."""
import importlib.util
import math
import pathlib
import re
import subprocess
import sys

import pytest
from deap import creator

import azdeap
from azdeap import mutation, selection, tasks

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"
FLOAT = r"[-+]?\d+\.\d+"


def load(name):
    """Import examples/<name>.py as a module (examples/ is not a package)."""
    spec = importlib.util.spec_from_file_location("example_" + name, EXAMPLES / (name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def listings(text):
    """Every algorithm listing printed in text, parsed with Algorithm.from_text."""
    blocks = re.findall(r"^def Setup\(\):\n(?:.*\n)*?def Learn\(\):\n(?:  .*\n?)*", text, re.M)
    return [azdeap.Algorithm.from_text(block) for block in blocks]


def test_quickstart_prints_a_parsable_best_and_its_unseen_fitness(capsys):
    result = load("quickstart").main(budget=400, seed=3, population_size=40, verbose=True)
    out = capsys.readouterr().out
    assert result["logbook"][-1]["individuals"] >= 400
    assert "individuals" in out.splitlines()[0]          # the logbook header was printed
    (printed,) = listings(out)
    best = result["best"]
    assert printed == best and isinstance(best, azdeap.Individual)
    assert 0.0 <= result["search_fitness"] <= 1.0
    assert result["search_fitness"] == max(row["best"] for row in result["logbook"])
    final = float(re.search(r"final fitness on 100 unseen tasks: (%s)" % FLOAT, out).group(1))
    assert 0.0 <= final <= 1.0 and final == pytest.approx(result["final_fitness"], abs=1e-6)
    unseen = tasks.make_tasks("linear", 100, 4, 1000, 100, param_seeds=[2000000],
                              data_seeds=[1000000])
    assert azdeap.evaluate(printed, unseen) == pytest.approx(final, abs=1e-6)


def test_deap_algorithms_run_easimple_and_eamupluslambda(capsys):
    module = load("deap_algorithms")
    results = module.main(generations=2, mu=20, lambda_=40, verbose=False)
    out = capsys.readouterr().out
    assert set(results) == {"eaSimple", "eaMuPlusLambda"}
    printed = listings(out)
    assert printed == [results["eaSimple"], results["eaMuPlusLambda"]]
    for best in results.values():
        assert type(best) is creator.AZIndividual and isinstance(best, azdeap.Algorithm)
        assert best.fitness.valid and 0.0 <= best.fitness.values[0] <= 1.0
        assert best.sizes == (5, 1, 4)
    a, b = object(), object()
    assert module.no_crossover(a, b) == (a, b)


def test_compare_selection_schemes_differ_by_one_registration(capsys):
    module = load("compare_selection")
    space = azdeap.SearchSpace(azdeap.Memory(4, 3, 1), (("SCALAR_CONST_SET",),) * 3,
                               (2, 2, 2), (2, 2, 2), (3, 3, 3))
    evaluator = azdeap.Evaluator(tasks.make_tasks("linear", 1, 4, 10, 10), space.memory)
    base = module.make_toolbox("regularized", space, evaluator)
    assert base.select.func is selection.selAgingTournament
    assert base.replace.func is selection.replaceOldest
    assert module.make_toolbox("non-aging", space, evaluator).replace.func is selection.replaceWorst
    random_search = module.make_toolbox("random", space, evaluator)
    assert random_search.mutate.func is mutation.mutRandomizeAlgorithm
    assert random_search.replace.func is selection.replaceOldest

    medians = module.main(budget=200, seeds=(1, 2), population_size=20)
    out = capsys.readouterr().out
    assert list(medians) == ["regularized", "non-aging", "random"]
    for scheme, median in medians.items():
        row = re.search(r"^%s\s+(%s)\s+(%s) (%s)$" % (scheme, FLOAT, FLOAT, FLOAT), out, re.M)
        assert row, out
        per_seed = sorted(float(x) for x in row.groups()[1:])
        assert 0.0 <= median <= 1.0
        assert float(row.group(1)) == pytest.approx(median, abs=1e-6)
        assert median == pytest.approx(sum(per_seed) / 2, abs=2e-6)  # median of two


def test_learner_fits_regression_and_classification(capsys):
    module = load("learner")
    result = module.main(n_train=1000, seed=0)
    out = capsys.readouterr().out
    (printed,) = listings(out)
    assert printed == azdeap.Algorithm.from_text(module.LINEAR_REGRESSOR)
    assert printed.data[0, 0] == 0.1                    # Setup: s2 = 0.1
    assert result["rmse"] < 0.05                        # labels have std ~1
    assert result["accuracy"] > 0.85                    # Bayes accuracy ~0.92
    rmse = float(re.search(r"test RMSE (%s)" % FLOAT, out).group(1))
    assert rmse == pytest.approx(result["rmse"], abs=1e-4)
    assert "memory (5, 3, 0)" in out                     # what the algorithm uses
    assert result["multiclass_accuracy"] > 0.75         # 4 classes: chance 0.25
    assert "multi-class: 4 classes, memory (3, 5, 2)" in out


def test_islands_runs_one_search_on_several_islands(capsys, tmp_path):
    result = load("islands").main(islands=3, workers=1, individuals=6000, seed=2,
                                  out=str(tmp_path / "run"))
    out = capsys.readouterr().out
    assert result.experiments == 1 and result.individuals >= 6000
    assert len(result.island_logbooks[0]) == 3
    assert [log[-1]["individuals"] for log in result.island_logbooks[0]] == [2000] * 3
    assert len(result.logbooks[0]) == 3     # a merged record per round: 1400, 1800, 2000 each
    (printed,) = listings(out)   # without dead code; best.txt holds the whole listing
    assert printed == result.best.simplified(exact_draws=True)
    assert azdeap.Algorithm.from_text((tmp_path / "run" / "best.txt").read_text()) == result.best


@pytest.mark.parametrize("script, args", [
    ("quickstart.py", ["300", "--seed", "2"]),
    ("islands.py", ["--islands", "2", "--workers", "1", "--individuals", "3000"]),
    ("deap_algorithms.py", ["1"]),
    ("compare_selection.py", ["200", "--seeds", "1"]),
    ("learner.py", ["300"]),
])
def test_examples_run_as_scripts(script, args):
    done = subprocess.run([sys.executable, str(EXAMPLES / script)] + args, capture_output=True,
                          text=True, timeout=120, cwd=EXAMPLES.parent)
    assert done.returncode == 0, done.stderr
    if script == "compare_selection.py":
        assert re.search(r"^regularized\s+%s" % FLOAT, done.stdout, re.M), done.stdout
    else:
        assert listings(done.stdout), done.stdout
    numbers = [float(x) for x in re.findall(r"fitness (?:on \d+ unseen tasks: )?(%s)" % FLOAT,
                                           done.stdout)]
    assert all(0.0 <= x <= 1.0 and not math.isnan(x) for x in numbers)


def test_scoop_demo_script_is_valid_bash_running_run_py_under_scoop():
    script = EXAMPLES / "scoop_demo.sh"
    assert subprocess.run(["bash", "-n", str(script)]).returncode == 0
    text = script.read_text()
    assert "python -m scoop -n" in text and "azdeap/run.py --config" in text
    assert (EXAMPLES.parent / "configs" / "demo.yaml").exists()

