"""Tests of azdeap.config: the shipped configs, defaults, round trip and error messages."""
import dataclasses
import pathlib

import pytest
import yaml

from azdeap import config, ops
from azdeap.algorithm import Algorithm
from azdeap.space import Memory, SearchSpace
from azdeap.config import (Config, ConfigError, TaskSpec, config_from_dict, config_to_dict,
                           dump_config, load_config)

CONFIGS = pathlib.Path(__file__).resolve().parent.parent / "configs"
SIX = ["SCALAR_CONST_SET", "VECTOR_INNER_PRODUCT", "SCALAR_DIFF", "SCALAR_PRODUCT",
       "SCALAR_VECTOR_PRODUCT", "VECTOR_SUM"]


def codes(*names):
    return tuple(ops.op_code(name) for name in names)


def write(tmp_path, text, name="x.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def error_of(d):
    with pytest.raises(ConfigError) as info:
        config_from_dict(d, source="configs/x.yaml")
    message = str(info.value)
    assert "\n" not in message and message.startswith("configs/x.yaml: ")
    return message


# -- the shipped configs ----------------------------------------------------------------
def test_demo_matches_spec():
    c = load_config(CONFIGS / "demo.yaml")
    assert c.seed is None and c.memory == Memory(4, 3, 1)
    assert c.tasks.search == (TaskSpec("linear", 10, 4, 100, 100),)
    assert c.tasks.select == (TaskSpec("linear", 100, 4, 1000, 100),)
    assert c.tasks.final == (TaskSpec("linear", 100, 4, 1000, 100, (2000000,), (1000000,)),)
    assert c.tasks.randomize_seeds is True
    assert [getattr(c.components, n).size for n in ("setup", "predict", "learn")] == [10, 2, 8]
    assert c.evolution.init == "random"
    assert (c.evolution.population, c.evolution.tournament) == (1000, 10)
    assert c.evolution.mutations == ("alter_param", "randomize_instruction",
                                     "randomize_component")
    assert c.evolution.mutate_prob == 0.9 and c.evolution.constant_rule == "original"
    assert c.fitness.combination == "mean" and c.fitness.max_abs_error == 100.0
    assert (c.fitness.fec.train, c.fitness.fec.valid) == (10, 10)
    assert (c.fitness.fec.cache_size, c.fitness.fec.forget_every) == (100000, 100)
    assert c.fitness.prune is True
    assert c.budget.max_train_steps == 200_000_000 and isinstance(c.budget.max_train_steps, int)
    assert c.budget.max_individuals is None and c.budget.max_seconds is None
    assert (c.experiments.sufficient_fitness, c.experiments.max) == (0.9999, 0)
    assert c.progress_every == 10000


def test_defaults_are_the_demo():
    demo = load_config(CONFIGS / "demo.yaml")
    assert Config() == demo == load_config(None) == config_from_dict(None)
    assert config_from_dict({}) == demo


def test_demo_search_space():
    space = Config().search_space()
    assert isinstance(space, SearchSpace)
    assert space.memory == Memory(4, 3, 1)
    assert space.ops == ((56, 27, 2, 3, 18, 23),) * 3 == (codes(*SIX),) * 3
    assert all(isinstance(code, int) for part in space.ops for code in part)
    assert space.sizes == (10, 2, 8)
    assert space.min_sizes == (10, 2, 8) and space.max_sizes == (11, 3, 9)
    assert space.mutable_components() == [0, 1, 2]


def test_linear_matches_spec():
    c = load_config(CONFIGS / "linear.yaml")
    assert c.seed == 100021 and c.memory == Memory(4, 3, 1)
    assert c.tasks.search == (TaskSpec("linear", 10, 4, 100, 100),)
    assert c.tasks.select == c.tasks.final == (TaskSpec("linear", 100, 4, 10000, 100),)
    assert c.tasks.randomize_seeds is False
    space = c.search_space()
    assert space.ops == (codes("SCALAR_CONST_SET"), codes("VECTOR_INNER_PRODUCT"),
                         codes("SCALAR_DIFF", "SCALAR_PRODUCT", "SCALAR_VECTOR_PRODUCT",
                               "VECTOR_SUM"))
    assert space.sizes == (5, 1, 4)
    assert c.fitness.fec is not None and c.fitness.fec.train == c.fitness.fec.valid == 10
    assert (c.evolution.population, c.evolution.tournament) == (1000, 10)
    assert c.evolution.mutations == Config().evolution.mutations
    assert c.evolution.mutate_prob == 0.9 and c.evolution.init == "random"
    assert c.budget.max_train_steps == 100_000_000
    assert c.experiments.max == 1


DAMAGED_NET = [
    "s3 = 0.01",
    "v3 = dot(m0, v0)", "v3 = v3 + v1", "v4 = maximum(v3, v5)", "s1 = dot(v4, v2)",
    "s1 = s1 + s2",
    "s4 = s0 - s1", "s4 = s3 * s4", "s2 = s2 + s4", "v6 = s4 * v4", "v2 = v2 + v6",
    "v7 = s4 * v2", "v8 = heaviside(v3, 1.0)", "v7 = v8 * v7", "v1 = v1 + v7",
    "m1 = outer(v7, v0)", "m0 = m0 + m1"]


def test_nonlinear_matches_spec():
    c = load_config(CONFIGS / "nonlinear.yaml")
    assert c.seed == 100001 and c.memory == Memory(5, 9, 2)
    assert c.tasks.search == (TaskSpec("teacher", 1, 4, 1000, 100),)
    assert c.tasks.select == c.tasks.final == (
        TaskSpec("teacher", 1, 4, 1000, 100, (9000,), (19000,)),)
    assert c.tasks.randomize_seeds is False
    space = c.search_space()
    assert space.ops == (codes("VECTOR_GAUSSIAN_SET", "MATRIX_GAUSSIAN_SET"), (), ())
    assert space.mutable_components() == [0]
    assert space.sizes == (2, 1, 4) and space.min_sizes[0] == 6 and space.max_sizes[0] == 7
    assert c.evolution.mutations == ("alter_param", "insert", "remove", "trade")
    assert c.evolution.mutate_prob == 1.0
    assert c.fitness.fec is None
    assert (c.evolution.population, c.evolution.tournament) == (1000, 10)
    assert c.budget.max_train_steps == 100_000_000 and c.experiments.max == 1
    lines = [line.strip() for line in c.evolution.init.splitlines()]
    assert lines == (["def Setup():"] + DAMAGED_NET[:1] + ["def Predict():"] + DAMAGED_NET[1:6]
                     + ["def Learn():"] + DAMAGED_NET[6:])
    assert c.fitness.train_budget == config.TrainBudget("neural_network", 2.0)


def test_nonlinear_listing_parses():
    algorithm = Algorithm.from_text(load_config(CONFIGS / "nonlinear.yaml").evolution.init)
    assert algorithm.sizes == (1, 5, 11)
    assert algorithm.memory_used() == Memory(5, 9, 2)
    with pytest.raises(ConfigError,
                       match=r"nonlinear\.yaml: evolution\.init: listing line 6: .*v5"):
        config_from_dict({**config_to_dict(load_config(CONFIGS / "nonlinear.yaml")),
                          "memory": {"scalars": 5, "vectors": 5, "matrices": 2}},
                         source="configs/nonlinear.yaml")


@pytest.mark.parametrize("name", ["demo", "linear", "nonlinear"])
def test_shipped_configs_round_trip(name, tmp_path):
    config = load_config(CONFIGS / (name + ".yaml"))
    d = config_to_dict(config)
    assert config_from_dict(d) == config
    assert config_from_dict(yaml.safe_load(yaml.safe_dump(d))) == config
    assert load_config(write(tmp_path, dump_config(config))) == config
    first = (CONFIGS / (name + ".yaml")).read_text().splitlines()[0]
    assert first.startswith("#")
    assert "python -m azdeap run --config configs/%s.yaml" % name in (
        CONFIGS / (name + ".yaml")).read_text()


def test_round_trip_of_a_varied_config():
    d = {"seed": 7, "memory": {"matrices": 0},
         "tasks": {"search": {"kind": "projected", "dataset": "d.npz", "count": 3,
                              "class_pairs": [[0, 1], [2, 5]], "features": 16}},
         "components": {"setup": {"ops": [], "size": 0},
                        "learn": {"ops": ["scalar_sum", 3], "size": 3, "min": 1, "max": 6}},
         "evolution": {"mutations": ["insert", "REMOVE"], "constant_rule": "paper",
                       "init": "NoOp", "batch": 1},
         "fitness": {"combination": "median", "fec": None},
         "budget": {"max_train_steps": None, "max_seconds": 30}}
    d["components"]["predict"] = {"ops": ["SCALAR_SUM"], "size": 2}
    c = config_from_dict(d)
    assert c.tasks.search[0].class_pairs == ((0, 1), (2, 5))
    assert c.components.learn.ops == (1, 3) and c.evolution.mutations == ("insert", "remove")
    assert c.evolution.init == "noop" and c.budget.max_seconds == 30.0
    assert c.search_space().min_sizes == (0, 2, 1) and c.search_space().max_sizes == (1, 3, 6)
    assert config_from_dict(config_to_dict(c)) == c
    assert config_to_dict(c)["components"]["learn"]["ops"] == ["SCALAR_SUM", "SCALAR_PRODUCT"]


def test_hurdles_are_off_by_default_and_parsed_when_set():
    assert Config().fitness.hurdles is None
    c = config_from_dict({"fitness": {"hurdles": {}}})
    assert c.fitness.hurdles == config.Hurdles(tasks=1, train=None, percentile=75.0)
    c = config_from_dict({"fitness": {"hurdles": {"tasks": None, "train": 20,
                                                  "percentile": 50}}})
    assert (c.fitness.hurdles.tasks, c.fitness.hurdles.train) == (None, 20)
    assert c.fitness.hurdles.percentile == 50.0
    assert config_from_dict(config_to_dict(c)) == c
    two_parts = {"search": [{"count": 2, "train": 50}, {"count": 1, "train": 200}]}
    c = config_from_dict({"tasks": two_parts, "fitness": {"hurdles": {"tasks": 2,
                                                                      "train": 50}}})
    assert c.fitness.hurdles.tasks == 2   # 2 of the 3 tasks: smaller


def test_train_budget_is_off_by_default_and_parsed_when_set():
    assert Config().fitness.train_budget is None
    c = config_from_dict({"fitness": {"train_budget": {}}})
    assert c.fitness.train_budget == config.TrainBudget("neural_network", 2.0)
    listing = "def Setup():\n  s2 = 0.5\ndef Predict():\n  s1 = s2 * s2\ndef Learn():\n"
    c = config_from_dict({"fitness": {"train_budget": {"baseline": listing, "factor": 3}}})
    assert (c.fitness.train_budget.baseline, c.fitness.train_budget.factor) == (listing, 3.0)
    c = config_from_dict({"fitness": {"train_budget": {"baseline": "Linear_Regressor"}}})
    assert c.fitness.train_budget.baseline == "linear_regressor"
    assert config_from_dict(config_to_dict(c)) == c
def test_task_epochs_reach_the_tasks():
    from azdeap.experiment import build_tasks
    c = config_from_dict({"tasks": {"search": [{"count": 2, "epochs": 3, "train": 5},
                                               {"count": 1}]}})
    assert [spec.epochs for spec in c.tasks.search] == [3, 1]
    assert c.tasks.select[0].epochs == 1
    assert config_from_dict(config_to_dict(c)) == c
    tasks = build_tasks(c.tasks.search)
    assert [(t.epochs, t.shuffle_seed) for t in tasks] == [(3, 11001), (3, 11012), (1, 11001)]


def test_config_is_frozen():
    c = Config()
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.seed = 3
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.evolution.population = 3
    hash(c)


# -- number parsing ---------------------------------------------------------------------
def test_2e8_and_underscores_accepted_where_an_int_is_expected(tmp_path):
    path = write(tmp_path, "budget: {max_train_steps: 2e8}\nevolution: {population: 1_000}\n")
    c = load_config(path)
    assert c.budget.max_train_steps == 200_000_000 and type(c.budget.max_train_steps) is int
    assert c.evolution.population == 1000
    assert config_from_dict({"budget": {"max_train_steps": 2.0e8}}).budget.max_train_steps \
        == 200_000_000
    assert config_from_dict({"seed": "12"}).seed == 12
    assert config_from_dict({"fitness": {"max_abs_error": "1e3"}}).fitness.max_abs_error == 1000


@pytest.mark.parametrize("value", [True, 2.5, "2.5e0", "abc", -3, None, [1]])
def test_bad_integers_rejected(value):
    message = error_of({"evolution": {"population": value}})
    assert "evolution.population: expected an integer >= 2, got %r" % (value,) in message


# -- errors -----------------------------------------------------------------------------
@pytest.mark.parametrize("d, path, words", [
    ({"sead": 1}, "sead", "did you mean 'seed'"),
    ({"evolution": {"populaton": 10}}, "evolution.populaton", "did you mean 'population'"),
    ({"tasks": {"search": [{"kind": "linear", "cuont": 3}]}}, "tasks.search[0].cuont",
     "did you mean 'count'"),
    ({"fitness": {"fec": {"zzz": 1}}}, "fitness.fec.zzz", "unknown key (allowed:"),
    ({"evolution": {"population": "abc"}}, "evolution.population", "got 'abc'"),
    ({"evolution": "fast"}, "evolution", "expected a mapping"),
    ({"tasks": {"randomize_seeds": "yes please"}}, "tasks.randomize_seeds", "true or false"),
    ({"evolution": {"mutate_prob": 1.5}}, "evolution.mutate_prob", "got 1.5"),
    ({"fitness": {"max_abs_error": 0}}, "fitness.max_abs_error", "> 0"),
    ({"fitness": {"prune": "no"}}, "fitness.prune", "expected true or false, got 'no'"),
    ({"fitness": {"fec": {"train": 1, "valid": 0}}}, "fitness.fec",
     "train + valid must be >= 2 (a prediction after Learn must be hashed), got 1 + 0"),
    ({"fitness": {"hurdles": {"percentile": 120}}}, "fitness.hurdles.percentile",
     "expected a number >= 0 and <= 100, got 120"),
    ({"fitness": {"hurdles": {"tasks": 0}}}, "fitness.hurdles.tasks",
     "expected an integer >= 1, got 0"),
    ({"fitness": {"hurdles": {"train": "x"}}}, "fitness.hurdles.train", "got 'x'"),
    ({"fitness": {"hurdles": {"tasks": 11}}}, "fitness.hurdles.tasks",
     "expected at most the 10 search tasks, got 11"),
    ({"fitness": {"hurdles": {"tasks": None}}}, "fitness.hurdles",
     "the cheap part (tasks None, train None) must be smaller than the search tasks "
     "(10 tasks, up to 100 training examples)"),
    ({"fitness": {"hurdles": {"tasks": 3, "train": 200}},
      "tasks": {"search": [{"count": 2, "train": 50}, {"count": 1, "train": 200}]}},
     "fitness.hurdles", "(3 tasks, up to 200 training examples)"),
    ({"fitness": {"hurdles": {"hurdle": 3}}}, "fitness.hurdles.hurdle", "unknown key"),
    ({"fitness": {"train_budget": {"baseline": "resnet"}}}, "fitness.train_budget.baseline",
     "expected neural_network or linear_regressor or an algorithm listing ('def Setup(): "
     "...'), got 'resnet'"),
    ({"fitness": {"train_budget": {"baseline": "def Setup():\n  s1 = foo(s2)"}}},
     "fitness.train_budget.baseline", "listing line 2"),
    ({"fitness": {"train_budget": {"factor": 0}}}, "fitness.train_budget.factor",
     "expected a number > 0, got 0"),
    ({"memory": {"scalars": 1}}, "memory.scalars", ">= 2"),
    ({"tasks": {"select": [{"features": 300}]}}, "tasks.select[0].features", "1..256"),
    ({"tasks": {"select": [{"epochs": 0}]}}, "tasks.select[0].epochs", ">= 1"),
    ({"tasks": {"final": []}}, "tasks.final", "non-empty list"),
    ({"tasks": {"search": [{"param_seeds": [1, "x"]}]}}, "tasks.search[0].param_seeds[1]",
     "got 'x'"),
    ({"components": {"learn": {"ops": ["SCALAR_SUM", "VECTOR_SUM", "SCALAR_FOO"]}}},
     "components.learn.ops[2]", "unknown op 'SCALAR_FOO'"),
    ({"components": {"setup": {"ops": [65]}}}, "components.setup.ops[0]", "unknown op code 65"),
    ({"evolution": {"mutations": ["alter_param", "mutate_harder"]}}, "evolution.mutations[1]",
     "expected one of alter_param"),
    ({"evolution": {"constant_rule": "fancy"}}, "evolution.constant_rule", "original, paper"),
    ({"fitness": {"combination": "max"}}, "fitness.combination", "mean, median"),
    ({"tasks": {"search": {"kind": "cifar"}}}, "tasks.search[0].kind", "linear, teacher"),
    ({"evolution": {"init": "linear"}}, "evolution.init", "algorithm listing"),
    ({"components": {"setup": {"size": 10, "max": 10}}}, "components.setup.max", "> size"),
    ({"components": {"setup": {"size": 3, "min": 4, "max": 4}}}, "components.setup.min",
     "< max"),
    ({"components": {"setup": {"min": -1}}}, "components.setup.min", ">= 0"),
    ({"budget": {"max_train_steps": None}}, "budget", "at least one"),
    ({"components": {n: {"ops": []} for n in ("setup", "predict", "learn")}}, "components",
     "frozen"),
    ({"memory": {"matrices": 0}, "components": {"learn": {"ops": ["MATRIX_SUM"]}}},
     "components.learn.ops[0]", "memory.matrices"),
    ({"tasks": {"search": {"kind": "projected"}}}, "tasks.search[0].dataset", "required"),
    ({"tasks": {"search": {"dataset": "a.npz"}}}, "tasks.search[0].dataset", "projected"),
    ({"tasks": {"search": {"kind": "projected", "dataset": "a.npz", "class_pairs": [[1, 1]]}}},
     "tasks.search[0].class_pairs[0]", "pair"),
    ([1, 2], "(top level)", "expected a mapping"),
])
def test_errors_name_the_file_and_key_path(d, path, words):
    message = error_of(d)
    assert message.startswith("configs/x.yaml: %s: " % path), message
    assert words in message


def test_error_from_a_file_names_the_file(tmp_path):
    path = write(tmp_path, "evolution:\n  populaton: 10\n")
    with pytest.raises(ConfigError, match=r"x\.yaml: evolution\.populaton: unknown key "
                                          r"\(did you mean 'population'\?\)$") as info:
        load_config(path)
    assert str(info.value).startswith(str(path))
    assert isinstance(info.value, ValueError)


def test_malformed_yaml(tmp_path):
    path = write(tmp_path, "seed: 1\nevolution:\n  population: [1, 2\n  tournament: 3\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(str(path) + ": line ") and "invalid YAML" in message
    assert "\n" not in message
    line = int(message.split(": line ")[1].split(":")[0])
    assert 3 <= line <= 5


def test_tab_indented_yaml(tmp_path):
    path = write(tmp_path, "evolution:\n\tpopulation: 3\n")
    with pytest.raises(ConfigError, match=r": line 2: invalid YAML"):
        load_config(path)


def test_missing_file(tmp_path):
    path = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError, match=r"nope\.yaml: cannot read") as info:
        load_config(path)
    assert "\n" not in str(info.value)


def test_empty_file_is_the_demo(tmp_path):
    assert load_config(write(tmp_path, "# nothing\n")) == Config()


def test_init_listing_must_parse_and_fit_the_memory():
    listing = "def Setup():\n  s7 = 0.5\ndef Predict():\ndef Learn():\n"
    assert config_from_dict({"memory": {"scalars": 8},
                             "evolution": {"init": listing}}).evolution.init == listing
    message = error_of({"evolution": {"init": listing}})
    assert "evolution.init: listing line 2: address s7 out of range" in message
    message = error_of({"evolution": {"init": "def Setup():\n  s1 = bad(s0)\n"}})
    assert message == ("configs/x.yaml: evolution.init: listing line 2: unknown instruction "
                       "'s1 = bad(s0)'")
