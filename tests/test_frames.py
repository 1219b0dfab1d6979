"""Data frames with categorical and missing columns, end to end, for both estimators."""

import numpy as np
import pytest
from sklearn import config_context
from sklearn.base import clone
from sklearn.compose import make_column_transformer
from sklearn.datasets import make_classification
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skdistill import (
    DistilledClassifier,
    DistilledRegressor,
    MLPStudent,
    Munge,
    get_teacher_cache,
)
from skdistill.utils._frames import frame_row_digests

pd = pytest.importorskip("pandas")

NOMINAL = ["band", "kind"]


def _frame(n=400, seed=0):
    X, y = make_classification(n, 5, n_informative=4, n_redundant=0, random_state=seed)
    frame = pd.DataFrame(X[:, :4], columns=["x0", "x1", "x2", "x3"])
    frame["band"] = pd.Categorical(
        np.array(["low", "mid", "high"])[np.digitize(X[:, 4], [-0.5, 0.5])]
    )
    frame["kind"] = pd.Categorical(np.where(X[:, 0] + X[:, 4] > 0, "a", "b"))
    frame.loc[::7, "x3"] = np.nan
    target = X[:, 0] + 2 * (frame["kind"] == "a") + np.nan_to_num(X[:, 3])
    return frame, y, np.asarray(target, dtype=np.float64)


@pytest.fixture(scope="module")
def frames():
    frame, y, target = _frame()
    return frame[:150], y[:150], target[:150], frame[150:300], frame[300:], y[300:]


class RecordingClassifier(HistGradientBoostingClassifier):
    """A native-categorical HGB that records what its fit and predict_proba read."""

    seen = []

    def fit(self, X, y, sample_weight=None):
        type(self).seen.append(("fit", X))
        return super().fit(X, y, sample_weight)

    def predict_proba(self, X):
        type(self).seen.append(("predict_proba", X))
        return super().predict_proba(X)


class RecordingRegressor(HistGradientBoostingRegressor):
    seen = []

    def fit(self, X, y, sample_weight=None):
        type(self).seen.append(("fit", X))
        return super().fit(X, y, sample_weight)

    def predict(self, X):
        type(self).seen.append(("predict", X))
        return super().predict(X)


class WeightRecordingTree(DecisionTreeClassifier):
    received = []

    def fit(self, X, y, sample_weight=None, check_input=True):
        type(self).received.append(sample_weight)
        return super().fit(X, y, sample_weight=sample_weight, check_input=check_input)


def _encoder():
    return make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), NOMINAL),
        remainder=make_pipeline(SimpleImputer(), StandardScaler()),
    )


def _teacher(kind, frame, y, target):
    if kind == "classification":
        return HistGradientBoostingClassifier(
            categorical_features="from_dtype", max_iter=30, random_state=0
        ).fit(frame, y)
    return HistGradientBoostingRegressor(
        categorical_features="from_dtype", max_iter=30, random_state=0
    ).fit(frame, target)


@pytest.fixture(autouse=True)
def _empty_cache():
    get_teacher_cache().clear()
    RecordingClassifier.seen.clear()
    RecordingRegressor.seen.clear()
    WeightRecordingTree.received.clear()
    yield
    get_teacher_cache().clear()


@pytest.mark.parametrize("kind", ["classification", "regression"])
def test_teacher_reads_frames_with_their_columns_and_dtypes(frames, kind):
    X, y, target, X_unlabeled, _, _ = frames
    recording = RecordingClassifier if kind == "classification" else RecordingRegressor
    teacher = recording(categorical_features="from_dtype", max_iter=20)
    estimator = DistilledClassifier if kind == "classification" else DistilledRegressor
    X_before, unlabeled_before = X.copy(), X_unlabeled.copy()
    fitted = estimator(
        teacher=teacher,
        student=make_pipeline(_encoder(), DecisionTreeRegressor(max_depth=3))
        if kind == "regression"
        else make_pipeline(_encoder(), DecisionTreeClassifier(max_depth=3)),
        alpha=0.5,
        teacher_cv=3,
        random_state=0,
    ).fit(X, y if kind == "classification" else target, X_unlabeled=X_unlabeled)
    seen = recording.seen
    # Three folds and the full teacher fitted, each on a frame of X's dtypes.
    assert [what for what, _ in seen].count("fit") == 4
    for _, rows in seen:
        assert isinstance(rows, pd.DataFrame)
        assert list(rows.columns) == list(X.columns)
        assert rows.dtypes.to_dict() == X.dtypes.to_dict()
    # The full teacher read the transfer rows, as given.
    last = seen[-1][1]
    pd.testing.assert_frame_equal(last, X_unlabeled.reset_index(drop=True))
    pd.testing.assert_frame_equal(X, X_before)
    pd.testing.assert_frame_equal(X_unlabeled, unlabeled_before)
    assert fitted.n_features_in_ == 6
    assert list(fitted.feature_names_in_) == list(X.columns)


@pytest.mark.parametrize("kind", ["classification", "regression"])
def test_native_categorical_student_on_a_raw_frame(frames, kind):
    X, y, target, X_unlabeled, X_test, y_test = frames
    teacher = _teacher(kind, X, y, target)
    if kind == "classification":
        student = HistGradientBoostingClassifier(
            categorical_features="from_dtype", max_iter=20, random_state=0
        )
        estimator = DistilledClassifier(teacher=teacher, student=student, alpha=0.2)
        estimator.fit(X, y, X_unlabeled=X_unlabeled)
        assert estimator.score(X_test, y_test) > 0.7
        proba = estimator.predict_proba(X_test)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    else:
        student = HistGradientBoostingRegressor(
            categorical_features="from_dtype", max_iter=20, random_state=0
        )
        estimator = DistilledRegressor(teacher=teacher, student=student, alpha=0.2)
        estimator.fit(X, target, X_unlabeled=X_unlabeled)
        predictions = estimator.predict(X_test)
        assert predictions.shape == (len(X_test),)
        # The student follows the teacher it learned from.
        teacher_r = np.corrcoef(predictions, teacher.predict(X_test))[0, 1]
        assert teacher_r > 0.8
    # The student itself was fitted on the frame's categorical columns.
    assert estimator.student_.is_categorical_[[4, 5]].all()
    renamed = X_test.rename(columns={"band": "grade"})
    with pytest.raises(ValueError, match="feature names should match"):
        estimator.predict(renamed)


def test_pipeline_student_gets_the_expansion_weights_on_its_last_step(frames):
    X, y, target, X_unlabeled, X_test, y_test = frames
    teacher = _teacher("classification", X, y, target)
    student = make_pipeline(_encoder(), WeightRecordingTree(max_depth=4))
    distilled = DistilledClassifier(teacher=teacher, student=student, alpha=0.0).fit(
        X, y, X_unlabeled=X_unlabeled
    )
    (weights,) = WeightRecordingTree.received
    assert weights is not None
    # Soft-label expansion: each row's weights add up to its weight, 1, less
    # the entries below MIN_TARGET that are dropped.
    n_rows = len(X) + len(X_unlabeled)
    assert len(weights) > n_rows
    assert weights.sum() == pytest.approx(n_rows, rel=1e-2)
    assert distilled.score(X_test, y_test) > 0.6
    # Nothing was set on the user's pipeline.
    assert not hasattr(student[-1], "tree_")


def test_pipeline_student_weights_with_metadata_routing(frames):
    X, y, target, X_unlabeled, _, _ = frames
    teacher = _teacher("classification", X, y, target)
    student = make_pipeline(_encoder(), WeightRecordingTree(max_depth=4))
    with config_context(enable_metadata_routing=True):
        DistilledClassifier(teacher=teacher, student=student, alpha=0.0).fit(
            X, y, X_unlabeled=X_unlabeled
        )
        (weights,) = WeightRecordingTree.received
        assert weights is not None and len(weights) > len(X) + len(X_unlabeled)
        # The request was set on the fitted clone, not on the user's step.
        assert student[-1].get_metadata_routing().fit.requests == {
            "sample_weight": None
        }
        scaler = student[0].remainder[-1]
        assert scaler.get_metadata_routing().fit.requests == {"sample_weight": None}


def test_pipeline_student_is_searchable_by_step(frames):
    X, y, target, _, _, _ = frames
    teacher = _teacher("classification", X, y, target)
    student = make_pipeline(_encoder(), DecisionTreeClassifier(random_state=0))
    search = GridSearchCV(
        DistilledClassifier(teacher=teacher, student=student, alpha=0.5),
        {"student__decisiontreeclassifier__max_depth": [1, 3]},
        cv=2,
    ).fit(X, y)
    depths = {
        params["student__decisiontreeclassifier__max_depth"]
        for params in search.cv_results_["params"]
    }
    assert depths == {1, 3}
    fitted_tree = search.best_estimator_.student_[-1]
    assert (
        fitted_tree.get_depth()
        <= search.best_params_["student__decisiontreeclassifier__max_depth"]
    )


def test_pipeline_without_weighted_last_step_is_refused_by_name(frames):
    from sklearn.neighbors import KNeighborsClassifier

    X, y, target, _, _, _ = frames
    teacher = _teacher("classification", X, y, target)
    student = make_pipeline(_encoder(), KNeighborsClassifier())
    with pytest.raises(TypeError, match="last step's fit takes no sample_weight"):
        DistilledClassifier(teacher=teacher, student=student).fit(X, y)


@pytest.mark.parametrize("kind", ["classification", "regression"])
def test_keras_student_reads_the_preprocessor_output(frames, kind):
    X, y, target, X_unlabeled, X_test, y_test = frames
    recording = RecordingClassifier if kind == "classification" else RecordingRegressor
    teacher = recording(categorical_features="from_dtype", max_iter=20).fit(
        X, y if kind == "classification" else target
    )
    recording.seen.clear()
    estimator = DistilledClassifier if kind == "classification" else DistilledRegressor
    preprocessor = _encoder()
    distilled = estimator(
        teacher=teacher,
        student=MLPStudent(hidden_units=(8,)),
        preprocessor=preprocessor,
        alpha=0.2,
        epochs=5,
        random_state=0,
    ).fit(X, y if kind == "classification" else target, X_unlabeled=X_unlabeled)
    width = distilled.preprocessor_.transform(X_test).shape[1]
    # 3 bands + 2 kinds one-hot, and the 4 numeric columns.
    assert width == 9
    assert distilled.student_model_.input_shape == (None, width)
    assert distilled.n_features_in_ == 6
    # The preprocessor is a fitted clone; the user's stays unfitted.
    assert not hasattr(preprocessor, "transformers_")
    # The teacher read raw frames only.
    assert all(isinstance(rows, pd.DataFrame) for _, rows in recording.seen)
    assert distilled.predict(X_test).shape == (len(X_test),)
    params = distilled.get_params()
    assert "preprocessor__remainder__simpleimputer__strategy" in params
    distilled.set_params(preprocessor__remainder__simpleimputer__strategy="median")
    assert distilled.preprocessor.remainder[0].strategy == "median"


def test_preprocessor_also_serves_a_scikit_learn_student(frames):
    X, y, target, X_unlabeled, X_test, _ = frames
    teacher = _teacher("regression", X, y, target)
    distilled = DistilledRegressor(
        teacher=teacher,
        student=DecisionTreeRegressor(max_depth=4, random_state=0),
        preprocessor=_encoder(),
        alpha=0.0,
    ).fit(X, target, X_unlabeled=X_unlabeled)
    assert distilled.student_.n_features_in_ == 9
    np.testing.assert_allclose(
        distilled.predict(X_test),
        distilled.student_.predict(distilled.preprocessor_.transform(X_test)),
    )


def test_keras_student_without_preprocessor_names_the_fix(frames):
    X, y, target, _, _, _ = frames
    teacher = _teacher("classification", X, y, target)
    with pytest.raises(ValueError, match=r"non-numeric columns \['band', 'kind'\]"):
        DistilledClassifier(teacher=teacher, alpha=0.0, epochs=1).fit(X, y)
    numeric = X[["x0", "x1", "x2"]]
    with pytest.raises(ValueError, match="preprocessor"):
        DistilledClassifier(teacher=None, alpha=1.0, epochs=1).fit(X[["x0", "x3"]], y)
    # All-numeric, complete frames go straight to the student as floats.
    fitted = DistilledClassifier(
        student=MLPStudent(hidden_units=(4,)), alpha=1.0, epochs=2
    ).fit(numeric, y)
    assert fitted.predict(numeric).shape == (len(numeric),)


def test_transfer_rows_must_be_a_frame_of_the_same_columns(frames):
    X, y, target, X_unlabeled, _, _ = frames
    teacher = _teacher("classification", X, y, target)
    estimator = DistilledClassifier(
        teacher=teacher, student=DecisionTreeClassifier(), alpha=0.0
    )
    with pytest.raises(TypeError, match="X_unlabeled must be a pandas DataFrame"):
        estimator.fit(X, y, X_unlabeled=X_unlabeled.to_numpy())
    with pytest.raises(ValueError, match=r"missing \['kind'\]"):
        estimator.fit(X, y, X_unlabeled=X_unlabeled.drop(columns="kind"))


def test_transfer_rows_with_other_categories_keep_the_union(frames):
    X, y, target, X_unlabeled, _, _ = frames
    recording = RecordingClassifier(categorical_features="from_dtype", max_iter=10)
    teacher = recording.fit(X, y)
    RecordingClassifier.seen.clear()
    extra = X_unlabeled.copy()
    extra["band"] = extra["band"].cat.add_categories(["unseen"])
    extra.loc[extra.index[:3], "band"] = "unseen"
    DistilledClassifier(
        teacher=teacher,
        student=DecisionTreeClassifier(max_depth=2),
        alpha=0.0,
        preprocessor=_encoder(),
    ).fit(X, y, X_unlabeled=extra)
    ((_, rows),) = RecordingClassifier.seen
    assert isinstance(rows["band"].dtype, pd.CategoricalDtype)
    assert list(rows["band"].cat.categories) == ["high", "low", "mid", "unseen"]
    assert (rows["band"] == "unseen").sum() == 3


def test_preprocessor_learns_the_categories_of_the_transfer_rows(frames):
    # "unseen" is a band of transfer rows only: the preprocessor is fitted on
    # every training row, so the student reads it as a column of its own.
    X, y, target, X_unlabeled, _, _ = frames
    teacher = _teacher("regression", X, y, target)
    extra = X_unlabeled.copy()
    extra["band"] = extra["band"].cat.add_categories(["unseen"])
    extra.loc[extra.index[:3], "band"] = "unseen"
    for student in (
        DecisionTreeRegressor(max_depth=3, random_state=0),
        MLPStudent(hidden_units=(4,)),
    ):
        distilled = DistilledRegressor(
            teacher=teacher,
            student=student,
            preprocessor=_encoder(),
            alpha=0.0,
            epochs=1,
            random_state=0,
        ).fit(X, target, X_unlabeled=extra)
        names = list(distilled.preprocessor_.get_feature_names_out())
        assert "onehotencoder__band_unseen" in names
        assert len(names) == 10  # 4 bands + 2 kinds one-hot, 4 numbers
        if isinstance(student, MLPStudent):
            assert distilled.student_model_.input_shape == (None, 10)
        else:
            assert distilled.student_.n_features_in_ == 10
        unseen = distilled.preprocessor_.transform(extra[:3])
        column = names.index("onehotencoder__band_unseen")
        np.testing.assert_array_equal(unseen[:, column], 1.0)


def test_munge_on_a_frame_keeps_columns_dtypes_and_values():
    frame, _, _ = _frame(n=200)
    frame["count"] = np.arange(200) % 5
    frame["note"] = np.where(np.arange(200) % 3 == 0, "odd", None).astype(object)
    new = Munge(size=1.5, p=0.5).generate(frame, random_state=0)
    assert new.shape == (300, frame.shape[1])
    assert new.dtypes.to_dict() == frame.dtypes.to_dict()
    for column in ("band", "kind", "note"):
        assert set(new[column].dropna()) <= set(frame[column].dropna())
    assert set(new["count"]) <= set(range(-2, 8))  # perturbed, still integers
    # With p=0 every synthetic row is a copy of a training row.
    copies = Munge(size=1.0, p=0.0).generate(frame, random_state=1)
    known = set(frame_row_digests(frame).tolist())
    assert set(frame_row_digests(copies).tolist()) <= known
    # With p=1 a nominal value is the nearest neighbour's, which shares most
    # values, so rows change but stay in the data's range.
    swapped = Munge(size=1.0, p=1.0).generate(frame, random_state=1)
    assert not set(frame_row_digests(swapped).tolist()) <= known
    assert swapped["x0"].between(frame["x0"].min() - 5, frame["x0"].max() + 5).all()
    pd.testing.assert_frame_equal(
        new, Munge(size=1.5, p=0.5).generate(frame, random_state=0)
    )


def test_munge_nearest_neighbour_uses_nominal_distance():
    # Two pairs, identical numerics; only the nominal column tells which row
    # is whose neighbour, so a full swap (p=1) must keep each pair's value.
    frame = pd.DataFrame(
        {
            "x": [0.0, 0.0, 10.0, 10.0, 0.0, 10.0],
            "c": pd.Categorical(["a", "a", "b", "b", "a", "b"]),
        }
    )
    new = Munge(size=20.0, p=1.0, s=1e6).generate(frame, random_state=0)
    near_zero = new["x"].abs() < 1
    assert (new.loc[near_zero, "c"] == "a").all()
    assert (new.loc[~near_zero, "c"] == "b").all()


def test_munge_nearest_neighbour_is_decided_by_the_nominal_column():
    # Numerically each row is nearest a row of the other category (0.01
    # apart, against 0.03 to its own); the far pair at 100 makes those gaps
    # tiny once standardised, so the nominal column's distance of 1 decides,
    # and each row's neighbour shares its category. At p=0.5 a synthetic
    # row takes some values from its neighbour and keeps the others: with
    # the right neighbours every row it makes is a row of the frame.
    frame = pd.DataFrame(
        {
            "x": [0.0, 0.01, 0.03, 0.04, 100.0, 100.01],
            "c": pd.Categorical(["a", "b", "a", "b", "c", "c"]),
        }
    )
    new = Munge(size=20.0, p=0.5, s=1e6).generate(frame, random_state=0)
    known = set(zip(frame["x"], frame["c"], strict=True))
    made = set(zip(new["x"].round(6), new["c"], strict=True))
    assert made <= known, sorted(made - known)
    # Both kinds of row were made: some values taken, some kept.
    assert len(made) == len(known)


def test_munge_fills_a_missing_number_with_the_neighbours_value():
    # One row lacks x. Its neighbour's x is a number, so a synthetic row
    # made from it at p=1 takes that number, not the gap.
    frame = pd.DataFrame({"x": [np.nan, 1.0, 1.1, 5.0, 5.1]})
    new = Munge(size=20.0, p=1.0, s=1e6).generate(frame, random_state=0)
    assert new["x"].notna().all(), new["x"].isna().sum()
    assert set(new["x"].round(6)) <= {1.0, 1.1, 5.0, 5.1}


def test_munge_frames_in_fit_reach_the_teacher_as_frames(frames):
    X, y, target, _, _, _ = frames
    teacher = RecordingRegressor(categorical_features="from_dtype", max_iter=10)
    teacher.fit(X, target)
    RecordingRegressor.seen.clear()
    DistilledRegressor(
        teacher=teacher,
        student=DecisionTreeRegressor(max_depth=3),
        preprocessor=_encoder(),
        augment=Munge(size=1.0),
        alpha=0.5,
        random_state=0,
    ).fit(X, target)
    ((_, rows),) = RecordingRegressor.seen
    assert len(rows) == 2 * len(X)
    assert rows.dtypes.to_dict() == X.dtypes.to_dict()


def test_cache_keys_frames_by_value(frames):
    X, y, target, X_unlabeled, _, _ = frames
    teacher = RecordingClassifier(categorical_features="from_dtype", max_iter=10)
    teacher.fit(X, y)
    RecordingClassifier.seen.clear()
    estimator = DistilledClassifier(
        teacher=teacher,
        student=DecisionTreeClassifier(max_depth=2),
        alpha=0.0,
        preprocessor=_encoder(),
    )
    estimator.fit(X, y, X_unlabeled=X_unlabeled)
    assert len(RecordingClassifier.seen) == 1
    # The same rows, built another way (a copy, columns rebuilt one by one):
    # no teacher pass.
    rebuilt = pd.DataFrame({column: X[column].copy() for column in X.columns})
    clone(estimator).fit(rebuilt, y, X_unlabeled=X_unlabeled.copy())
    assert len(RecordingClassifier.seen) == 1
    assert get_teacher_cache().hits == 1
    # One changed category: the teacher runs on that row only.
    changed = X.copy()
    changed.loc[changed.index[0], "kind"] = (
        "b" if changed["kind"].iloc[0] == "a" else "a"
    )
    clone(estimator).fit(changed, y, X_unlabeled=X_unlabeled)
    assert len(RecordingClassifier.seen) == 2
    assert len(RecordingClassifier.seen[-1][1]) == 1


def test_memory_keys_frames_by_value(frames, tmp_path):
    from joblib import Memory

    X, y, target, _, _, _ = frames
    teacher = RecordingRegressor(categorical_features="from_dtype", max_iter=10)
    estimator = DistilledRegressor(
        teacher=teacher,
        student=DecisionTreeRegressor(max_depth=2),
        preprocessor=_encoder(),
        alpha=0.5,
        teacher_cache=False,
        memory=Memory(tmp_path, verbose=0),
    )
    estimator.fit(X, target)
    assert [what for what, _ in RecordingRegressor.seen] == ["fit", "predict"]
    rebuilt = pd.DataFrame({column: X[column].copy() for column in X.columns})
    clone(estimator).fit(rebuilt, target)
    assert len(RecordingRegressor.seen) == 2  # both read from disk


def test_string_columns_through_a_pipeline_teacher():
    frame, y, _ = _frame(n=300)
    frame["kind"] = frame["kind"].astype(str).astype(object)
    teacher = make_pipeline(
        make_column_transformer((OrdinalEncoder(), NOMINAL), remainder="passthrough"),
        HistGradientBoostingClassifier(max_iter=20, random_state=0),
    ).fit(frame, y)
    distilled = DistilledClassifier(
        teacher=teacher,
        student=make_pipeline(_encoder(), DecisionTreeClassifier(max_depth=4)),
        alpha=0.0,
        augment="munge",
        random_state=0,
    ).fit(frame[:100], y[:100], X_unlabeled=frame[100:200])
    assert distilled.score(frame[200:], y[200:]) > 0.6


def test_keras_import_error_names_the_extra(monkeypatch, small_data):
    import sys

    X, y = small_data
    monkeypatch.setitem(sys.modules, "keras", None)
    with pytest.raises(ImportError, match=r"skdistill\[tensorflow\]"):
        DistilledClassifier(teacher=None, alpha=1.0, epochs=1).fit(X, y)
    # A scikit-learn student needs no Keras.
    DistilledClassifier(teacher=None, student=DecisionTreeClassifier(), alpha=1.0).fit(
        X, y
    )


def test_preprocessor_is_refused_for_memory_mapped_rows(tmp_path, small_data):
    X, y = small_data
    path = tmp_path / "X.npy"
    np.save(path, X)
    with pytest.raises(ValueError, match="preprocessor=StandardScaler"):
        DistilledClassifier(
            teacher=None, alpha=1.0, preprocessor=StandardScaler(), epochs=1
        ).fit(np.load(path, mmap_mode="r"), y)


def test_unfitted_pipeline_teacher_gets_sample_weight_on_its_last_step(frames):
    X, y, _, _, _, _ = frames
    weights = np.linspace(0.5, 2.0, len(X))
    teacher = make_pipeline(_encoder(), WeightRecordingTree(max_depth=3))
    DistilledClassifier(
        teacher=teacher,
        student=DecisionTreeClassifier(max_depth=2),
        preprocessor=_encoder(),
        alpha=0.5,
    ).fit(X, y, sample_weight=weights)
    (teacher_weights,) = WeightRecordingTree.received
    np.testing.assert_allclose(teacher_weights, weights.astype(np.float32))
