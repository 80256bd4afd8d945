"""azdeap: AutoML-Zero for DEAP.

Evolve whole learning algorithms (Setup, Predict, Learn over scalars, vectors and
matrices) with DEAP's toolbox, a numba interpreter and the paper's operators.
"""
from azdeap.algorithm import Algorithm, FitnessMax, Individual
from azdeap.space import Memory, SearchSpace
from azdeap.evaluator import Evaluation, Evaluator, evaluate
from azdeap.learner import Learner
from azdeap import evolution, generator, mutation, selection, tasks, toolbox  # noqa: E402

__version__ = "0.1.0"
__all__ = ["Algorithm", "FitnessMax", "Individual", "Memory", "SearchSpace", "Evaluation",
           "Evaluator", "Learner", "evaluate"]
