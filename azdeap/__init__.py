"""azdeap: AutoML-Zero for DEAP.

Evolve whole learning algorithms (Setup, Predict, Learn over scalars, vectors and
matrices) with DEAP's toolbox, a numba interpreter and the paper's operators.

The names below and every submodule (``azdeap.toolbox``, ``azdeap.mutation``...) load
on first use, so that ``python -m azdeap`` can catch Ctrl-C while they load.
"""
import importlib

__version__ = "0.1.0"
_HOMES = {"Algorithm": "algorithm", "FitnessMax": "algorithm", "Individual": "algorithm",
          "Memory": "space", "SearchSpace": "space", "Evaluation": "evaluator",
          "Evaluator": "evaluator", "evaluate": "evaluator", "Learner": "learner"}
__all__ = list(_HOMES)


def __getattr__(name):
    if name in _HOMES:
        value = getattr(importlib.import_module("azdeap." + _HOMES[name]), name)
    elif name.isidentifier() and not name.startswith("_"):
        try:
            value = importlib.import_module("azdeap." + name)
        except ModuleNotFoundError as error:
            if error.name != "azdeap." + name:
                raise
            raise AttributeError("module 'azdeap' has no attribute %r" % name) from None
    else:
        raise AttributeError("module 'azdeap' has no attribute %r" % name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_HOMES))
