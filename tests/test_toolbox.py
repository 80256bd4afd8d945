"""The recipe ``azdeap.toolbox.regularized``: what it registers, that each piece can be
replaced with one ``toolbox.register``, and ``population_stats``."""
import random
from functools import partial

import numpy as np
import pytest
from deap import tools

from azdeap import Evaluator, Individual, mutation
from azdeap.algorithm import clone
from azdeap.evolution import batch_form, eaRegularized
from azdeap.generator import initNoOp
from azdeap.selection import (replaceOldest, replaceWorst, selAgingTournament,
                              selAgingTournamentBatch)
from azdeap.toolbox import population_stats, regularized


def constant_sum(individual):
    """A cheap deterministic fitness: the sum of the constants."""
    return (float(individual.data[:, 0].sum()),)


def test_the_recipe_registers_the_documented_pieces(demo_space, linear_tasks):
    evaluator = Evaluator(linear_tasks[:2], demo_space.memory)
    toolbox = regularized(demo_space, evaluator, tournsize=7, mutations=["insert", "remove"],
                          mutate_prob=0.5, constant_rule="paper")
    random.seed(1)
    population = toolbox.population(3)
    assert [type(ind) for ind in population] == [Individual] * 3
    assert [ind.sizes for ind in population] == [demo_space.sizes] * 3
    assert population[0] != population[1]                   # initRandom: random programs
    assert toolbox.clone.func is clone
    assert toolbox.evaluate.func is evaluator
    assert toolbox.evaluate_batch.func == evaluator.evaluate_batch
    assert toolbox.mutate.func is mutation.mutAny
    assert toolbox.mutate.keywords == {"space": demo_space, "mutations": ("insert", "remove"),
                                       "mutate_prob": 0.5, "constant_rule": "paper"}
    assert toolbox.select.func is selAgingTournament
    assert toolbox.select.keywords == {"tournsize": 7}
    assert toolbox.replace.func is replaceOldest
    # the batch forms, with the same arguments: eaRegularized breeds with them
    assert toolbox.mutate_batch.func is mutation.mutAnyBatch
    assert toolbox.mutate_batch.keywords == toolbox.mutate.keywords
    assert toolbox.select_batch.func is selAgingTournamentBatch
    assert toolbox.select_batch.keywords == {"tournsize": 7}
    assert batch_form(toolbox, "mutate") is toolbox.mutate_batch
    assert batch_form(toolbox, "select") is toolbox.select_batch


def test_defaults_are_the_papers(demo_space):
    toolbox = regularized(demo_space, constant_sum)
    assert not hasattr(toolbox, "evaluate_batch")     # a plain function has none
    assert toolbox.select.keywords == {"tournsize": 10}
    assert toolbox.mutate.keywords == {"space": demo_space,
                                       "mutations": mutation.DEFAULT_MUTATIONS,
                                       "mutate_prob": 0.9, "constant_rule": "original"}


def test_container_and_individual_choose_what_the_population_holds(demo_space,
                                                                   creator_individual):
    random.seed(2)
    toolbox = regularized(demo_space, constant_sum, container=creator_individual)
    assert all(type(ind) is creator_individual for ind in toolbox.population(2))
    toolbox = regularized(demo_space, constant_sum,
                          individual=partial(initNoOp, Individual, demo_space))
    assert [ind.code.any() for ind in toolbox.population(2)] == [False, False]


def test_batch_breeding_keeps_the_container_and_gives_each_child_its_rows(
        demo_space, creator_individual):
    random.seed(4)
    toolbox = regularized(demo_space, constant_sum, container=creator_individual)
    population, _ = eaRegularized(toolbox.population(10), toolbox, batch=5,
                                  max_individuals=60, verbose=False)
    assert all(type(ind) is creator_individual for ind in population)
    assert all(ind.fitness.values == constant_sum(ind) for ind in population)
    population[-1].code[:] = 0
    population[-1].data[:] = 0.0
    assert all(ind.code.any() for ind in population[:-1])


def test_a_registered_replacement_takes_effect(demo_space):
    """select and replace swapped for DEAP's selBest and replaceWorst (kill the worst):
    the loop calls them, and the population keeps the best individual ever seen."""
    calls = []

    def select(population, k):
        calls.append("select")
        return tools.selBest(population, k)

    def replace(population, offspring):
        calls.append("replace")
        replaceWorst(population, offspring)

    toolbox = regularized(demo_space, constant_sum)
    toolbox.register("select", select)
    toolbox.register("replace", replace)
    random.seed(3)
    hall = tools.HallOfFame(1)
    population, _ = eaRegularized(toolbox.population(10), toolbox, batch=5,
                                  max_individuals=60, halloffame=hall, verbose=False)
    assert calls == ["select", "replace"] * 10
    assert max(ind.fitness.values for ind in population) == hall[0].fitness.values


def test_population_stats_are_mean_stdev_and_best():
    population = []
    for value in (0.2, 0.4, 0.9):
        individual = Individual()
        individual.fitness.values = (value,)
        population.append(individual)
    stats = population_stats()
    assert stats.fields == ["mean", "stdev", "best"]
    record = stats.compile(population)
    assert record["mean"] == pytest.approx(0.5) and record["best"] == 0.9
    assert record["stdev"] == pytest.approx(np.std([0.2, 0.4, 0.9]))
