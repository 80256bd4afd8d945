"""azdeap: AutoML-Zero for DEAP.

Evolve whole learning algorithms (Setup, Predict, Learn over scalars, vectors and
matrices) with DEAP's toolbox, a numba interpreter and the paper's operators.
"""
import os
import sys


def _run_as_program():
    """True while ``python -m azdeap`` or ``python azdeap/run.py`` loads azdeap (during
    ``-m``'s search for the module, sys.argv[0] is "-m")."""
    entry = (getattr(sys, "argv", None) or [""])[0]
    return entry == "-m" or os.path.abspath(entry) == os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "run.py")


try:
    from azdeap.algorithm import Algorithm, FitnessMax, Individual
    from azdeap.space import Memory, SearchSpace
    from azdeap.evaluator import Evaluation, Evaluator, evaluate
    from azdeap.learner import Learner
    from azdeap import evolution, generator, mutation, selection, tasks, toolbox  # noqa: E402
    if _run_as_program():
        from azdeap import cli  # noqa: F401  (loaded here, where Ctrl-C is caught)
except KeyboardInterrupt:
    if not _run_as_program():
        raise
    print("azdeap: interrupted", file=sys.stderr)  # as azdeap.cli.main during a run
    raise SystemExit(130) from None

__version__ = "0.1.0"
__all__ = ["Algorithm", "FitnessMax", "Individual", "Memory", "SearchSpace", "Evaluation",
           "Evaluator", "Learner", "evaluate"]
