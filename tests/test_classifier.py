"""DistilledClassifier: parameters, inputs, training behaviour, reproducibility."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB

from skdistill import DistilledClassifier

pytestmark = pytest.mark.backends

FAST = dict(
    epochs=8, learning_rate=0.01, random_state=0, batch_size=32, n_iter_no_change=None
)


# Parameter checks: tests/test_validation.py.


def test_nan_in_x(small_data, teacher):
    X, y = small_data
    X = X.copy()
    X[3, 2] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        DistilledClassifier(teacher=teacher).fit(X, y)


def test_inf_in_x_unlabeled(small_data, teacher):
    X, y = small_data
    X_unlabeled = X.copy()
    X_unlabeled[0, 0] = np.inf
    with pytest.raises(ValueError, match="X_unlabeled contains infinity"):
        DistilledClassifier(teacher=teacher).fit(X, y, X_unlabeled=X_unlabeled)


def test_empty_x(teacher):
    with pytest.raises(ValueError, match="0 sample"):
        DistilledClassifier(teacher=teacher).fit(np.empty((0, 6)), np.empty(0))


def test_mismatched_lengths(small_data, teacher):
    X, y = small_data
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        DistilledClassifier(teacher=teacher).fit(X, y[:-1])


def test_sample_weight_shape_and_sign(small_data, teacher):
    X, y = small_data
    clf = DistilledClassifier(teacher=teacher)
    with pytest.raises(ValueError, match=r"sample_weight must have shape \(240,\)"):
        clf.fit(X, y, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="sample_weight must be non-negative"):
        clf.fit(X, y, sample_weight=-np.ones(len(y)))


def test_x_unlabeled_shape_checked(small_data, teacher):
    X, y = small_data
    with pytest.raises(ValueError, match=r"X_unlabeled rows must have the shape"):
        DistilledClassifier(teacher=teacher).fit(X, y, X_unlabeled=X[:, :4])


def test_regression_target(small_data, teacher):
    X, _ = small_data
    with pytest.raises(ValueError, match="Unknown label type"):
        DistilledClassifier(teacher=teacher).fit(X, np.linspace(0, 1, len(X)))


def test_predict_before_fit(small_data):
    X, _ = small_data
    with pytest.raises(NotFittedError):
        DistilledClassifier().predict(X)


def test_wrong_feature_count_at_predict(small_data, teacher, tiny_student):
    X, y = small_data
    clf = DistilledClassifier(teacher=teacher, student=tiny_student, epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="X has 5 features, but DistilledClassifier"):
        clf.predict(X[:, :5])


def test_wrong_image_shape_at_predict(digits):
    X_train, _, y_train, _ = digits
    images = X_train.reshape(-1, 8, 8)
    teacher = LogisticRegression(max_iter=500).fit(X_train, y_train)
    clf = DistilledClassifier(teacher=teacher, epochs=1).fit(images, y_train)
    with pytest.raises(ValueError, match=r"samples of shape \(8, 4\)"):
        clf.predict(images[:, :, :4])


def test_inputs_and_parameters_are_not_mutated(small_data, teacher, tiny_student):
    import keras

    X, y = small_data
    X_unlabeled = X[:50] + 1.0
    weights = np.linspace(0.5, 1.5, len(y))
    copies = [a.copy() for a in (X, y, X_unlabeled, weights)]
    optimizer = keras.optimizers.Adam(learning_rate=0.02)
    clf = DistilledClassifier(
        teacher=teacher, student=tiny_student, optimizer=optimizer
    )
    clf.set_params(epochs=2, random_state=0)
    params = clf.get_params(deep=False)
    clf.fit(X, y, sample_weight=weights, X_unlabeled=X_unlabeled)
    for before, after in zip(copies, (X, y, X_unlabeled, weights), strict=True):
        np.testing.assert_array_equal(before, after)
    assert clf.get_params(deep=False) == params
    assert int(optimizer.iterations) == 0, "the user's optimizer must not be trained"


def test_same_random_state_same_predictions(small_data, teacher, tiny_student):
    X, y = small_data
    fit = lambda seed: DistilledClassifier(  # noqa: E731
        teacher=teacher, student=tiny_student, epochs=3, random_state=seed
    ).fit(X, y)
    np.testing.assert_array_equal(fit(0).predict_proba(X), fit(0).predict_proba(X))
    assert not np.allclose(fit(0).predict_proba(X), fit(1).predict_proba(X))


def test_fit_leaves_global_random_state_alone(small_data, teacher, tiny_student):
    X, y = small_data
    np.random.seed(123)
    expected = np.random.random_sample()
    np.random.seed(123)
    DistilledClassifier(
        teacher=teacher, student=tiny_student, epochs=1, random_state=0
    ).fit(X, y)
    assert np.random.random_sample() == expected


def test_alpha_zero_follows_teacher_alpha_one_follows_labels(small_data, tiny_student):
    # The teacher was trained on shifted labels, so the two terms disagree on
    # every row: each extreme of alpha must follow its own term.
    X, y = small_data
    shifted = (y + 1) % 3
    liar = LogisticRegression().fit(X, shifted)
    params = dict(teacher=liar, student=tiny_student, epochs=15, learning_rate=0.01)
    pure = DistilledClassifier(alpha=0.0, random_state=0, **params).fit(X, y)
    scratch = DistilledClassifier(alpha=1.0, random_state=0, **params).fit(X, y)
    assert np.mean(pure.predict(X) == liar.predict(X)) > 0.9
    assert np.mean(scratch.predict(X) == y) > 0.9


def test_alpha_one_does_not_depend_on_the_teacher(small_data, tiny_student):
    X, y = small_data
    fit = lambda t: DistilledClassifier(  # noqa: E731
        teacher=t, student=tiny_student, alpha=1.0, epochs=3, random_state=0
    ).fit(X, y)
    a = fit(LogisticRegression().fit(X, y)).predict_proba(X)
    b = fit(GaussianNB().fit(X, y)).predict_proba(X)
    np.testing.assert_allclose(a, b, rtol=1e-6)


def test_unlabeled_rows_transfer_the_teacher(digits):
    X_train, X_test, y_train, y_test = digits
    teacher = LogisticRegression(max_iter=2000).fit(X_train, y_train)
    few = np.arange(60)
    params = dict(teacher=teacher, alpha=0.1, epochs=30, random_state=0)
    alone = DistilledClassifier(**params).fit(X_train[few], y_train[few])
    transfer = DistilledClassifier(**params).fit(
        X_train[few], y_train[few], X_unlabeled=X_train[60:]
    )
    assert transfer.score(X_test, y_test) > alone.score(X_test, y_test) + 0.03
    assert transfer.score(X_test, y_test) > 0.9


def test_sample_weight_weights_rows(small_data, teacher, tiny_student):
    X, y = small_data
    weights = np.where(y == 2, 0.0, 1.0)
    params = dict(teacher=teacher, student=tiny_student, alpha=1.0, **FAST)
    weighted = DistilledClassifier(**params).fit(X, y, sample_weight=weights)
    plain = DistilledClassifier(**params).fit(X, y)
    assert np.mean(plain.predict(X[y == 2]) == 2) > 0.8
    assert np.mean(weighted.predict(X[y == 2]) == 2) < 0.2


def test_history_records_each_term(small_data, teacher, tiny_student):
    X, y = small_data
    alpha, n_unlabeled = 0.3, 40
    clf = DistilledClassifier(
        teacher=teacher,
        student=tiny_student,
        alpha=alpha,
        temperature=3.0,
        validation_fraction=0.25,
        **FAST,
    ).fit(X, y, X_unlabeled=X[:n_unlabeled])
    expected = {"loss", "hard_loss", "soft_loss", "accuracy"}
    assert expected | {f"val_{k}" for k in expected} <= set(clf.history_)
    assert all(len(v) == 8 for v in clf.history_.values())
    h = {k: np.array(v) for k, v in clf.history_.items()}
    # Per row the loss is alpha * hard (labeled rows only) + (1 - alpha) * soft,
    # both terms as the metrics record them (T**2 included). hard_loss averages
    # over labeled rows, soft_loss and loss over all rows: 180 of the 240
    # labeled rows train, with the 40 unlabeled ones.
    n_val = int(np.ceil(0.25 * len(X)))
    labeled_share = (len(X) - n_val) / (len(X) - n_val + n_unlabeled)
    np.testing.assert_allclose(
        h["loss"],
        alpha * labeled_share * h["hard_loss"] + (1 - alpha) * h["soft_loss"],
        rtol=1e-4,
    )
    # The validation rows are all labeled.
    np.testing.assert_allclose(
        h["val_loss"],
        alpha * h["val_hard_loss"] + (1 - alpha) * h["val_soft_loss"],
        rtol=1e-4,
    )
    assert h["soft_loss"][-1] < h["soft_loss"][0]


def test_callbacks_are_used(small_data, teacher, tiny_student):
    import keras

    X, y = small_data
    stop = keras.callbacks.EarlyStopping(monitor="loss", min_delta=1e9, patience=0)
    clf = DistilledClassifier(
        teacher=teacher, student=tiny_student, epochs=10, callbacks=[stop]
    ).fit(X, y)
    assert len(clf.history_["loss"]) < 10


@pytest.mark.parametrize("verbose", [0, 1])
def test_verbose(small_data, teacher, tiny_student, capfd, verbose):
    X, y = small_data
    DistilledClassifier(
        teacher=teacher, student=tiny_student, epochs=2, verbose=verbose
    ).fit(X, y)
    out = capfd.readouterr().out
    if verbose:
        assert "Epoch 2/2" in out
    else:
        assert out == ""


def test_student_model_is_ready_to_save(tmp_path, small_data, teacher, tiny_student):
    import keras

    X, y = small_data
    clf = DistilledClassifier(teacher=teacher, student=tiny_student, epochs=2).fit(X, y)
    path = tmp_path / "student.keras"
    clf.student_model_.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded(X)),
        keras.ops.convert_to_numpy(clf.student_model_(X)),
        rtol=1e-5,
    )


def test_repeated_predictions_agree(small_data, teacher, tiny_student):
    # The first call runs the student eagerly, later ones a traced forward
    # pass (TensorFlow); both must give the same answers, in chunks or not.
    X, y = small_data
    clf = DistilledClassifier(
        teacher=teacher, student=tiny_student, inference_batch_size=50, **FAST
    ).fit(X, y)
    first = clf.predict_proba(X)
    np.testing.assert_allclose(clf.predict_proba(X), first, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(clf.predict_proba(X[:7]), first[:7], atol=1e-6)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[first.argmax(axis=1)])


def test_other_threads_drawing_random_numbers_do_not_change_a_fit(
    small_data, teacher, tiny_student
):
    # Keras seeds initializers from Python's global random module, which other
    # threads (a Dask worker's event loop) draw from too.
    import random
    import threading
    import time

    X, y = small_data
    params = dict(teacher=teacher, student=tiny_student, epochs=2, random_state=0)
    alone = DistilledClassifier(**params).fit(X, y).predict_proba(X)
    stop = threading.Event()

    def draw():
        while not stop.is_set():
            random.randint(1, 10)
            time.sleep(1e-4)  # thousands of draws a second, without hogging the GIL

    thread = threading.Thread(target=draw)
    thread.start()
    try:
        crowded = DistilledClassifier(**params).fit(X, y).predict_proba(X)
    finally:
        stop.set()
        thread.join()
    np.testing.assert_array_equal(crowded, alone)
