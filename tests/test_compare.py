"""The compare command (azdeap.compare): schemes on the same seeds and budget."""
import math
import sys
import types

import pytest
import yaml

from azdeap import compare
from azdeap.cli import main
from azdeap.compare import SchemeRun, format_summary, run_scheme, scheme_config, summarize
from azdeap.config import load_config
from azdeap.selection import replaceWorst as replace_worst


@pytest.fixture
def tiny_yaml(tmp_path, tiny_config):
    """One tiny config: 300 individuals, a population of 50, records every 50."""
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(tiny_config(
        budget={"max_individuals": 300}, experiments={"max": 1, "sufficient_fitness": 0.3},
        progress_every=50), sort_keys=False))
    return str(path)


def test_schemes_share_the_initial_population_and_differ_in_one_piece(tiny_yaml,
                                                                       monkeypatch):
    config = load_config(tiny_yaml)
    replaced = []
    monkeypatch.setattr(compare, "replaceWorst",
                        lambda population, offspring: replaced.append(len(offspring))
                        or replace_worst(population, offspring))
    runs = {scheme: run_scheme(config, scheme, 3) for scheme in compare.SCHEMES}
    assert len({run.best[0] for run in runs.values()}) == 1     # the same population
    assert runs["tournament"].individuals == runs["regularized"].individuals
    assert runs["regularized"].individuals == [50, 100, 150, 200, 250, 300]
    assert sum(replaced) == 250                                 # tournament alone
    again = run_scheme(config, "regularized", 3)                # seeded: the same run
    assert again._replace(seconds=[]) == runs["regularized"]._replace(seconds=[])
    for run in runs.values():
        assert run.best == sorted(run.best)                     # best seen so far
    random_search = scheme_config(config, "random").evolution
    assert random_search.mutations == ("randomize_algorithm",)
    assert random_search.mutate_prob == 1.0
    assert scheme_config(config, "tournament") is config


def test_summary_counts_successes_and_medians():
    runs = [SchemeRun("regularized", 1, [10, 20, 30], [0.5, 1.0, 1.5], [0.1, 0.95, 0.99]),
            SchemeRun("regularized", 2, [10, 20, 30], [0.5, 1.0, 1.5], [0.1, 0.2, 0.91]),
            SchemeRun("regularized", 3, [10, 20, 30], [0.5, 1.0, 1.5], [0.1, 0.2, 0.3]),
            SchemeRun("random", 1, [10, 20, 30], [0.1, 0.2, 0.3], [0.1, 0.2, 0.3])]
    table = summarize(runs, 0.9)
    assert table["regularized"] == {"success": 2, "runs": 3, "individuals": 30,
                                    "seconds": 1.5, "best": 0.91}
    assert table["random"]["success"] == 0 and math.isinf(table["random"]["individuals"])
    text = format_summary(table, 0.9)
    assert "regularized       2/3" in text and "not reached" in text
    assert "x the individuals" not in text        # random never succeeded: no ratio
    runs.append(SchemeRun("random", 2, [50], [1.0], [0.95]))
    runs.append(SchemeRun("random", 3, [80], [1.0], [0.95]))
    assert "random search needs 2.7x the individuals of regularized evolution" in \
        format_summary(summarize(runs, 0.9), 0.9)


def test_the_command_prints_a_row_per_scheme_and_plots(tiny_yaml, tmp_path, capsys):
    plot = tmp_path / "compare.png"
    assert main(["compare", "--config", tiny_yaml, "--schemes", "regularized,random",
                 "--seeds", "2", "--plot", str(plot)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "compare: %s, schemes regularized, random, seeds 1..2" % tiny_yaml
    assert [line.split()[:2] for line in out[2:4]] == [["regularized", "2/2"],
                                                        ["random", "2/2"]]
    assert plot.stat().st_size > 1000 and out[-1] == "plot: %s" % plot


@pytest.mark.parametrize("args, message", [
    (["--schemes", "regularized,annealing"], "--schemes: unknown scheme(s) 'annealing'"),
    (["--seeds", "0"], "--seeds: expected an integer >= 1, got 0"),
    (["--workers", "0"], "--workers: expected an integer >= 1"),
    (["--plot", "{tmp}/missing/compare.png"], "no such directory"),
])
def test_command_errors_are_one_line_before_any_run(tiny_yaml, tmp_path, capsys, args,
                                                    message, monkeypatch):
    monkeypatch.setattr(compare, "run_scheme", lambda *job: pytest.fail("ran"))
    args = [arg.format(tmp=tmp_path) for arg in args]
    assert main(["compare", "--config", tiny_yaml] + args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err


def test_workers_run_the_jobs_in_a_spawned_pool(tiny_yaml, tmp_path, monkeypatch, capsys):
    """--workers W maps the runs over a pool of W spawned processes (a pool that maps in
    this process here: the runs are functions of their arguments)."""
    pools = []

    class Pool:
        def __init__(self, processes):
            pools.append(processes)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def map(self, function, jobs, chunksize=None):
            return list(map(function, jobs))

    monkeypatch.setattr(compare.multiprocessing, "get_context",
                        lambda method: method == "spawn" and types.SimpleNamespace(Pool=Pool))
    args = ["compare", "--config", tiny_yaml, "--schemes", "tournament", "--seeds", "2",
            "--plot", str(tmp_path / "c.png")]
    assert main(args + ["--workers", "2"]) == 0
    pooled = capsys.readouterr().out
    assert pools == [2]
    assert main(args) == 0 and pools == [2]
    alone = capsys.readouterr().out
    # the same runs: the same successes and best fitness (the seconds may differ)
    assert [line.split()[:2] + line.split()[-1:] for line in pooled.splitlines()[2:3]] == \
        [line.split()[:2] + line.split()[-1:] for line in alone.splitlines()[2:3]]


def test_no_plot_without_matplotlib(tiny_yaml, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)     # as if not installed
    plot = tmp_path / "compare.png"
    assert main(["compare", "--config", tiny_yaml, "--schemes", "random", "--seeds", "1",
                 "--plot", str(plot)]) == 0
    out = capsys.readouterr().out
    assert "compare: no plot (matplotlib is not installed)" in out and not plot.exists()
