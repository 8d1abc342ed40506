import numpy as np
import pytest

from mlbasics.basics.logic_data import truth_table
from mlbasics.basics.mlp import MLP, train_xor


def test_reaches_100_percent_on_xor_from_default_seed():
    X, y = truth_table("xor")
    model = MLP().fit(X, y)
    assert model.score(X, y) == 1.0
    assert model.history_.epoch_loss[-1] < 0.05


def test_is_deterministic():
    a, b = train_xor(), train_xor()
    np.testing.assert_array_equal(a.params["W0"], b.params["W0"])


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_backprop_matches_numerical_gradient(activation):
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(6, 3)), rng.integers(0, 2, 6).astype(float)
    model = MLP((5, 3), activation=activation)
    model.init_params(3)
    _, grads = model.loss_and_grads(X, y)
    eps = 1e-6
    for name, param in model.params.items():
        numeric = np.zeros_like(param)
        for idx in np.ndindex(param.shape):
            old = param[idx]
            param[idx] = old + eps
            plus = model.loss(X, y)
            param[idx] = old - eps
            minus = model.loss(X, y)
            param[idx] = old
            numeric[idx] = (plus - minus) / (2 * eps)
        np.testing.assert_allclose(grads[name], numeric, rtol=1e-4, atol=1e-8, err_msg=name)


def test_one_hidden_unit_cannot_learn_xor():
    X, y = truth_table("xor")
    assert train_xor(hidden_units=1).score(X, y) < 1.0


def test_errors():
    with pytest.raises(ValueError, match="activation"):
        MLP(activation="relu6")
    with pytest.raises(ValueError, match="hidden_units"):
        MLP(hidden_units=(0,))
    with pytest.raises(RuntimeError, match="not fitted"):
        MLP().predict(np.zeros((1, 2)))
    with pytest.raises(ValueError, match="only 0 and 1"):
        MLP().fit(np.zeros((2, 2)), np.array([0.5, 1]))


def test_follows_the_same_path_as_keras_from_the_same_weights():
    from mlbasics.basics.keras_twin import keras_mlp

    X, y = truth_table("xor")
    ours = MLP((4,), learning_rate=0.5, epochs=10, batch_size=4, seed=0).fit(X, y)
    start = MLP((4,), seed=0)
    start.init_params(2)
    theirs = keras_mlp(2, (4,), learning_rate=0.5)
    theirs.set_weights([start.params[k] for k in ("W0", "b0", "W1", "b1")])
    theirs.fit(X, y, batch_size=4, epochs=10, shuffle=False, verbose=0)
    for name, weights in zip(("W0", "b0", "W1", "b1"), theirs.get_weights()):
        np.testing.assert_allclose(ours.params[name], weights, atol=1e-4, err_msg=name)
