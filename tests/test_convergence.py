"""Training to convergence: early stopping, batch_size="auto", whole passes."""

import copy
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skdistill import DistilledClassifier, MLPStudent


def _scratch(**params):
    """A student trained from scratch (no teacher), small and quick."""
    defaults = dict(alpha=1.0, student=MLPStudent((16,)), random_state=0)
    return DistilledClassifier(**{**defaults, **params})


class Recorder:
    """Builds a Keras callback that records each epoch's weights and steps.

    ``fit`` deep-copies its callbacks; the copy writes into the same lists.
    """

    def __init__(self):
        self.weights, self.steps, self.logs = [], [], []

    def callback(self):
        import keras

        record = self

        class Recording(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                record.steps.append(self.params.get("steps"))

            def on_epoch_end(self, epoch, logs=None):
                record.weights.append([w.copy() for w in self.model.get_weights()])
                record.logs.append(dict(logs or {}))

            def __deepcopy__(self, memo):
                return self

        return Recording()


def test_training_stops_after_n_iter_no_change_epochs_without_improvement(
    small_data,
):
    X, y = small_data
    # No decrease is as large as tol: every epoch after the first counts
    # against the fit, and the fifth epoch is the fourth in a row (> 3).
    clf = _scratch(tol=1e6, n_iter_no_change=3, epochs=50).fit(X, y)
    assert clf.n_iter_ == 5
    assert len(clf.history_["loss"]) == 5


def test_small_decreases_count_against_the_fit_as_in_mlpclassifier():
    # A loss that falls by 0.6 * tol every epoch: each epoch misses tol, so
    # MLPClassifier's rule stops after n_iter_no_change + 1 of them. Keras's
    # EarlyStopping would not stop: its decreases add up past tol.
    import keras

    from skdistill.training._stopping import early_stopping as _early_stopping

    class Model:
        stop_training = False

    stopper = _early_stopping(keras, [], 3, 1.0, validation=False)
    stopper.set_model(Model())
    stopper.on_train_begin()
    stopped_at = None
    for epoch in range(20):
        stopper.on_epoch_end(epoch, {"loss": 100.0 - 0.6 * epoch})
        if stopper.model.stop_training:
            stopped_at = epoch
            break
    assert stopped_at == 4 == stopper.stopped_epoch


def test_n_iter_no_change_none_trains_every_epoch(small_data):
    X, y = small_data
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = _scratch(tol=1e6, n_iter_no_change=None, epochs=7).fit(X, y)
    assert clf.n_iter_ == 7


def test_running_out_of_epochs_while_improving_warns(small_data):
    X, y = small_data
    with pytest.warns(ConvergenceWarning, match=r"epochs=3 .* Raise epochs"):
        clf = _scratch(tol=0.0, epochs=3).fit(X, y)
    assert clf.n_iter_ == 3


def test_a_users_early_stopping_replaces_the_built_in_rule(small_data):
    import keras

    X, y = small_data
    stop = keras.callbacks.EarlyStopping(monitor="loss", patience=1, min_delta=1e6)
    clf = _scratch(n_iter_no_change=40, epochs=50, callbacks=[stop]).fit(X, y)
    assert clf.n_iter_ == 2


def test_early_stopping_on_held_out_loss_keeps_the_best_epochs_weights(digits):
    X_train, _, y_train, _ = digits
    recorder = Recorder()
    clf = _scratch(
        student=MLPStudent((32,), standardize=True),
        validation_fraction=0.3,
        learning_rate=0.05,  # large enough that the held-out loss turns up
        n_iter_no_change=3,
        epochs=60,
        callbacks=[recorder.callback()],
    ).fit(X_train.astype(np.float32), y_train)
    val_loss = np.array(clf.history_["val_loss"])
    best = int(np.argmin(val_loss))
    assert clf.n_iter_ < 60 and best < clf.n_iter_ - 1
    kept = clf.student_model_.get_weights()
    for ours, recorded in zip(kept, recorder.weights[best], strict=True):
        np.testing.assert_array_equal(ours, recorded)
    assert not all(
        np.array_equal(a, b) for a, b in zip(kept, recorder.weights[-1], strict=True)
    )


@pytest.mark.parametrize(("n_rows", "steps"), [(150, 1), (240, 2)])
def test_auto_batch_size_is_200_rows_at_most(small_data, n_rows, steps):
    X, y = small_data
    recorder = Recorder()
    _scratch(epochs=1, n_iter_no_change=None, callbacks=[recorder.callback()]).fit(
        X[:n_rows], y[:n_rows]
    )
    assert recorder.steps == [steps]


def test_small_and_large_passes_train_alike(small_data):
    # 240 rows in batches of 8 (30 steps: rows repeated, one call per pass)
    # and of 1 (240 steps: a finite pipeline per epoch) both learn the task.
    X, y = small_data
    for batch_size in (8, 1):
        clf = _scratch(batch_size=batch_size, epochs=20, n_iter_no_change=None)
        assert clf.fit(X, y).score(X, y) > 0.95
        assert clf.n_iter_ == 20


def test_each_epoch_of_repeated_rows_is_one_whole_pass():
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "tensorflow":
        pytest.skip("rows are repeated on the TensorFlow backend only")
    from skdistill.training._data import fit_arguments

    n, batch = 23, 5
    rows = np.arange(n, dtype=np.float32)[:, None]
    targets = np.zeros((n, 3), np.float32)
    weights = np.ones(n, np.float32)
    data, _, _ = fit_arguments(
        rows,
        targets,
        weights,
        n_labeled=n,
        batch_size=batch,
        validation_fraction=0.0,
        seed=0,
        max_repeated_steps=64,
    )
    steps = data["steps_per_epoch"]
    assert steps == 5
    batches = iter(data["x"])
    passes = []
    for _ in range(3):
        seen = np.concatenate([next(batches)[0].numpy().ravel() for _ in range(steps)])
        np.testing.assert_array_equal(np.sort(seen), np.arange(n))
        passes.append(seen)
    # Reshuffled between passes.
    assert not np.array_equal(passes[0], passes[1])


def test_rows_are_not_repeated_when_a_pass_is_long():
    from skdistill.training._data import fit_arguments

    n = 200
    data, _, _ = fit_arguments(
        np.zeros((n, 2), np.float32),
        np.zeros((n, 3), np.float32),
        np.ones(n, np.float32),
        n_labeled=n,
        batch_size=1,
        validation_fraction=0.0,
        seed=0,
        max_repeated_steps=64,
    )
    assert "steps_per_epoch" not in data


def test_convergence_settings_are_not_mutated_and_clone(small_data):
    from sklearn.base import clone

    clf = _scratch(n_iter_no_change=5, tol=1e-3, batch_size="auto")
    copied = copy.deepcopy(clf.get_params())
    X, y = small_data
    clf.set_params(epochs=2).fit(X, y)
    assert clone(clf).get_params()["n_iter_no_change"] == 5
    assert clf.get_params()["tol"] == copied["tol"]
    assert clf.get_params()["batch_size"] == "auto"


@pytest.mark.parametrize("tol", [1e-4, 0.05])
def test_passes_grouped_in_keras_epochs_train_and_record_as_one_per_epoch(
    small_data, tol
):
    # Without callbacks, short passes run many to a Keras epoch; a callback
    # of the user's makes each pass its own epoch. Training is the same, and
    # so are the per-pass figures and where the stopping rule ends the fit.
    import keras

    X, y = small_data
    params = dict(epochs=60, tol=tol, n_iter_no_change=5)
    grouped = _scratch(**params).fit(X, y)
    single = _scratch(**params, callbacks=[keras.callbacks.Callback()]).fit(X, y)
    assert grouped.n_iter_ == single.n_iter_
    if tol == 0.05:
        assert grouped.n_iter_ < 60
    assert set(grouped.history_) == set(single.history_)
    for name, values in single.history_.items():
        np.testing.assert_allclose(grouped.history_[name], values, atol=2e-5)
    np.testing.assert_array_equal(grouped.predict_proba(X), single.predict_proba(X))


def test_users_patient_early_stopping_replaces_the_built_in_rule(small_data):
    import keras

    X, y = small_data
    # With tol=1e6 the built-in rule alone stops after n_iter_no_change + 1
    # epochs; the user's patient callback never stops within 10 epochs. It
    # must replace the rule, not run beside it.
    patient = keras.callbacks.EarlyStopping(monitor="loss", patience=100)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = _scratch(tol=1e6, n_iter_no_change=2, epochs=10, callbacks=[patient]).fit(
            X, y
        )
    assert clf.n_iter_ == 10
