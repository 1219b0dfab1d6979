"""Shipping the student: ``export_student()`` and ``skdistill.to_onnx``.

Every export is checked against the estimator it came from, on held-out rows
that the export never saw, and loaded again where skdistill (and, for
scikit-learn exports and ONNX graphs, Keras) cannot be imported.
"""

import io
import json
import pickle
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from sklearn.base import BaseEstimator, TransformerMixin, is_classifier
from sklearn.compose import make_column_transformer
from sklearn.datasets import make_classification, make_friedman1
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.exceptions import NotFittedError
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skdistill import (
    ConvNet,
    DistilledClassifier,
    DistilledRegressor,
    MLPStudent,
    to_onnx,
)

pd = pytest.importorskip("pandas")

NOMINAL = ["band", "kind"]
#: Kinds whose student is a Keras model.
KERAS_KINDS = {"keras", "keras_unstandardized"}

CLASSIFIER_STUDENTS = {
    "tree": lambda: DecisionTreeClassifier(max_depth=6, random_state=0),
    "hist_gradient_boosting": lambda: HistGradientBoostingClassifier(
        max_iter=10, random_state=0
    ),
    "logistic": lambda: LogisticRegression(max_iter=1000),
    "pipeline": lambda: make_pipeline(
        StandardScaler(), LogisticRegression(max_iter=1000)
    ),
    # Regressors learn the teacher's logits.
    "ridge": lambda: Ridge(),
    "tree_regressor": lambda: DecisionTreeRegressor(max_depth=6, random_state=0),
    "keras": lambda: MLPStudent(hidden_units=(16,), standardize=True),
    "keras_unstandardized": lambda: MLPStudent(hidden_units=(16,), standardize=False),
}

REGRESSOR_STUDENTS = {
    "tree": lambda: DecisionTreeRegressor(max_depth=6, random_state=0),
    "pipeline": lambda: make_pipeline(StandardScaler(), Ridge()),
    "hist_gradient_boosting": lambda: HistGradientBoostingRegressor(
        max_iter=20, random_state=0
    ),
    "keras": lambda: MLPStudent(hidden_units=(16,), standardize=True),
    "keras_unstandardized": lambda: MLPStudent(hidden_units=(16,), standardize=False),
}
#: (kind, number of target columns); HistGradientBoosting takes one column.
REGRESSOR_CASES = [
    ("tree", 1),
    ("tree", 2),
    ("pipeline", 2),
    ("hist_gradient_boosting", 1),
    ("keras", 1),
    ("keras", 2),
    ("keras_unstandardized", 1),
]


def _fitted_once(fit):
    """``fit(*args)``, computed on first use and then shared by a module's tests."""
    fitted = {}

    def get(*args):
        if args not in fitted:
            fitted[args] = fit(*args)
        return fitted[args]

    return get


# --- data and estimators ------------------------------------------------------


@pytest.fixture(scope="module")
def table():
    """Three classes in float64 rows: 100 labeled, 100 transfer, 100 held out,
    a forest teacher for int labels and one for string labels."""
    X, y = make_classification(
        n_samples=300,
        n_features=8,
        n_informative=5,
        n_redundant=1,
        n_classes=3,
        class_sep=1.5,
        random_state=0,
    )
    names = np.array(["ant", "bee", "cat"])[y]
    return {
        "X": X[:100],
        "y": y[:100],
        "names": names[:100],
        "unlabeled": X[100:200],
        "test": X[200:],
        "teacher": RandomForestClassifier(40, random_state=0).fit(X[:200], y[:200]),
        "name_teacher": RandomForestClassifier(40, random_state=0).fit(
            X[:200], names[:200]
        ),
    }


def _classifier(table, kind, labels="y"):
    teacher = table["teacher"] if labels == "y" else table["name_teacher"]
    return DistilledClassifier(
        teacher=teacher,
        student=CLASSIFIER_STUDENTS[kind](),
        alpha=0.3,
        temperature=2.0,
        epochs=10,
        random_state=0,
    ).fit(table["X"], table[labels], X_unlabeled=table["unlabeled"])


@pytest.fixture(scope="module")
def classifiers(table):
    """``classifiers(kind)`` (int labels) or ``classifiers(kind, "names")``."""
    get = _fitted_once(lambda kind, labels: _classifier(table, kind, labels))
    return lambda kind, labels="y": get(kind, labels)


@pytest.fixture(scope="module")
def targets():
    """Friedman #1 in dollars (mean about 40 000, spread a few thousand), one
    and two target columns, and a forest teacher for each."""
    X, y = make_friedman1(n_samples=300, n_features=6, noise=0.3, random_state=0)
    dollars = 40_000 + 2_500 * y
    two = np.column_stack([dollars, 1_000_000 - 20_000 * X[:, 1] * y])
    data = {"X": X[:100], "unlabeled": X[100:200], "test": X[200:]}
    for n_outputs, y_all in ((1, dollars), (2, two)):
        data[n_outputs] = (
            y_all[:100],
            RandomForestRegressor(40, random_state=0).fit(X[:200], y_all[:200]),
        )
    return data


def _regressor(targets, kind, n_outputs):
    y, teacher = targets[n_outputs]
    return DistilledRegressor(
        teacher=teacher,
        student=REGRESSOR_STUDENTS[kind](),
        alpha=0.3,
        epochs=10,
        random_state=0,
    ).fit(targets["X"], y, X_unlabeled=targets["unlabeled"])


@pytest.fixture(scope="module")
def regressors(targets):
    """``regressors(kind, n_outputs)``."""
    return _fitted_once(lambda kind, n_outputs: _regressor(targets, kind, n_outputs))


def _frame(n=300, seed=0):
    X, y = make_classification(
        n, 6, n_informative=4, n_redundant=0, n_classes=3, random_state=seed
    )
    frame = pd.DataFrame(X[:, :4], columns=["x0", "x1", "x2", "x3"])
    frame["count"] = np.round(3 * X[:, 4]).astype(np.int64)
    frame["band"] = pd.Categorical(
        np.array(["low", "mid", "high"])[np.digitize(X[:, 5], [-0.5, 0.5])]
    )
    frame["kind"] = np.where(X[:, 0] + X[:, 5] > 0, "a", "b").astype(object)
    frame.loc[::7, "x3"] = np.nan
    price = 40_000 + 5_000 * (X[:, 0] + 2 * (frame["kind"] == "a") + X[:, 4])
    return frame, y, np.asarray(price, dtype=np.float64)


def _encoder():
    return make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), NOMINAL),
        remainder=make_pipeline(SimpleImputer(), StandardScaler()),
    )


def _frame_teacher(estimator):
    return make_pipeline(
        make_column_transformer((OrdinalEncoder(), NOMINAL), remainder="passthrough"),
        estimator,
    )


@pytest.fixture(scope="module")
def frames():
    """A frame of float (with missing values), int, category and str columns:
    100 labeled rows, 100 transfer rows, 100 held out; labels and prices."""
    frame, y, price = _frame()
    return {
        "X": frame[:100],
        "y": y[:100],
        "price": price[:100],
        "unlabeled": frame[100:200],
        "test": frame[200:],
        "teacher": _frame_teacher(
            HistGradientBoostingClassifier(max_iter=20, random_state=0)
        ).fit(frame[:200], y[:200]),
        "price_teacher": _frame_teacher(
            HistGradientBoostingRegressor(max_iter=20, random_state=0)
        ).fit(frame[:200], price[:200]),
    }


#: On frames: (student, preprocessor) by kind, for either task.
FRAME_STUDENTS = {
    "classification": {
        "pipeline": lambda: (
            make_pipeline(_encoder(), DecisionTreeClassifier(max_depth=5)),
            None,
        ),
        "preprocessor": lambda: (LogisticRegression(max_iter=1000), _encoder()),
        "keras": lambda: (MLPStudent(hidden_units=(8,)), _encoder()),
    },
    "regression": {
        "pipeline": lambda: (
            make_pipeline(_encoder(), DecisionTreeRegressor(max_depth=5)),
            None,
        ),
        "preprocessor": lambda: (Ridge(), _encoder()),
        "keras": lambda: (MLPStudent(hidden_units=(8,)), _encoder()),
    },
}


def _frame_estimator(frames, task, kind):
    student, preprocessor = FRAME_STUDENTS[task][kind]()
    if task == "classification":
        estimator, teacher, y = DistilledClassifier, frames["teacher"], frames["y"]
    else:
        estimator, teacher, y = (
            DistilledRegressor,
            frames["price_teacher"],
            frames["price"],
        )
    return estimator(
        teacher=teacher,
        student=student,
        preprocessor=preprocessor,
        alpha=0.3,
        epochs=10,
        random_state=0,
    ).fit(frames["X"], y, X_unlabeled=frames["unlabeled"])


@pytest.fixture(scope="module")
def frame_estimators(frames):
    """``frame_estimators(task, kind)``."""
    return _fitted_once(lambda task, kind: _frame_estimator(frames, task, kind))


# --- helpers ------------------------------------------------------------------


def _session(model):
    import onnxruntime

    return onnxruntime.InferenceSession(
        model.SerializeToString(), providers=["CPUExecutionProvider"]
    )


def _frame_feed(frame):
    """The graph's inputs for ``frame``: one (n, 1) array per column."""
    feed = {}
    for name, column in frame.items():
        if pd.api.types.is_numeric_dtype(column):
            values = column.to_numpy(np.float32)
        else:
            values = column.astype(str).to_numpy(dtype=object)
        feed[name] = values.reshape(-1, 1)
    return feed


def _onnx_type(column):
    if pd.api.types.is_numeric_dtype(column):
        return "tensor(float)"
    return "tensor(string)"


def _run_classifier_graph(model, feed, n_classes):
    session = _session(model)
    assert {output.name for output in session.get_outputs()} == {
        "label",
        "probabilities",
    }
    label, proba = session.run(["label", "probabilities"], feed)
    # A plain array, not a ZipMap's list of dicts.
    assert isinstance(proba, np.ndarray) and proba.dtype == np.float32
    n = len(next(iter(feed.values())))
    assert proba.shape == (n, n_classes)
    assert np.asarray(label).shape == (n,)
    return np.asarray(label), proba


def _run_regressor_graph(model, feed, n_outputs):
    session = _session(model)
    assert [output.name for output in session.get_outputs()] == ["variable"]
    (variable,) = session.run(["variable"], feed)
    n = len(next(iter(feed.values())))
    assert variable.dtype == np.float32 and variable.shape == (n, n_outputs)
    return variable


def _assert_array_input(model, dtype, n_features):
    (graph_input,) = _session(model).get_inputs()
    assert graph_input.name == "X"
    assert (
        graph_input.type
        == {np.float64: "tensor(double)", np.float32: "tensor(float)"}[dtype]
    )
    assert len(graph_input.shape) == 2 and graph_input.shape[1] == n_features
    assert not isinstance(graph_input.shape[0], int)


def _assert_same_predictions(got, expected, scale):
    """Regression predictions within 1e-5, relative to each target's scale."""
    expected = np.asarray(expected, np.float64).reshape(len(got), -1)
    np.testing.assert_allclose(got / scale, expected / scale, rtol=1e-5, atol=1e-5)


def _assert_same_sklearn_outputs(export, estimator, X):
    """Predictions equal to the estimator's (up to rounding in the last bits)."""
    expected = estimator.predict(X)
    predicted = export.predict(X)
    if is_classifier(estimator):
        np.testing.assert_array_equal(predicted, expected)
        np.testing.assert_allclose(
            export.predict_proba(X), estimator.predict_proba(X), rtol=1e-12, atol=0
        )
    else:
        assert predicted.shape == expected.shape
        np.testing.assert_allclose(predicted, expected, rtol=1e-12, atol=0)


def _final_step(export):
    """The last estimator of ``export``, inside nested Pipelines."""
    while isinstance(export, Pipeline):
        export = export[-1]
    return export


def _holds_a_teacher(export, estimator):
    """Whether ``export`` holds an object of the teacher's kind (or a copy of
    it), among everything pickle would save of it."""
    kind = type(_final_step(estimator.teacher_))
    found = []

    class Finder(pickle.Pickler):
        def persistent_id(self, value):
            if isinstance(value, kind):
                found.append(value)
            return None

    Finder(io.BytesIO()).dump(export)
    return bool(found)


def _scramble(export):
    """Overwrite the learned numbers of an export in place."""
    keras = sys.modules.get("keras")
    if keras is not None and isinstance(export, keras.Model):
        # Kernels and biases, in nested models too.
        for variable in export.trainable_weights:
            variable.assign(np.zeros(variable.shape, variable.dtype))
        return
    final = _final_step(export)
    if hasattr(final, "tree_"):
        final.tree_.value[:] = final.tree_.value.mean(axis=0)
    else:
        final.coef_[...] = 0.0
        final.intercept_[...] = 1.0


def _outputs(model, X):
    keras = sys.modules.get("keras")
    if keras is not None and isinstance(model, keras.Model):
        return np.asarray(model.predict(np.asarray(X, np.float32), verbose=0))
    if hasattr(model, "predict_proba"):
        return model.predict_proba(X)
    return model.predict(X)


_BLOCKER = """
import importlib.abc
import sys

BLOCKED = {blocked!r}


class _NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {{name!r}} (blocked)")
        return None


sys.meta_path.insert(0, _NotInstalled())
for _name in BLOCKED:
    try:
        __import__(_name)
    except ImportError:
        pass
    else:
        raise SystemExit(f"{{_name}} could be imported")
"""


def _run_without(blocked, code, cwd):
    """Run ``code`` in a fresh interpreter where ``blocked`` cannot be imported."""
    script = _BLOCKER.format(blocked=sorted(blocked)) + textwrap.dedent(code)
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout


# --- export_student: scikit-learn students ------------------------------------


@pytest.mark.parametrize(
    "kind, final_type",
    [
        ("tree", DecisionTreeClassifier),
        ("hist_gradient_boosting", HistGradientBoostingClassifier),
        ("logistic", LogisticRegression),
        ("pipeline", LogisticRegression),
    ],
)
@pytest.mark.parametrize("labels", ["y", "names"])
def test_exported_classifier_predicts_as_the_estimator(
    classifiers, table, kind, final_type, labels
):
    estimator = classifiers(kind, labels)
    export = estimator.export_student()
    assert isinstance(_final_step(export), final_type)
    np.testing.assert_array_equal(export.classes_, estimator.classes_)
    # Held-out float64 rows, which the estimator casts to float32.
    _assert_same_sklearn_outputs(export, estimator, table["test"])
    assert not _holds_a_teacher(export, estimator)


def test_a_linear_regressor_student_is_folded_into_a_logistic_regression(
    classifiers, table
):
    estimator = classifiers("ridge")
    export = estimator.export_student()
    assert isinstance(_final_step(export), LogisticRegression)
    np.testing.assert_array_equal(export.classes_, estimator.classes_)
    X = table["test"]
    np.testing.assert_allclose(
        export.predict_proba(X), estimator.predict_proba(X), rtol=0, atol=1e-6
    )
    np.testing.assert_array_equal(export.predict(X), estimator.predict(X))


def test_another_regressor_student_of_a_classifier_points_to_onnx(classifiers):
    with pytest.raises(ValueError, match="to_onnx"):
        classifiers("tree_regressor").export_student()


@pytest.mark.parametrize(
    "kind, n_outputs", [c for c in REGRESSOR_CASES if c[0] not in KERAS_KINDS]
)
def test_exported_regressor_predicts_as_the_estimator(
    regressors, targets, kind, n_outputs
):
    estimator = regressors(kind, n_outputs)
    export = estimator.export_student()
    assert isinstance(_final_step(export), type(_final_step(estimator.student_)))
    _assert_same_sklearn_outputs(export, estimator, targets["test"])
    assert not _holds_a_teacher(export, estimator)


@pytest.mark.parametrize("task", ["classification", "regression"])
@pytest.mark.parametrize("kind", ["pipeline", "preprocessor"])
def test_exports_of_frame_estimators_read_frames(frame_estimators, frames, task, kind):
    estimator = frame_estimators(task, kind)
    export = estimator.export_student()
    _assert_same_sklearn_outputs(export, estimator, frames["test"])
    assert not _holds_a_teacher(export, estimator)


# --- export_student: Keras students -------------------------------------------


@pytest.mark.parametrize("kind", sorted(KERAS_KINDS))
@pytest.mark.parametrize("labels", ["y", "names"])
def test_exported_keras_classifier_outputs_probabilities(
    classifiers, table, kind, labels
):
    import keras

    estimator = classifiers(kind, labels)
    export = estimator.export_student()
    assert isinstance(export, keras.Model) and not export.compiled
    assert export is not estimator.student_model_
    assert isinstance(export.layers[-1], keras.layers.Softmax)
    X = table["test"]
    proba = _outputs(export, X)
    np.testing.assert_allclose(proba, estimator.predict_proba(X), rtol=0, atol=1e-5)
    np.testing.assert_array_equal(
        estimator.classes_[proba.argmax(axis=1)], estimator.predict(X)
    )


@pytest.mark.parametrize(
    "kind, n_outputs", [c for c in REGRESSOR_CASES if c[0] in KERAS_KINDS]
)
def test_exported_keras_regressor_predicts_in_the_targets_units(
    regressors, targets, kind, n_outputs
):
    import keras

    estimator = regressors(kind, n_outputs)
    # Dollars: a graph that forgot the target scaling would be far off.
    assert np.all(estimator.target_mean_ > 1e4) and np.all(
        estimator.target_scale_ > 1e3
    )
    export = estimator.export_student()
    assert isinstance(export, keras.Model) and not export.compiled
    X = targets["test"]
    predicted = _outputs(export, X)
    assert predicted.shape == (len(X), n_outputs)
    _assert_same_predictions(predicted, estimator.predict(X), estimator.target_scale_)


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_a_keras_student_behind_a_preprocessor_points_to_onnx(frame_estimators, task):
    with pytest.raises(ValueError, match="to_onnx"):
        frame_estimators(task, "keras").export_student()


def test_a_class_the_student_never_saw(table):
    # The teacher knows ant, bee and cat; no labeled row is a bee and alpha=1,
    # so the tree never sees one, yet the estimator keeps the teacher's classes.
    X, names = table["X"], table["names"]
    seen = names != "bee"
    for student in (
        DecisionTreeClassifier(max_depth=5, random_state=0),
        LogisticRegression(max_iter=1000),
    ):
        estimator = DistilledClassifier(
            teacher=table["name_teacher"], student=student, alpha=1.0
        ).fit(X[seen], names[seen])
        np.testing.assert_array_equal(estimator.classes_, ["ant", "bee", "cat"])
        np.testing.assert_array_equal(estimator.student_.classes_, ["ant", "cat"])
        with pytest.raises(ValueError, match="bee") as error:
            estimator.export_student()
        assert "to_onnx" in str(error.value)
        # The graph gives every class a column, the unseen one all zeros.
        X_test = table["test"]
        label, proba = _run_classifier_graph(
            to_onnx(estimator, X[seen]), {"X": X_test}, n_classes=3
        )
        np.testing.assert_array_equal(proba[:, 1], 0.0)
        np.testing.assert_allclose(
            proba, estimator.predict_proba(X_test), rtol=0, atol=1e-5
        )
        np.testing.assert_array_equal(label, estimator.predict(X_test))


# --- to_onnx -------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(CLASSIFIER_STUDENTS))
def test_onnx_graph_of_a_classifier_predicts_as_the_estimator(classifiers, table, kind):
    import onnx

    estimator = classifiers(kind)
    model = to_onnx(estimator, table["X"][:50])
    assert isinstance(model, onnx.ModelProto)
    _assert_array_input(model, np.float64, n_features=8)
    X = table["test"]
    label, proba = _run_classifier_graph(model, {"X": X}, n_classes=3)
    np.testing.assert_array_equal(label, estimator.predict(X))
    np.testing.assert_allclose(proba, estimator.predict_proba(X), rtol=0, atol=1e-5)


@pytest.mark.parametrize("kind", ["tree", "pipeline", "keras"])
def test_onnx_graph_with_string_labels(classifiers, table, kind):
    estimator = classifiers(kind, "names")
    X = table["test"]
    label, proba = _run_classifier_graph(
        to_onnx(estimator, table["X"]), {"X": X}, n_classes=3
    )
    assert label.tolist() == estimator.predict(X).tolist()
    assert set(label.tolist()) <= {"ant", "bee", "cat"}
    np.testing.assert_allclose(proba, estimator.predict_proba(X), rtol=0, atol=1e-5)


@pytest.mark.parametrize("kind", ["pipeline", "keras"])
def test_onnx_graph_of_float32_rows_takes_floats(classifiers, table, kind):
    estimator = classifiers(kind)
    model = to_onnx(estimator, table["X"].astype(np.float32))
    _assert_array_input(model, np.float32, n_features=8)
    X = table["test"].astype(np.float32)
    label, proba = _run_classifier_graph(model, {"X": X}, n_classes=3)
    np.testing.assert_array_equal(label, estimator.predict(X))
    np.testing.assert_allclose(proba, estimator.predict_proba(X), rtol=0, atol=1e-5)


@pytest.mark.parametrize("kind, n_outputs", REGRESSOR_CASES)
def test_onnx_graph_of_a_regressor_predicts_as_the_estimator(
    regressors, targets, kind, n_outputs
):
    estimator = regressors(kind, n_outputs)
    model = to_onnx(estimator, targets["X"][:50])
    _assert_array_input(model, np.float64, n_features=6)
    X = targets["test"]
    variable = _run_regressor_graph(model, {"X": X}, n_outputs)
    _assert_same_predictions(variable, estimator.predict(X), estimator.target_scale_)


@pytest.mark.parametrize("task", ["classification", "regression"])
@pytest.mark.parametrize("kind", ["pipeline", "preprocessor", "keras"])
def test_onnx_graph_of_a_frame_estimator_takes_one_input_per_column(
    frame_estimators, frames, task, kind
):
    estimator = frame_estimators(task, kind)
    model = to_onnx(estimator, frames["X"])
    X = frames["test"]
    inputs = _session(model).get_inputs()
    assert [i.name for i in inputs] == list(X.columns)
    assert [i.type for i in inputs] == [_onnx_type(X[c]) for c in X.columns]
    assert all(len(i.shape) == 2 and i.shape[1] == 1 for i in inputs)
    feed = _frame_feed(X)
    if task == "classification":
        label, proba = _run_classifier_graph(model, feed, n_classes=3)
        np.testing.assert_array_equal(label, estimator.predict(X))
        np.testing.assert_allclose(proba, estimator.predict_proba(X), rtol=0, atol=1e-5)
    else:
        variable = _run_regressor_graph(model, feed, n_outputs=1)
        _assert_same_predictions(
            variable, estimator.predict(X), estimator.target_scale_
        )


def test_onnx_graph_of_a_convolutional_student(digits):
    X_train, X_test, y_train, _ = digits
    teacher = LogisticRegression(max_iter=2000).fit(X_train, y_train)
    estimator = DistilledClassifier(
        teacher=teacher,
        student=ConvNet(filters=(4, 8)),
        epochs=3,
        random_state=0,
    ).fit(X_train[:300], y_train[:300])
    model = to_onnx(estimator, X_train[:50])
    X = X_test[:100]
    label, proba = _run_classifier_graph(model, {"X": X}, n_classes=10)
    np.testing.assert_array_equal(label, estimator.predict(X))
    np.testing.assert_allclose(proba, estimator.predict_proba(X), rtol=0, atol=1e-5)
    exported = _outputs(estimator.export_student(), X)
    np.testing.assert_allclose(exported, estimator.predict_proba(X), rtol=0, atol=1e-5)


# --- the estimator is left as it was ------------------------------------------


@pytest.mark.parametrize(
    "task, kind",
    [
        ("classification", "tree"),
        ("classification", "logistic"),
        ("classification", "pipeline"),
        ("classification", "ridge"),
        ("classification", "keras"),
        ("regression", "tree"),
        ("regression", "pipeline"),
        ("regression", "keras"),
    ],
)
def test_exporting_leaves_the_estimator_unchanged(
    table, targets, classifiers, regressors, task, kind
):
    if task == "classification":
        estimator, X = classifiers(kind), table["test"]
        sample = table["X"]
    else:
        estimator, X = regressors(kind, 2), targets["test"]
        sample = targets["X"]
    before = _outputs(estimator, X)
    student = estimator.student_
    export = estimator.export_student()
    to_onnx(estimator, sample)
    assert estimator.student_ is student
    assert export is not student
    exported = _outputs(export, X)
    # Overwriting the export's weights changes the export only.
    _scramble(export)
    assert not np.allclose(_outputs(export, X), exported)
    np.testing.assert_array_equal(_outputs(estimator, X), before)


# --- loaded elsewhere -----------------------------------------------------------


@pytest.mark.slow
def test_import_skdistill_imports_neither_onnx_nor_keras(tmp_path):
    out = _run_without(
        [],
        """
        import skdistill
        heavy = {"onnx", "skl2onnx", "onnxruntime", "keras", "tensorflow"}
        print(sorted(m for m in sys.modules if m.split(".")[0] in heavy))
        """,
        cwd=tmp_path,
    )
    assert out.strip().splitlines()[-1] == "[]"


@pytest.mark.slow
def test_sklearn_exports_load_without_skdistill_or_keras(
    tmp_path, table, targets, frames, classifiers, regressors, frame_estimators
):
    import joblib
    import skops.io
    from skops.io.exceptions import UntrustedTypesFoundException

    cases = {
        "tree": (classifiers("tree"), table["test"]),
        "pipeline_names": (classifiers("pipeline", "names"), table["test"]),
        "ridge": (classifiers("ridge"), table["test"]),
        "regressor": (regressors("pipeline", 2), targets["test"]),
        "frame": (frame_estimators("classification", "preprocessor"), frames["test"]),
        "frame_regressor": (frame_estimators("regression", "pipeline"), frames["test"]),
    }
    exports = {
        name: estimator.export_student() for name, (estimator, _) in cases.items()
    }
    joblib.dump(exports, tmp_path / "exports.joblib")
    joblib.dump({name: X for name, (_, X) in cases.items()}, tmp_path / "rows.joblib")
    trusted = {}
    for name, export in exports.items():
        skops.io.dump(export, tmp_path / f"{name}.skops")
        trusted[name] = skops.io.get_untrusted_types(file=tmp_path / f"{name}.skops")
        assert not [t for t in trusted[name] if "skdistill" in t]
        if trusted[name]:
            with pytest.raises(UntrustedTypesFoundException):
                skops.io.load(tmp_path / f"{name}.skops")
    (tmp_path / "trusted.json").write_text(json.dumps(trusted))
    out = _run_without(
        ["skdistill", "keras", "tensorflow"],
        """
        import json
        import joblib
        import skops.io

        exports = joblib.load("exports.joblib")
        rows = joblib.load("rows.joblib")
        trusted = json.load(open("trusted.json"))
        out = {}
        for name, export in exports.items():
            X = rows[name]
            out[name, "predict"] = export.predict(X)
            if hasattr(export, "predict_proba"):
                out[name, "predict_proba"] = export.predict_proba(X)
            loaded = skops.io.load(f"{name}.skops", trusted=trusted[name])
            out[name, "skops"] = loaded.predict(X)
        joblib.dump(out, "out.joblib")
        heavy = {"skdistill", "keras", "tensorflow"}
        print(sorted(m for m in sys.modules if m.split(".")[0] in heavy))
        """,
        cwd=tmp_path,
    )
    assert out.strip().splitlines()[-1] == "[]"
    out = joblib.load(tmp_path / "out.joblib")
    # What was saved, loaded back, predicts as the export did here (and the
    # export as the estimator: the tests above).
    for name, (estimator, X) in cases.items():
        export = exports[name]
        expected = export.predict(X)
        if is_classifier(estimator):
            np.testing.assert_array_equal(out[name, "predict"], expected)
            np.testing.assert_array_equal(out[name, "skops"], expected)
            np.testing.assert_array_equal(expected, estimator.predict(X))
            np.testing.assert_allclose(
                out[name, "predict_proba"], export.predict_proba(X), rtol=1e-12
            )
        else:
            np.testing.assert_allclose(out[name, "predict"], expected, rtol=1e-12)
            np.testing.assert_allclose(out[name, "skops"], expected, rtol=1e-12)
            np.testing.assert_allclose(expected, estimator.predict(X), rtol=1e-12)


@pytest.mark.slow
def test_keras_exports_load_with_keras_alone(
    tmp_path, table, targets, classifiers, regressors
):
    cases = {
        "classifier": (classifiers("keras", "names"), table["test"]),
        "unstandardized": (classifiers("keras_unstandardized"), table["test"]),
        "regressor": (regressors("keras", 2), targets["test"]),
    }
    for name, (estimator, X) in cases.items():
        estimator.export_student().save(tmp_path / f"{name}.keras")
        np.save(tmp_path / f"{name}.npy", X.astype(np.float32))
    _run_without(
        ["skdistill"],
        f"""
        import keras
        import numpy as np

        for name in {sorted(cases)!r}:
            model = keras.saving.load_model(f"{{name}}.keras")
            X = np.load(f"{{name}}.npy")
            np.save(f"{{name}}.out.npy", model.predict(X, verbose=0))
        """,
        cwd=tmp_path,
    )
    for name, (estimator, X) in cases.items():
        got = np.load(tmp_path / f"{name}.out.npy")
        if name == "regressor":
            _assert_same_predictions(got, estimator.predict(X), estimator.target_scale_)
        else:
            np.testing.assert_allclose(got, estimator.predict_proba(X), atol=1e-5)


@pytest.mark.slow
def test_onnx_graphs_load_with_onnxruntime_alone(
    tmp_path, table, targets, frames, classifiers, regressors, frame_estimators
):
    import onnx

    cases = {
        "tree": (classifiers("tree"), table["X"], {"X": table["test"]}),
        "keras": (classifiers("keras", "names"), table["X"], {"X": table["test"]}),
        "regressor": (regressors("keras", 2), targets["X"], {"X": targets["test"]}),
        "frame": (
            frame_estimators("classification", "keras"),
            frames["X"],
            _frame_feed(frames["test"]),
        ),
    }
    feeds = {}
    for name, (estimator, sample, feed) in cases.items():
        onnx.save(to_onnx(estimator, sample), tmp_path / f"{name}.onnx")
        feeds[name] = feed
    with open(tmp_path / "feeds.pkl", "wb") as file:
        pickle.dump(feeds, file)
    _run_without(
        ["skdistill", "keras", "tensorflow"],
        """
        import pickle
        import onnxruntime

        with open("feeds.pkl", "rb") as file:
            feeds = pickle.load(file)
        out = {}
        for name, feed in feeds.items():
            session = onnxruntime.InferenceSession(
                f"{name}.onnx", providers=["CPUExecutionProvider"]
            )
            names = [output.name for output in session.get_outputs()]
            out[name] = dict(zip(names, session.run(names, feed)))
        with open("out.pkl", "wb") as file:
            pickle.dump(out, file)
        """,
        cwd=tmp_path,
    )
    with open(tmp_path / "out.pkl", "rb") as file:
        out = pickle.load(file)
    frame_rows = frames["test"]
    for name, (estimator, _, feed) in cases.items():
        X = frame_rows if name == "frame" else feed["X"]
        if name == "regressor":
            _assert_same_predictions(
                out[name]["variable"], estimator.predict(X), estimator.target_scale_
            )
            continue
        np.testing.assert_array_equal(out[name]["label"], estimator.predict(X))
        np.testing.assert_allclose(
            out[name]["probabilities"], estimator.predict_proba(X), atol=1e-5
        )


# --- refusals -----------------------------------------------------------------


@pytest.mark.parametrize("estimator", [DistilledClassifier, DistilledRegressor])
def test_an_unfitted_estimator_is_not_exported(estimator, table):
    with pytest.raises(NotFittedError):
        estimator().export_student()
    with pytest.raises(NotFittedError):
        to_onnx(estimator(), table["X"])


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_native_categorical_gradient_boosting_names_the_alternatives(frames, task):
    X = frames["X"].astype({"kind": "category"})
    if task == "classification":
        estimator = DistilledClassifier(
            teacher=frames["teacher"],
            student=HistGradientBoostingClassifier(
                categorical_features="from_dtype", max_iter=10, random_state=0
            ),
        ).fit(X, frames["y"])
    else:
        estimator = DistilledRegressor(
            teacher=frames["price_teacher"],
            student=HistGradientBoostingRegressor(
                categorical_features="from_dtype", max_iter=10, random_state=0
            ),
        ).fit(X, frames["price"])
    with pytest.raises(TypeError, match=r"(?i)OneHotEncoder|one-hot") as error:
        to_onnx(estimator, X)
    assert "export_student" in str(error.value)
    # export_student serves it.
    X_test = frames["test"].astype({"kind": "category"})
    _assert_same_sklearn_outputs(estimator.export_student(), estimator, X_test)


class _Doubler(TransformerMixin, BaseEstimator):
    """A step no converter knows."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return 2 * np.asarray(X)


def _student_with_a_custom_layer(meta):
    import keras

    class Doubling(keras.layers.Layer):
        def call(self, x):
            return 2 * x

    inputs = keras.Input(meta["input_shape"])
    return keras.Model(
        inputs, keras.layers.Dense(meta["n_outputs"])(Doubling()(inputs))
    )


@pytest.mark.parametrize(
    "student",
    [
        make_pipeline(_Doubler(), DecisionTreeClassifier(max_depth=3)),
        _student_with_a_custom_layer,
    ],
    ids=["sklearn_step", "keras_layer"],
)
def test_what_cannot_be_converted_is_refused(table, student):
    estimator = DistilledClassifier(
        teacher=table["teacher"], student=student, epochs=2, random_state=0
    ).fit(table["X"], table["y"])
    with pytest.raises(TypeError, match="export_student"):
        to_onnx(estimator, table["X"])


@pytest.mark.parametrize("module", ["onnx", "skl2onnx", "onnxruntime"])
def test_without_the_onnx_extra_the_error_names_it(
    classifiers, table, monkeypatch, module
):
    estimator = classifiers("tree")
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ImportError, match=r"skdistill\[onnx\]"):
        to_onnx(estimator, table["X"])


def _numbers(message):
    return [float(n) for n in re.findall(r"\d+(?:\.\d+)?(?:e[-+]?\d+)?", message)]


def test_a_graph_that_disagrees_with_the_estimator_is_refused(table, monkeypatch):
    estimator = _classifier(table, "tree", "y")
    X = table["X"]
    honest = estimator.student_.predict_proba

    # The estimator now answers 0.25 away from what its tree (and so the
    # graph) computes, on 7 of the sample rows.
    def shifted(rows):
        proba = honest(rows).copy()
        proba[:7, 0] += 0.25
        proba[:7, 1] -= 0.25
        return proba

    monkeypatch.setattr(estimator.student_, "predict_proba", shifted)
    assert not np.allclose(estimator.predict_proba(X), honest(X.astype(np.float32)))
    with pytest.raises(ValueError) as error:
        to_onnx(estimator, X)
    numbers = _numbers(str(error.value))
    assert 7 in numbers, str(error.value)
    assert any(abs(n - 0.25) < 0.01 for n in numbers), str(error.value)


def test_a_regressor_graph_that_disagrees_is_refused(targets, monkeypatch):
    estimator = _regressor(targets, "tree", 1)
    X = targets["X"]
    honest = estimator.student_.predict
    offset = estimator.target_scale_[0]

    def shifted(rows):
        predictions = np.array(honest(rows), dtype=np.float64)
        predictions[:7] += offset
        return predictions

    monkeypatch.setattr(estimator.student_, "predict", shifted)
    with pytest.raises(ValueError) as error:
        to_onnx(estimator, X)
    assert 7 in _numbers(str(error.value)), str(error.value)


# --- alpha=1 never calls the teacher ------------------------------------------


class _Untouchable(LogisticRegression):
    """A fitted teacher that must not be run."""

    def predict_proba(self, X):
        raise RuntimeError("the teacher was run")

    predict = predict_log_proba = decision_function = predict_proba


class _UntouchableRegressor(Ridge):
    def predict(self, X):
        raise RuntimeError("the teacher was run")


class _Unfittable(LogisticRegression):
    """An unfitted teacher that must not be fitted."""

    def fit(self, X, y, sample_weight=None):
        raise RuntimeError("the teacher was fitted")


class _UnfittableRegressor(Ridge):
    def fit(self, X, y, sample_weight=None):
        raise RuntimeError("the teacher was fitted")


@pytest.mark.parametrize(
    "student",
    [DecisionTreeClassifier(max_depth=4, random_state=0), MLPStudent((4,))],
    ids=["tree", "keras"],
)
def test_alpha_one_never_runs_a_fitted_teacher(table, student):
    X, y = table["X"], table["y"]
    # The teacher knows a fourth class that no row here carries.
    teacher = _Untouchable(max_iter=1000).fit(
        np.vstack([X, X[:5] + 10]), np.concatenate([y, np.full(5, 3)])
    )
    with pytest.raises(RuntimeError):
        DistilledClassifier(teacher=teacher, student=student, alpha=0.5, epochs=2).fit(
            X, y
        )
    estimator = DistilledClassifier(
        teacher=teacher, student=student, alpha=1.0, epochs=2, random_state=0
    ).fit(X, y, X_unlabeled=table["unlabeled"])
    np.testing.assert_array_equal(estimator.classes_, [0, 1, 2, 3])
    assert estimator.predict_proba(table["test"]).shape == (100, 4)


@pytest.mark.parametrize(
    "student",
    [DecisionTreeClassifier(max_depth=4, random_state=0), MLPStudent((4,))],
    ids=["tree", "keras"],
)
def test_alpha_one_never_fits_an_unfitted_teacher(table, student):
    X, names = table["X"], table["names"]
    teacher = _Unfittable()
    estimator = DistilledClassifier(
        teacher=teacher, student=student, alpha=1.0, epochs=2, random_state=0
    ).fit(X, names)
    np.testing.assert_array_equal(estimator.classes_, ["ant", "bee", "cat"])
    assert not hasattr(teacher, "coef_")
    with pytest.raises(RuntimeError):
        DistilledClassifier(teacher=teacher, student=student, alpha=0.5, epochs=2).fit(
            X, names
        )


@pytest.mark.parametrize(
    "student",
    [DecisionTreeRegressor(max_depth=4, random_state=0), MLPStudent((4,))],
    ids=["tree", "keras"],
)
def test_alpha_one_never_calls_a_regression_teacher(targets, student):
    X, y = targets["X"], targets[1][0]
    fitted = _UntouchableRegressor().fit(X, y)
    unfitted = _UnfittableRegressor()
    X_test = targets["test"]
    for teacher in (fitted, unfitted):
        with pytest.raises(RuntimeError):
            DistilledRegressor(
                teacher=teacher, student=student, alpha=0.5, epochs=2
            ).fit(X, y)
        estimator = DistilledRegressor(
            teacher=teacher, student=student, alpha=1.0, epochs=2, random_state=0
        ).fit(X, y, X_unlabeled=targets["unlabeled"])
        assert estimator.predict(X_test).shape == (100,)
        if isinstance(student, DecisionTreeRegressor):
            # Trained on the labels alone: the tree a user fits on y.
            alone = DecisionTreeRegressor(max_depth=4, random_state=0)
            alone.fit(X.astype(np.float32), y)
            np.testing.assert_allclose(
                estimator.predict(X_test), alone.predict(X_test.astype(np.float32))
            )
    assert not hasattr(unfitted, "coef_")
