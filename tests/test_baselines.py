"""Baselines and constant tuning: logistic regression and the 2-layer net beat chance,
random search over constants, and the comparison the paper makes (azdeap.baselines)."""
import numpy as np
import pytest
import yaml

from azdeap import Evaluator, cli, reference
from azdeap.baselines import EVOLVED, compare_baselines, format_comparison
from azdeap.config import config_from_dict, load_config
from azdeap.datasets import load_dataset
from azdeap.experiment import ExperimentError
from azdeap.tasks import make_tasks
from azdeap.tuning import constant_fields, scale_constants, tune_constants


@pytest.fixture(scope="module")
def digit_tasks():
    data = load_dataset("digits")
    return make_tasks("projected", 4, 16, 200, 60, x=data.x, y=data.y, pairs="select")


@pytest.mark.parametrize("make", [reference.logistic_regression, reference.neural_network])
def test_baselines_beat_chance_on_digits(make, digit_tasks):
    algorithm = make()
    assert Evaluator(digit_tasks, algorithm.memory_used())(algorithm)[0] > 0.85


def test_logistic_regression_learns_its_bias():
    # all examples of class 1 and no signal in the features: only the bias can learn it
    rng = np.random.RandomState(0)
    from azdeap.tasks import Task
    task = Task("bias", rng.normal(size=(200, 3)) * 1e-9, np.ones(200),
                rng.normal(size=(50, 3)) * 1e-9, np.ones(50), classification=True)
    with_bias = reference.logistic_regression(0.1)
    assert Evaluator([task], with_bias.memory_used())(with_bias)[0] == 1.0
    assert "s1 = s1 + s3" in str(with_bias)


def test_constant_fields_are_the_real_values_of_each_data_kind():
    net = reference.neural_network(0.5)
    rows, columns = constant_fields(net)
    # v2 = gaussian(0.0, 0.1), m0 = gaussian(0.0, 0.1), s3 = 0.5
    assert list(zip(rows, columns)) == [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0)]
    text = ("def Setup():\n  v1[0.25] = 3.0\n  m0[0.5, 0.5] = 4.0\n  s2 = uniform(-1.0, 2.0)\n"
            "def Predict():\ndef Learn():")
    from azdeap.algorithm import Algorithm
    algorithm = Algorithm.from_text(text)
    scaled = scale_constants(algorithm, [10.0, 100.0, 2.0, 3.0])
    np.testing.assert_array_equal(scaled.data, [[0.25, 30.0, 0], [0.5, 0.5, 400.0],
                                                [-2.0, 6.0, 0]])
    np.testing.assert_array_equal(algorithm.data[0], [0.25, 3.0, 0])   # not changed
    with pytest.raises(ValueError, match="expected 4 factors"):
        scale_constants(algorithm, [1.0])


def learning_rate_of(algorithm):
    return algorithm.data[0, 0]


def test_tune_constants_searches_log_uniform_factors():
    start = reference.logistic_regression(1.0)
    seen = []

    def closeness_to_0_01(algorithms):   # the fitness: how close the rate is to 0.01
        seen.extend(learning_rate_of(a) for a in algorithms)
        return [(-abs(np.log10(learning_rate_of(a) / 0.01)),) for a in algorithms]
    best, fitness = tune_constants(start, closeness_to_0_01, trials=200, seed=3)
    assert len(seen) == 201 and seen[0] == 1.0
    factors = np.array(seen[1:])
    assert factors.min() >= 1e-3 and factors.max() <= 1e3
    # log-uniform: about a sixth of the factors in each decade
    counts = np.histogram(np.log10(factors), bins=6, range=(-3, 3))[0]
    assert counts.min() > 15
    assert abs(np.log10(learning_rate_of(best) / 0.01)) < 0.1 and fitness == max(
        -abs(np.log10(s / 0.01)) for s in seen)
    again, _ = tune_constants(start, closeness_to_0_01, trials=200, seed=3)
    assert again == best
    flat, value = tune_constants(start, lambda algs: [(0.5,)] * len(algs), trials=5)
    assert flat is start and value == 0.5          # a tie keeps the algorithm given
    assert tune_constants(start, closeness_to_0_01, trials=0)[0] is start
    with pytest.raises(ValueError, match="trials must be an integer >= 0, got -1"):
        tune_constants(start, closeness_to_0_01, trials=-1)


def test_tuning_improves_a_badly_set_baseline(digit_tasks):
    bad = reference.neural_network(1e-6)     # learns nothing: chance
    evaluate = Evaluator(digit_tasks, bad.memory_used()).evaluate_batch
    before = evaluate([bad])[0][0]
    tuned, after = tune_constants(bad, evaluate, trials=10, seed=1)
    assert before < 0.6 and after > 0.85 and tuned.data[2, 0] > 1e-6


def digits_config(tiny_config, **changes):
    spec = {"kind": "projected", "dataset": "digits", "features": 8, "train": 100, "valid": 30}
    sections = dict(
        memory={"scalars": 5, "vectors": 3, "matrices": 0},
        tasks={"search": dict(spec, pairs="search", count=3),
               "select": dict(spec, pairs="select", count=3),
               "final": dict(spec, pairs="select", count=3, valid_from="test")},
        fitness={"combination": "median"}, budget={"max_individuals": 400},
        evolution={"population": 100, "batch": 50}, experiments={"max": 2})
    return tiny_config(**dict(sections, **changes))


def test_compare_baselines_measures_three_models_on_unseen_tasks(tiny_config):
    lines = []
    comparison = compare_baselines(config_from_dict(digits_config(tiny_config)),
                                   repetitions=3, trials=4, log=lines.append)
    assert list(comparison.accuracies) == [EVOLVED, "logistic regression", "2-layer net"]
    assert all(len(values) == 3 and all(0 <= v <= 1 for v in values)
               for values in comparison.accuracies.values())
    assert len(comparison.candidates_select) == 2
    assert comparison.select[EVOLVED] >= max(comparison.candidates_select)   # tuned too
    assert comparison.beat_net == sum(f > comparison.select["2-layer net"]
                                      for f in comparison.candidates_select)
    for name in ("logistic regression", "2-layer net"):
        assert np.mean(comparison.accuracies[name]) > 0.6     # chance is 0.5
    assert sum(line.startswith("experiment") for line in lines) == 2
    table = format_comparison(comparison, 3)
    assert "of 2 search experiments beat the tuned 2-layer net" in table
    assert "3 unseen tasks, 3 task seeds" in table and "def Setup():" in table
    again = compare_baselines(config_from_dict(digits_config(tiny_config)), repetitions=3,
                              trials=4, log=lines.append)
    assert again.accuracies == comparison.accuracies    # the config's seed fixes everything


def test_compare_baselines_needs_experiments(tiny_config):
    config = config_from_dict(digits_config(tiny_config, experiments={"max": 0}))
    with pytest.raises(ExperimentError, match=r"^experiments: expected an integer >= 1, got 0 "
                                              r"\(set experiments.max or --experiments\)$"):
        compare_baselines(config, log=lambda line: None)
    with pytest.raises(ExperimentError, match="repetitions: expected an integer >= 1"):
        compare_baselines(config, 1, repetitions=0, log=lambda line: None)


def test_baselines_command_prints_the_table(tmp_path, capsys, tiny_config):
    path = tmp_path / "digits.yaml"
    path.write_text(yaml.safe_dump(digits_config(tiny_config)))
    assert cli.main(["baselines", "--config", str(path), "--quiet", "--experiments", "1",
                     "--repetitions", "2", "--trials", "2"]) == 0
    out = capsys.readouterr().out
    assert "best evolved (of 1 experiment), tuned" in out and "logistic regression, tuned" in out
    assert "of 1 search experiments beat the tuned 2-layer net" in out
    assert cli.main(["baselines", "--config", str(path), "--experiments", "0"]) == 2
    assert capsys.readouterr().err.strip() == (
        "azdeap: error: experiments: expected an integer >= 1, got 0 "
        "(set experiments.max or --experiments)")


def test_shipped_digits_config_is_the_papers_shape():
    config = load_config("configs/digits.yaml")
    search, select, final = (config.tasks.search[0], config.tasks.select[0],
                             config.tasks.final[0])
    assert config.fitness.combination == "mean" and search.features == 16
    assert (search.pairs, select.pairs, final.pairs) == ("search", "select", "select")
    assert final.valid_from == "test" and search.dataset == "digits"


def test_compare_baselines_on_multiclass_tasks_uses_their_multiclass_forms(tiny_config):
    """On multi-class tasks the baselines are softmax regression and the softmax net,
    both well above chance (0.1) once tuned."""
    spec = {"kind": "projected", "dataset": "digits", "classes": "all", "features": 16,
            "train": 300, "valid": 100, "epochs": 3}
    config = config_from_dict(tiny_config(
        memory={"scalars": 4, "vectors": 6, "matrices": 2},
        tasks={"search": dict(spec, count=1), "select": dict(spec, count=1, param_seeds=[7]),
               "final": dict(spec, count=1, valid_from="test")},
        budget={"max_individuals": 200}, evolution={"population": 100, "batch": 50},
        experiments={"max": 1}))
    comparison = compare_baselines(config, repetitions=2, trials=3, log=lambda line: None)
    assert "v1" in str(comparison.algorithms["logistic regression"])   # the one-hot label
    assert str(comparison.algorithms["2-layer net"]).count("outer(") == 2
    for name in ("logistic regression", "2-layer net"):
        assert min(comparison.accuracies[name]) > 0.5
