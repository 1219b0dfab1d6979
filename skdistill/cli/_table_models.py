"""The students and alternatives of a table run, and the three ways to train one.

Every student is trained from scratch on the owner's labels, on the
teacher's pseudo-labels (its hard labels, or its predictions for
regression, on the labeled and transfer rows), and distilled (the labels and
the teacher's soft outputs on the transfer rows). The alternatives are
scikit-learn's own estimators with their defaults on the same labels: what
the owner would try without a teacher.
"""

from dataclasses import dataclass

from ._tables import CLASSIFICATION

#: Student presets, in the order the report lists them.
STUDENT_PRESETS = ("tree4", "tree8", "hgb-small", "linear", "mlp")
#: The default students: fast, and none needs Keras.
DEFAULT_STUDENTS = ("tree4", "tree8", "hgb-small", "linear")
#: The three ways every student is trained, in the report's order.
WAYS = ("scratch", "pseudo", "distilled")
WAY_LABELS = {
    "scratch": "from scratch",
    "pseudo": "on pseudo-labels",
    "distilled": "distilled",
}


def _one_hot(*, scaled):
    """Category columns one-hot (unseen ones as zeros); numbers imputed and,
    for ``scaled``, standardised; dense, since a Keras student reads arrays."""
    from sklearn.compose import make_column_selector, make_column_transformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numbers = make_pipeline(SimpleImputer(), StandardScaler()) if scaled else None
    return make_column_transformer(
        (
            OneHotEncoder(handle_unknown="ignore", sparse_output=False),
            make_column_selector(dtype_include="category"),
        ),
        # A tree splits on missing values itself; other models need them filled.
        remainder="passthrough" if numbers is None else numbers,
        verbose_feature_names_out=False,
    )


def _kinds(task):
    """The scikit-learn estimators of ``task``, by their preset names."""
    from sklearn import ensemble, linear_model, neural_network, tree

    if task == CLASSIFICATION:
        return {
            "tree": tree.DecisionTreeClassifier,
            "hgb": ensemble.HistGradientBoostingClassifier,
            "linear": linear_model.LogisticRegression,
            "mlp": neural_network.MLPClassifier,
        }
    return {
        "tree": tree.DecisionTreeRegressor,
        "hgb": ensemble.HistGradientBoostingRegressor,
        "linear": linear_model.Ridge,
        "mlp": neural_network.MLPRegressor,
    }


def make_student(name, task, *, seed, units=32):
    """An unfitted student preset and the preprocessor it reads through.

    Returns
    -------
    student : estimator or StudentBuilder
    preprocessor : transformer or None
    """
    kinds = _kinds(task)
    if name in ("tree4", "tree8"):
        depth = int(name[len("tree") :])
        return kinds["tree"](max_depth=depth, random_state=seed), _one_hot(scaled=False)
    if name == "hgb-small":
        # Few, small trees: a fraction of the default's 100 iterations.
        student = kinds["hgb"](
            max_iter=30,
            max_leaf_nodes=15,
            categorical_features="from_dtype",
            random_state=seed,
        )
        return student, None
    if name == "linear":
        extra = {"max_iter": 1000} if task == CLASSIFICATION else {}
        return kinds["linear"](**extra), _one_hot(scaled=True)
    if name == "mlp":
        from ..students._builders import MLPStudent

        return MLPStudent(hidden_units=(units,)), _one_hot(scaled=True)
    raise ValueError(f"unknown student {name!r}")


def alternatives(task, seed, students=()):
    """scikit-learn's defaults that the owner would fit on the labels alone.

    Returns
    -------
    estimators : dict of str to estimator
        ``"hgb"`` (native categories), ``"linear"`` (LogisticRegression or
        Ridge) and ``"mlp"`` (MLPClassifier or MLPRegressor), the last two
        on the one-hot, scaled columns.
    """
    from sklearn.dummy import DummyClassifier, DummyRegressor
    from sklearn.pipeline import make_pipeline

    kinds = _kinds(task)
    baseline = (
        DummyClassifier(strategy="prior")
        if task == CLASSIFICATION
        else DummyRegressor(strategy="mean")
    )
    models = {
        "baseline": baseline,
        "hgb": kinds["hgb"](random_state=seed),
        "linear": make_pipeline(_one_hot(scaled=True), kinds["linear"]()),
        "mlp": make_pipeline(_one_hot(scaled=True), kinds["mlp"](random_state=seed)),
    }
    return {name: models[name] for name in alternative_names(task, students)}


def alternative_names(task, students):
    """The alternatives a run reports, by name, in the report's order.

    ``"linear"`` is left out when the ``linear`` student is in the run: that
    student from scratch is the same model on the same labels.
    """
    return [
        name
        for name in ALTERNATIVE_LABELS[task]
        if not (name == "linear" and "linear" in students)
    ]


ALTERNATIVE_LABELS = {
    CLASSIFICATION: {
        "baseline": "baseline: class frequencies (DummyClassifier)",
        "hgb": "HistGradientBoostingClassifier()",
        "linear": "LogisticRegression() (one-hot, scaled)",
        "mlp": "MLPClassifier() (one-hot, scaled)",
    },
    "regression": {
        "baseline": "baseline: mean of the labels (DummyRegressor)",
        "hgb": "HistGradientBoostingRegressor()",
        "linear": "Ridge() (one-hot, scaled)",
        "mlp": "MLPRegressor() (one-hot, scaled)",
    },
}


@dataclass(frozen=True, kw_only=True)
class DistillSettings:
    """How the students of a table run are trained.

    Attributes
    ----------
    temperature, alpha : float
        The distilled students' settings (no temperature in regression).
    units : int
        Hidden units of the ``mlp`` student.
    epochs : int
        The ``mlp`` student's most epochs (it stops early as
        ``MLPClassifier`` does).
    batch_size : int or "auto"
        The ``mlp`` student's rows per step.
    verbose : int
        Keras's verbosity.
    """

    temperature: float
    alpha: float
    units: int = 32
    epochs: int = 50
    batch_size: object = "auto"
    verbose: int = 0


def distiller(name, task, settings, *, seed, teacher=None, alpha=1.0):
    """An unfitted ``DistilledClassifier`` or ``DistilledRegressor`` of a preset.

    ``alpha=1`` with no teacher trains the student on the labels it is given.
    """
    from .._classification import DistilledClassifier
    from .._regression import DistilledRegressor

    student, preprocessor = make_student(name, task, seed=seed, units=settings.units)
    params = dict(
        teacher=teacher,
        student=student,
        preprocessor=preprocessor,
        alpha=alpha,
        epochs=settings.epochs,
        batch_size=settings.batch_size,
        random_state=seed,
        verbose=settings.verbose,
    )
    if task == CLASSIFICATION:
        return DistilledClassifier(temperature=settings.temperature, **params)
    return DistilledRegressor(**params)
