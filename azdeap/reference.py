"""The original's hand-written algorithms, as baselines and known answers.

``LINEAR_REGRESSOR`` is the README's human-designed linear regressor
(docs/design.md, "Notation"): SGD on a linear model.  ``LOGISTIC_REGRESSION`` adds a
bias; on a classification task, where Learn sees the prediction as sigmoid(s1), it is
logistic regression trained by SGD, the paper's first baseline.  ``NEURAL_NETWORK`` is
NEURAL_NET_ALGORITHM (docs/design.md, "Experiments"): a 2-layer ReLU network trained by
SGD.  ``SOFTMAX_REGRESSION`` and ``MULTICLASS_NEURAL_NETWORK`` are their forms for
multi-class tasks, where Learn sees the one-hot label in v1 and the prediction v2 as its
softmax (docs/design.md, "Multi-class tasks"): multinomial logistic regression and a
2-layer ReLU network with a softmax output, trained by SGD.  All are listings with a
``{learning_rate}`` field; the functions parse them into algorithms.
"""
from azdeap.algorithm import Algorithm

LINEAR_REGRESSOR = """\
def Setup():
  s2 = {learning_rate}
def Predict():
  s1 = dot(v0, v1)
def Learn():
  s3 = s0 - s1
  s4 = s3 * s2
  v2 = s4 * v0
  v1 = v1 + v2"""

LOGISTIC_REGRESSION = """\
def Setup():
  s2 = {learning_rate}
def Predict():
  s1 = dot(v0, v1)
  s1 = s1 + s3
def Learn():
  s4 = s0 - s1
  s4 = s2 * s4
  s3 = s3 + s4
  v2 = s4 * v0
  v1 = v1 + v2"""

NEURAL_NETWORK = """\
def Setup():
  v2 = gaussian(0.0, 0.1, n_features)
  m0 = gaussian(0.0, 0.1, (n_features, n_features))
  s3 = {learning_rate}
def Predict():
  v3 = dot(m0, v0)
  v3 = v3 + v1
  v4 = maximum(v3, v5)
  s1 = dot(v4, v2)
  s1 = s1 + s2
def Learn():
  s4 = s0 - s1
  s4 = s3 * s4
  s2 = s2 + s4
  v6 = s4 * v4
  v2 = v2 + v6
  v7 = s4 * v2
  v8 = heaviside(v3, 1.0)
  v7 = v8 * v7
  v1 = v1 + v7
  m1 = outer(v7, v0)
  m0 = m0 + m1"""


SOFTMAX_REGRESSION = """\
def Setup():
  s2 = {learning_rate}
def Predict():
  v2 = dot(m0, v0)
  v2 = v2 + v3
def Learn():
  v4 = v1 - v2
  v4 = s2 * v4
  v3 = v3 + v4
  m1 = outer(v4, v0)
  m0 = m0 + m1"""

MULTICLASS_NEURAL_NETWORK = """\
def Setup():
  m0 = gaussian(0.0, 0.1, (n_features, n_features))
  m2 = gaussian(0.0, 0.1, (n_features, n_features))
  s3 = {learning_rate}
def Predict():
  v3 = dot(m0, v0)
  v3 = v3 + v4
  v5 = maximum(v3, v6)
  v2 = dot(m2, v5)
  v2 = v2 + v7
def Learn():
  v8 = v1 - v2
  v8 = s3 * v8
  v7 = v7 + v8
  m1 = transpose(m2)
  v9 = dot(m1, v8)
  m3 = outer(v8, v5)
  m2 = m2 + m3
  v10 = heaviside(v3, 1.0)
  v9 = v10 * v9
  v4 = v4 + v9
  m1 = outer(v9, v0)
  m0 = m0 + m1"""


def linear_regressor(learning_rate: float = 0.001, cls: type = Algorithm) -> Algorithm:
    """The README's linear regressor (memory: 5 scalars, 3 vectors)."""
    return _parsed(LINEAR_REGRESSOR, learning_rate, cls)


def logistic_regression(learning_rate: float = 0.01, cls: type = Algorithm) -> Algorithm:
    """Logistic regression by SGD: the linear regressor with a bias s3 (memory: 5
    scalars, 3 vectors)."""
    return _parsed(LOGISTIC_REGRESSION, learning_rate, cls)


def neural_network(learning_rate: float = 0.01, cls: type = Algorithm) -> Algorithm:
    """NEURAL_NET_ALGORITHM (memory: 5 scalars, 9 vectors, 2 matrices)."""
    return _parsed(NEURAL_NETWORK, learning_rate, cls)


def softmax_regression(learning_rate: float = 0.03, cls: type = Algorithm) -> Algorithm:
    """Multinomial logistic regression by SGD, with a bias vector v3, for multi-class
    tasks (memory: 3 scalars, 5 vectors, 2 matrices)."""
    return _parsed(SOFTMAX_REGRESSION, learning_rate, cls)


def multiclass_neural_network(learning_rate: float = 0.03, cls: type = Algorithm) -> Algorithm:
    """A 2-layer ReLU network of n_features hidden units with a softmax output, trained
    by SGD, for multi-class tasks (memory: 4 scalars, 11 vectors, 4 matrices)."""
    return _parsed(MULTICLASS_NEURAL_NETWORK, learning_rate, cls)


def _parsed(listing, learning_rate, cls):
    """The listing with its learning rate, parsed into an algorithm of type cls."""
    return cls.from_text(listing.format(learning_rate=repr(float(learning_rate))))
