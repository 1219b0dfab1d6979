"""The private Keras hooks skdistill uses are there, and their fallbacks work.

If a Keras upgrade moves one of these, the tests named ``..._is_there`` fail:
the fallback keeps results correct (the ``..._fallback`` tests), but slower
or less isolated, and the hook should be found again.
"""

import random
import threading

import keras
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import skdistill.utils._keras_hooks as hooks
from skdistill import DistilledClassifier, MLPStudent
from skdistill.training._trainer import structure_key

pytestmark = pytest.mark.backends


def _fit(X, y, **params):
    return DistilledClassifier(
        teacher=LogisticRegression().fit(X, y),
        student=MLPStudent(hidden_units=(8,)),
        epochs=2,
        random_state=0,
        **params,
    ).fit(X, y)


# --- the per-thread seed source ---------------------------------------------


def test_the_seed_source_hook_is_there():
    module = hooks.seed_source_module()
    assert module is not None, (
        f"{hooks.SEED_GENERATOR_MODULE}.python_random is gone: Keras's default "
        "seeds can no longer be made private to the fitting thread"
    )
    assert hooks.install_seed_source()
    assert isinstance(module.python_random, hooks.ThreadSeedSource)


def test_seeded_fits_agree_without_the_seed_source_hook(small_data, monkeypatch):
    X, y = small_data
    monkeypatch.setattr(hooks, "seed_source_module", lambda: None)
    assert not hooks.install_seed_source()
    first = _fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(_fit(X, y).predict_proba(X), first)


def test_the_seed_source_keeps_other_threads_out_of_a_fit(small_data):
    # With the hook, a thread drawing from random during the fit changes
    # nothing; this is what the fallback cannot promise.
    X, y = small_data
    expected = _fit(X, y).predict_proba(X)
    stop = threading.Event()

    def draw():
        while not stop.is_set():
            random.random()

    thread = threading.Thread(target=draw)
    thread.start()
    try:
        got = _fit(X, y).predict_proba(X)
    finally:
        stop.set()
        thread.join()
    np.testing.assert_array_equal(got, expected)


# --- seeding without importing TensorFlow -------------------------------------


def test_the_lazy_tensorflow_hook_is_there():
    lazy = hooks.lazy_tensorflow()
    assert lazy is not None, (
        f"{hooks.LAZY_TENSORFLOW_MODULE}.tensorflow lost its _available flag: "
        "seeding on JAX or PyTorch would import TensorFlow"
    )


def test_seeding_without_the_lazy_tensorflow_hook(monkeypatch):
    monkeypatch.setattr(hooks, "lazy_tensorflow", lambda: None)
    hooks.set_random_seed(keras, 3)
    first = keras.random.uniform((4,), seed=None)
    hooks.set_random_seed(keras, 3)
    second = keras.random.uniform((4,), seed=None)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(first), keras.ops.convert_to_numpy(second)
    )


# --- every layer of a model ---------------------------------------------------


def _nested_model(units):
    inner = keras.Sequential([keras.layers.Dense(units), keras.layers.Dense(4)])
    inputs = keras.Input((6,))
    return keras.Model(inputs, keras.layers.Dense(3)(inner(inputs)))


def test_the_flatten_layers_hook_is_there():
    model = _nested_model(5)
    assert callable(getattr(model, "_flatten_layers", None)), (
        "keras.Model._flatten_layers is gone: structure keys walk the public "
        "layers attribute instead"
    )
    assert hooks.flatten_layers(model) == list(model._flatten_layers())


def test_the_public_walk_finds_the_same_layers(monkeypatch):
    model = _nested_model(5)
    # InputLayers inside a Sequential are not in its public layers list.
    private = [
        layer
        for layer in model._flatten_layers(include_self=True)
        if not isinstance(layer, keras.layers.InputLayer)
    ]
    public = [
        layer
        for layer in hooks.walk_layers(model)
        if not isinstance(layer, keras.layers.InputLayer)
    ]
    assert public == private


def _functional_model(units):
    inputs = keras.Input((6,))
    hidden = keras.layers.Dense(units, activation="relu")(inputs)
    return keras.Model(inputs, keras.layers.Dense(3)(hidden))


def test_structure_keys_without_the_flatten_layers_hook(monkeypatch):
    if keras.backend.backend() != "tensorflow":
        pytest.skip("structure keys are made on the TensorFlow backend only")
    monkeypatch.setattr("skdistill.training._trainer.flatten_layers", hooks.walk_layers)
    # Two builds of one architecture still share a key (a trainer is reused)...
    first, second = (structure_key(keras, _functional_model(5)) for _ in range(2))
    assert first is not None and first == second
    # ...and other architectures never do. A nested Sequential's own input
    # layer is not walked, so its builds may get distinct keys: no reuse, an
    # extra trace, the same results.
    keys = {structure_key(keras, m) for m in (_functional_model(7), _nested_model(5))}
    keys.add(structure_key(keras, _nested_model(6)))
    assert first not in keys and len(keys) == 3
