"""DistilledRegressor: its loss, targets, teachers, students and contract."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits, make_friedman1
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV, KFold, cross_val_predict
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skdistill import (
    DistilledClassifier,
    DistilledRegressor,
    EnsembleTeacher,
    KerasTeacher,
    MLPStudent,
    Munge,
    PrecomputedTeacher,
    get_teacher_cache,
)

pytestmark = pytest.mark.usefixtures("fresh_teacher_cache")


@pytest.fixture(scope="module")
def friedman():
    """Friedman #1: a teacher fitted on 1,500 rows, an owner with 80 labels
    and 600 unlabeled rows, and 1,000 test rows."""
    X, y = make_friedman1(n_samples=3180, noise=0.5, random_state=0)
    X = X.astype(np.float32)
    teacher = HistGradientBoostingRegressor(random_state=0).fit(X[:1500], y[:1500])
    return {
        "teacher": teacher,
        "labeled": (X[1500:1580], y[1500:1580]),
        "unlabeled": X[1580:2180],
        "test": (X[2180:], y[2180:]),
    }


class _Recording(LinearRegression):
    """A regressor that keeps the rows, targets and weights its fit was given."""

    def fit(self, X, y, sample_weight=None):
        type(self).seen = (np.array(X), np.array(y), sample_weight)
        return super().fit(X, y, sample_weight=sample_weight)


def _mlp(**params):
    defaults = dict(
        student=MLPStudent((32,), standardize=True),
        learning_rate=0.01,
        random_state=0,
    )
    return DistilledRegressor(**{**defaults, **params})


# --- the loss and the targets -------------------------------------------------


def test_loss_is_alpha_mse_to_labels_plus_the_rest_to_the_teacher():
    from skdistill.training._loss import (
        RegressionDistillationLoss,
        pack_regression_targets,
        regression_terms,
    )

    rng = np.random.default_rng(0)
    y, teacher, student = (rng.normal(size=(6, 2)).astype(np.float32) for _ in "abc")
    labeled = np.array([1, 1, 1, 0, 0, 0], np.float32)
    packed = pack_regression_targets(y, labeled, teacher)
    hard, soft, mask = (np.asarray(t) for t in regression_terms(packed, student))
    np.testing.assert_allclose(hard, ((y - student) ** 2).mean(axis=1) * labeled, 1e-6)
    np.testing.assert_allclose(soft, ((teacher - student) ** 2).mean(axis=1), 1e-6)
    np.testing.assert_array_equal(mask, labeled)
    loss = RegressionDistillationLoss(alpha=0.3)
    per_row = 0.3 * hard + 0.7 * soft
    np.testing.assert_allclose(float(loss(packed, student)), per_row.mean(), 1e-5)


def test_a_sklearn_student_learns_the_blended_target(friedman):
    X, y = friedman["labeled"]
    X_unlabeled = friedman["unlabeled"][:50]
    teacher = friedman["teacher"]
    DistilledRegressor(teacher=teacher, student=_Recording(), alpha=0.25).fit(
        X, y, sample_weight=np.full(len(X), 2.0), X_unlabeled=X_unlabeled
    )
    rows, target, weights = _Recording.seen
    t_labeled, t_unlabeled = teacher.predict(X), teacher.predict(X_unlabeled)
    np.testing.assert_allclose(rows, np.concatenate([X, X_unlabeled]))
    np.testing.assert_allclose(target[: len(X)], 0.25 * y + 0.75 * t_labeled, 1e-5)
    np.testing.assert_allclose(target[len(X) :], t_unlabeled, 1e-5)
    np.testing.assert_allclose(weights[: len(X)], 2.0)
    np.testing.assert_allclose(weights[len(X) :], 0.75)


def test_a_regressor_without_sample_weight_is_refused_when_weights_differ(friedman):
    X, y = friedman["labeled"]
    reg = DistilledRegressor(
        teacher=friedman["teacher"], student=KNeighborsRegressor(), alpha=0.5
    )
    with pytest.raises(ValueError, match="takes no sample_weight"):
        reg.fit(X, y, X_unlabeled=friedman["unlabeled"])
    # alpha=0 weighs every row alike: nothing is lost.
    reg.set_params(alpha=0.0).fit(X, y, X_unlabeled=friedman["unlabeled"])
    assert reg.score(*friedman["test"]) > 0.5


# --- teachers -----------------------------------------------------------------


def _reproduced(teacher, X, y, **params):
    """A fully grown tree at alpha=0 reproduces the teacher on its rows."""
    reg = DistilledRegressor(
        teacher=teacher, student=DecisionTreeRegressor(random_state=0), alpha=0.0
    )
    return reg.set_params(**params).fit(X, y).predict(X)


def test_an_ensemble_of_regressors_is_their_weighted_mean(friedman):
    X, y = friedman["labeled"]
    first, second = LinearRegression().fit(X, y), friedman["teacher"]
    expected = 0.75 * first.predict(X) + 0.25 * second.predict(X)
    got = _reproduced(EnsembleTeacher([first, second], weights=[3, 1]), X, y)
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    plain = _reproduced([first, second], X, y)
    np.testing.assert_allclose(plain, (first.predict(X) + second.predict(X)) / 2, 1e-5)


def test_precomputed_frozen_and_pipeline_teachers(friedman):
    X, y = friedman["labeled"]
    teacher = friedman["teacher"]
    expected = teacher.predict(X)
    precomputed = PrecomputedTeacher(X, expected)  # 1-D predictions
    np.testing.assert_allclose(_reproduced(precomputed, X, y), expected, rtol=1e-5)
    frozen = FrozenEstimator(teacher)
    np.testing.assert_allclose(_reproduced(frozen, X, y), expected, rtol=1e-5)
    pipeline = make_pipeline(StandardScaler(), Ridge())
    reg = DistilledRegressor(teacher=pipeline, student=DecisionTreeRegressor())
    reg.set_params(alpha=0.0).fit(X, y)
    assert reg.teacher_ is not pipeline  # an unfitted teacher: fitted clone
    np.testing.assert_allclose(reg.predict(X), reg.teacher_.predict(X), rtol=1e-5)


def test_a_keras_regression_model_teaches(friedman):
    import keras

    X, y = friedman["labeled"]
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((X.shape[1],)), keras.layers.Dense(1)])
    model.compile("adam", "mse")
    model.fit(X, y, epochs=2, verbose=0)
    expected = model.predict(X, verbose=0)[:, 0]
    np.testing.assert_allclose(_reproduced(model, X, y), expected, rtol=1e-4)
    with pytest.raises(ValueError, match="classes"):
        _reproduced(KerasTeacher(model, classes=[0]), X, y)


def test_teacher_cv_gives_out_of_fold_predictions(friedman):
    X, y = friedman["labeled"]
    teacher = DecisionTreeRegressor(max_depth=3, random_state=0)
    expected = cross_val_predict(teacher, X, y, cv=KFold(3))
    got = _reproduced(teacher, X, y, teacher_cv=3)
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_classifiers_are_refused_on_the_wrong_estimator(friedman):
    X, y = friedman["labeled"]
    classifier = LogisticRegression()
    with pytest.raises(TypeError, match="DistilledClassifier"):
        DistilledRegressor(teacher=classifier).fit(X, y)
    with pytest.raises(TypeError, match="regressor student"):
        DistilledRegressor(
            teacher=friedman["teacher"], student=DecisionTreeClassifier()
        ).fit(X, y)
    digits_X, digits_y = load_digits(return_X_y=True)
    with pytest.raises(TypeError, match="DistilledRegressor"):
        DistilledClassifier(teacher=Ridge().fit(digits_X, digits_y)).fit(
            digits_X, digits_y
        )


def test_a_teacher_of_the_wrong_width_is_refused(friedman):
    X, y = friedman["labeled"]
    two = LinearRegression().fit(X, np.column_stack([y, y]))
    with pytest.raises(ValueError, match="predicts 2 targets but y has 1"):
        DistilledRegressor(teacher=two, student=Ridge(), alpha=0.0).fit(X, y)


# --- Keras students -------------------------------------------------------------


def test_transfer_rows_carry_the_teacher_to_a_keras_student(friedman):
    X, y = friedman["labeled"]
    test = friedman["test"]
    scratch = _mlp(alpha=1.0).fit(X, y)
    distilled = _mlp(teacher=friedman["teacher"], alpha=0.0).fit(
        X, y, X_unlabeled=friedman["unlabeled"]
    )
    # From the labels alone (alpha=1) the student still learns (R² about
    # 0.72): a loss that weighed the teacher's term instead would not.
    assert scratch.score(*test) > 0.6
    assert distilled.score(*test) > scratch.score(*test) + 0.1
    assert set(distilled.history_) == {"loss", "hard_loss", "soft_loss"}
    assert "soft_loss" not in scratch.history_
    assert distilled.n_iter_ == len(distilled.history_["loss"])


def test_targets_on_any_scale_give_the_same_model(friedman):
    X, y = friedman["labeled"]
    params = dict(alpha=1.0, epochs=30, n_iter_no_change=None)
    small = _mlp(**params).fit(X, y)
    dollars = _mlp(**params).fit(X, 1e4 * y + 1e6)
    np.testing.assert_allclose(
        dollars.predict(X), 1e4 * small.predict(X) + 1e6, rtol=1e-4
    )


def test_several_targets(friedman):
    X, y = friedman["labeled"]
    Y = np.column_stack([y, -3 * y + 100])
    teacher = LinearRegression().fit(X, Y)
    for student in (MLPStudent((16,), standardize=True), DecisionTreeRegressor()):
        reg = DistilledRegressor(
            teacher=teacher, student=student, alpha=0.5, random_state=0, epochs=20
        ).fit(X, Y)
        assert reg.predict(X).shape == (len(X), 2) and reg.n_outputs_ == 2
    column = DistilledRegressor(student=Ridge(), alpha=1.0).fit(X, y[:, None])
    assert column.predict(X).shape == (len(X), 1)


def test_each_target_column_is_standardised_on_its_own(friedman):
    # Columns on scales 1,000 apart: one pooled standard deviation would
    # shrink the first to almost nothing and the student would not learn it.
    X, y = friedman["labeled"]
    X_test, y_test = friedman["test"]
    Y = np.column_stack([y, 1e3 * y + 5])
    reg = _mlp(alpha=1.0, epochs=30, n_iter_no_change=None).fit(X, Y)
    np.testing.assert_allclose(reg.target_mean_, Y.mean(axis=0))
    np.testing.assert_allclose(reg.target_scale_, Y.std(axis=0))
    Y_test = np.column_stack([y_test, 1e3 * y_test + 5])
    r2 = r2_score(Y_test, reg.predict(X_test), multioutput="raw_values")
    assert (r2 > 0.5).all(), r2


def test_a_constant_target_column_is_learned_as_its_value(friedman):
    X, y = friedman["labeled"]
    Y = np.column_stack([y, np.full(len(y), 7.0)])
    reg = _mlp(alpha=1.0, epochs=5).fit(X, Y)
    np.testing.assert_allclose(reg.target_mean_, [y.mean(), 7.0])
    np.testing.assert_allclose(reg.target_scale_, [y.std(), 1.0])
    predictions = reg.predict(friedman["test"][0])
    assert np.isfinite(predictions).all()
    # Standardised, the column is 0 throughout: the student's outputs sit
    # around 7 after a few epochs.
    assert np.median(np.abs(predictions[:, 1] - 7.0)) < 0.5


def test_munge_rows_are_labelled_by_the_teacher(friedman):
    X, y = friedman["labeled"]
    DistilledRegressor(
        teacher=friedman["teacher"],
        student=_Recording(),
        alpha=0.0,
        augment=Munge(size=2),
        random_state=0,
    ).fit(X, y)
    rows, target, _ = _Recording.seen
    assert len(rows) == 3 * len(X)
    np.testing.assert_allclose(
        target[len(X) :], friedman["teacher"].predict(rows[len(X) :]), rtol=1e-5
    )


def test_a_memory_mapped_X_is_streamed_to_a_keras_student(friedman, tmp_path):
    X, y = friedman["labeled"]
    np.save(tmp_path / "X.npy", X)
    mapped = np.load(tmp_path / "X.npy", mmap_mode="r")
    reg = _mlp(teacher=friedman["teacher"], epochs=5).fit(mapped, y)
    np.testing.assert_allclose(reg.predict(mapped), reg.predict(X), rtol=1e-5)


def test_the_teacher_runs_once_across_fits(friedman, tmp_path):
    X, y = friedman["labeled"]
    reg = DistilledRegressor(teacher=friedman["teacher"], student=Ridge())
    reg.fit(X, y)
    reg.set_params(alpha=0.5).fit(X, y)
    assert get_teacher_cache().hits == 1
    get_teacher_cache().clear()
    reg.set_params(teacher_cache=False, memory=tmp_path)
    first = reg.fit(X, y).predict(X)
    assert any(tmp_path.rglob("*.pkl"))
    np.testing.assert_allclose(reg.fit(X, y).predict(X), first)


def test_non_finite_training_raises_for_both_estimators():
    X, y = load_digits(return_X_y=True)
    X = X.astype(np.float64)
    X[:, 10] *= 1e20
    for estimator, target in (
        (DistilledClassifier(alpha=1.0, random_state=0, epochs=3), y),
        (DistilledRegressor(alpha=1.0, random_state=0, epochs=3), y.astype(float)),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            with pytest.raises(ValueError, match="non-finite") as error:
                estimator.fit(X, target)
        assert "standardize=True" in str(error.value)


# --- the scikit-learn contract --------------------------------------------------


def test_clone_pickle_and_grid_search(friedman):
    X, y = friedman["labeled"]
    teacher = friedman["teacher"]
    reg = DistilledRegressor(teacher=teacher, student=DecisionTreeRegressor())
    assert clone(reg).teacher is teacher
    search = GridSearchCV(
        reg, {"alpha": [0.0, 1.0], "student__max_depth": [2, 6]}, cv=3
    ).fit(X, y)
    assert set(search.best_params_) == {"alpha", "student__max_depth"}
    fitted = _mlp(teacher=teacher, epochs=5).fit(X, y)
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_allclose(restored.predict(X), fitted.predict(X), rtol=1e-6)
    assert restored.score(X, y) == pytest.approx(fitted.score(X, y))


def test_a_classifier_teacher_for_a_table_is_no_regression_teacher():
    X, y = load_digits(return_X_y=True)
    forest = RandomForestClassifier(10, random_state=0).fit(X, y)
    with pytest.raises(TypeError, match="is a classifier"):
        DistilledRegressor(teacher=forest).fit(X, y.astype(float))
