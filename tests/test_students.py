"""Student builders: how they are called, searched, checked and rebuilt."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from skdistill import ConvNet, DistilledClassifier, MLPStudent

FAST = dict(
    epochs=3, learning_rate=0.01, random_state=0, batch_size=32, n_iter_no_change=None
)


def test_builder_receives_meta(small_data, teacher):
    import keras

    X, y = small_data
    seen = {}

    def build(meta):
        seen.update(meta)
        return keras.Sequential(
            [keras.Input(meta["input_shape"]), keras.layers.Dense(meta["n_classes_"])]
        )

    DistilledClassifier(teacher=teacher, student=build, **FAST).fit(X, y)
    assert seen["n_features_in_"] == 6
    assert seen["n_classes_"] == 3
    assert seen["input_shape"] == (6,)
    np.testing.assert_array_equal(seen["classes_"], [0, 1, 2])
    np.testing.assert_allclose(
        seen["feature_mean"], X.mean(axis=0), rtol=1e-4, atol=1e-5
    )
    assert seen["n_samples"] == len(X)


def test_builder_without_meta_is_called_without_arguments(small_data, teacher):
    import keras

    X, y = small_data
    calls = []

    def build():
        calls.append(1)
        return keras.Sequential([keras.Input((6,)), keras.layers.Dense(3)])

    clf = DistilledClassifier(teacher=teacher, student=build, **FAST)
    clf.fit(X, y)
    first = clf.student_model_
    clf.fit(X, y)
    assert len(calls) == 2, "each fit builds a fresh student"
    assert clf.student_model_ is not first


def test_builder_must_return_a_keras_model(small_data, teacher):
    X, y = small_data
    with pytest.raises(TypeError, match="must return a keras.Model"):
        DistilledClassifier(teacher=teacher, student=lambda: "model").fit(X, y)


def test_student_of_wrong_kind(small_data, teacher):
    X, y = small_data
    with pytest.raises(
        TypeError, match="student must be None, an unfitted scikit-learn"
    ):
        DistilledClassifier(teacher=teacher, student=42).fit(X, y)


def test_output_width_must_match_classes(small_data, teacher):
    import keras

    X, y = small_data

    def build(meta):
        return keras.Sequential(
            [keras.Input(meta["input_shape"]), keras.layers.Dense(5)]
        )

    with pytest.raises(ValueError, match="5 outputs but there are 3 classes"):
        DistilledClassifier(teacher=teacher, student=build).fit(X, y)


def test_keras_model_template_is_cloned_fresh(small_data, teacher):
    import keras

    X, y = small_data
    template = keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(3),
        ]
    )
    before = [w.copy() for w in template.get_weights()]
    clf = DistilledClassifier(teacher=teacher, student=template, **FAST).fit(X, y)
    assert clf.student_model_ is not template
    for w, b in zip(template.get_weights(), before, strict=True):
        np.testing.assert_array_equal(w, b)


def test_softmax_student_is_trained_and_predicts(small_data, teacher):
    import keras

    X, y = small_data

    def build(meta):
        return keras.Sequential(
            [
                keras.Input(meta["input_shape"]),
                keras.layers.Dense(16, activation="relu"),
                keras.layers.Dense(meta["n_classes_"], activation="softmax"),
            ]
        )

    clf = DistilledClassifier(
        teacher=teacher, student=build, epochs=10, learning_rate=0.01
    )
    clf.fit(X, y)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(
        proba,
        keras.ops.convert_to_numpy(clf.student_model_(X)),
        rtol=1e-4,
        atol=1e-6,
    )
    assert clf.score(X, y) > 0.8


def test_builder_hyperparameters_are_searchable(small_data, teacher):
    X, y = small_data
    clf = DistilledClassifier(
        teacher=teacher, student=MLPStudent(hidden_units=(4,)), **FAST
    )
    assert "student__hidden_units" in clf.get_params()
    clf.set_params(student__hidden_units=(7,))
    clf.fit(X, y)
    dense_widths = [
        layer.units for layer in clf.student_model_.layers if hasattr(layer, "units")
    ]
    assert dense_widths == [7, 3]


def test_mlp_student_standardizes_with_training_statistics(small_data):
    X, y = small_data
    shifted = X * 100 + 1000
    clf = DistilledClassifier(
        teacher=LogisticRegression(), student=MLPStudent((16,), standardize=True)
    )
    clf.set_params(epochs=10, learning_rate=0.01, random_state=0).fit(shifted, y)
    assert clf.score(shifted, y) > 0.8


@pytest.mark.parametrize("shape", [(8, 8, 1), (8, 8), (64,)])
def test_convnet_accepts_images_in_several_shapes(digits, shape):
    X_train, X_test, y_train, y_test = digits
    teacher = LogisticRegression(max_iter=2000).fit(X_train, y_train)
    clf = DistilledClassifier(
        teacher=teacher,
        student=ConvNet(filters=(8, 16)),
        epochs=10,
        learning_rate=0.005,
        random_state=0,
    )
    clf.fit(X_train.reshape(-1, *shape), y_train)
    assert clf.input_shape_ == shape
    assert clf.score(X_test.reshape(-1, *shape), y_test) > 0.85


def test_convnet_rejects_non_square_flat_input(small_data, teacher):
    X, y = small_data
    with pytest.raises(ValueError, match="ConvNet needs images"):
        DistilledClassifier(teacher=teacher, student=ConvNet()).fit(X, y)


def _normalization(model):
    import keras

    return next(
        layer for layer in model.layers if isinstance(layer, keras.layers.Normalization)
    )


def test_mlp_standardizes_flat_rows_per_feature_and_images_globally():
    rng = np.random.default_rng(0)
    flat = rng.normal(5.0, [1.0, 10.0, 0.0], size=(100, 3)).astype(np.float32)
    meta = {
        "input_shape": (3,),
        "n_classes_": 2,
        "n_outputs": 2,
        "feature_mean": flat.mean(axis=0),
        "feature_std": flat.std(axis=0),
    }
    layer = _normalization(MLPStudent(standardize=True).build(meta))
    out = np.asarray(layer(flat))
    np.testing.assert_allclose(out[:, :2].std(axis=0), 1.0, rtol=1e-3)
    np.testing.assert_allclose(out[:, 2], 0.0, atol=1e-5)  # constant: centred only

    # A pixel lit once in 100 images must not be blown up by its tiny std.
    images = np.zeros((100, 4, 4, 1), np.float32)
    images[:, :2] = rng.uniform(size=(100, 2, 4, 1))
    images[0, 3, 3, 0] = 1.0
    meta = {
        "input_shape": (4, 4, 1),
        "n_classes_": 2,
        "n_outputs": 2,
        "feature_mean": images.mean(axis=0),
        "feature_std": images.std(axis=0),
    }
    out = np.asarray(
        _normalization(MLPStudent(standardize=True).build(meta))(
            images.reshape(100, -1)
        )
    )
    assert np.abs(out).max() < 10
    np.testing.assert_allclose(out.std(), 1.0, rtol=1e-3)
