"""The original's hand-written algorithms: the README regressor and the neural network."""
from azdeap import Individual, Memory, evaluate, reference
from azdeap.algorithm import SETUP
from azdeap.tasks import make_tasks


def test_reference_algorithms():
    task_list = make_tasks("linear", 5, 4, 1000, 100)
    linear = reference.linear_regressor(0.1)
    assert linear.memory_used() == Memory(5, 3, 0)
    assert evaluate(linear, task_list) > 0.9999
    assert evaluate(reference.linear_regressor(), task_list) < 0.9
    net = reference.neural_network(cls=Individual)
    assert isinstance(net, Individual) and net.memory_used() == Memory(5, 9, 2)
    assert net.component(SETUP)[1][2, 0] == 0.01   # s3 = learning rate
