"""The original's train budget (docs/design.md, "Fitness"): a cap on an algorithm's
estimated training compute, relative to a baseline algorithm.

The cost of training on a task of ``n`` examples is ``setup + n * (predict + learn)``,
each component's cost being the sum of its ops' ``cost`` (``azdeap.ops``).  An algorithm
whose cost exceeds ``factor`` times the baseline's on that task gets no training there
and fitness 0::

    budget = TrainBudget(reference.neural_network(), factor=2.0)
    evaluator = Evaluator(tasks, memory, train_budget=budget)
"""
from typing import Tuple, Union

import numpy as np

from azdeap import reference
from azdeap.algorithm import Algorithm
from azdeap.ops import COST, NUM_OPS
from azdeap.programs import Programs

BASELINES = {"neural_network": reference.neural_network,
             "linear_regressor": reference.linear_regressor}


def program_costs(programs) -> Tuple[np.ndarray, np.ndarray]:
    """(setup, step) costs of each program (a ``Programs`` or a list of algorithms):
    the sum of the op costs of its Setup, and of its Predict and Learn (one training
    step).  ValueError if an op code is outside the table."""
    programs = Programs.stack(programs)
    codes = programs.code[:, 0]
    if len(codes) and (codes.min() < 0 or codes.max() >= NUM_OPS):
        raise ValueError("program_costs: op codes must be in 0..%d" % (NUM_OPS - 1))
    # running sums of the row costs: integers below 2**53, so the differences are exact
    running = np.concatenate(([0.0], np.cumsum(COST[codes])))
    start, sizes = programs.offsets, programs.sizes
    setup_end = start + sizes[:, 0]
    end = setup_end + sizes[:, 1] + sizes[:, 2]
    return running[setup_end] - running[start], running[end] - running[setup_end]


def baseline_algorithm(baseline: Union[str, Algorithm]) -> Algorithm:
    """An algorithm for a baseline: itself, a name of ``BASELINES``
    (``"neural_network"``, the original's NEURAL_NET_ALGORITHM, or ``"linear_regressor"``)
    or a listing; TypeError or ValueError (one line) otherwise."""
    if isinstance(baseline, Algorithm):
        return baseline
    if not isinstance(baseline, str):
        raise TypeError("baseline must be an Algorithm, a name (%s) or a listing, got %s"
                        % (", ".join(BASELINES), type(baseline).__name__))
    if baseline.lower() in BASELINES:
        return BASELINES[baseline.lower()]()
    if "def " not in baseline:
        raise ValueError("baseline must be one of %s or a listing ('def Setup(): ...'), "
                         "got %r" % (", ".join(BASELINES), baseline))
    return Algorithm.from_text(baseline)


class TrainBudget:
    """The train budget: baseline (see ``baseline_algorithm``) and factor, a number > 0.
    TypeError or ValueError, one line, for a bad argument."""

    def __init__(self, baseline: Union[str, Algorithm] = "neural_network",
                 factor: float = 2.0):
        self.baseline = baseline_algorithm(baseline)
        if isinstance(factor, bool) or not isinstance(factor, (int, float, np.integer,
                                                               np.floating)):
            raise TypeError("factor must be a number > 0, got %r" % (factor,))
        if not 0 < factor < np.inf:
            raise ValueError("factor must be a number > 0, got %r" % (factor,))
        self.factor = float(factor)
        (self.setup,), (self.step,) = program_costs([self.baseline])

    def over(self, programs, n_train: int) -> np.ndarray:
        """A boolean array: which programs cost more than factor times the baseline on
        a task of n_train training examples."""
        setup, step = program_costs(programs)
        return setup + n_train * step > (self.setup + n_train * self.step) * self.factor
