"""The default main job: a teacher, an owner with few labels, and transfer rows.

The training rows are split per seed into rows the teacher is fitted on, the
owner's few labeled rows and the owner's unlabeled transfer rows; the same
student is trained from scratch on the labels and distilled with the
transfer rows, and the paired difference is reported with its interval.
"""

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import accuracy_score

from .._classification import DistilledClassifier
from ._evaluation import latencies, model_size, serialized_bytes
from ._fitting import progress_callbacks, stage
from ._shipping import ship
from ._stats import mean_sd, paired_interval, pooled_latency, pooled_shipped


def transfer_split(y, *, seed, teacher_fraction, n_labeled):
    """The rows of one draw of the default scenario, by index into ``y``.

    The training rows are split (stratified, with ``seed``) into the
    teacher's rows (``teacher_fraction`` of them) and the owner's; of the
    owner's, ``n_labeled`` (stratified) keep their labels and the rest become
    unlabeled transfer rows.

    Returns
    -------
    teacher, labeled, transfer : ndarray of int
    """
    from sklearn.model_selection import train_test_split

    rows = np.arange(len(y))
    teacher, owner = train_test_split(
        rows, train_size=teacher_fraction, stratify=y, random_state=seed
    )
    if n_labeled >= len(owner):
        raise ValueError(
            f"--labeled {n_labeled} leaves no transfer rows: the owner has "
            f"{len(owner)} training rows."
        )
    labeled, transfer = train_test_split(
        owner, train_size=n_labeled, stratify=y[owner], random_state=seed
    )
    return np.sort(teacher), np.sort(labeled), np.sort(transfer)


def make_teacher(kind, seed):
    """An unfitted scikit-learn teacher: ``"svc"`` or ``"boosting"``.

    ``"svc"``: an RBF SVC on the raw pixels, ``probability=True``;
    ``"boosting"``: ``HistGradientBoostingClassifier(random_state=seed)``.
    """
    if kind == "svc":
        from sklearn.svm import SVC

        # libsvm's pairwise-coupled probabilities, kept although scikit-learn
        # 1.9 deprecates probability=True: CalibratedClassifierCV's
        # one-vs-rest sigmoids teach the student less (the main job's page
        # gives figures); fit_teacher_quietly keeps the warning off.
        return SVC(kernel="rbf", probability=True, random_state=seed)
    if kind == "boosting":
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(random_state=seed)
    raise ValueError(f"unknown teacher {kind!r}")


def fit_teacher_quietly(teacher, X, y):
    """``teacher.fit(X, y)`` without scikit-learn's FutureWarning on
    ``SVC(probability=True)`` (deprecated in 1.9; this package pins < 1.10)."""
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=".*probability.*", category=FutureWarning
        )
        return teacher.fit(X, y)


@dataclass(frozen=True, kw_only=True)
class TransferSettings:
    """A :func:`run_transfer_compare` run's settings.

    Attributes
    ----------
    teacher : {"svc", "boosting"}, default="svc"
        The scikit-learn teacher, see :func:`make_teacher`.
    teacher_fraction : float, default=0.5
        Fraction of the training rows the teacher is fitted on.
    n_labeled : int, default=100
        The owner's labeled rows.
    units : int, default=32
        Hidden units of the student.
    widths : sequence of int, default=(8, 16, 32, 64, 128, 256)
        Hidden units of the compression curve's students.
    seeds : sequence of int, default=(0, 1, 2)
        One draw of the rows, and one fit of every model, per seed.
    epochs : int, default=60
        Every student's epochs.
    temperature, alpha : float, default=4.0, 0.1
        The distilled students' settings.
    batch_size : int, default=32
        Rows per gradient step.
    latency_repeats : int, default=7
        Timed calls behind each latency on 1,000 rows (three times as many
        on 1 row).
    export : path or None, default=None
        Where to write the first seed's distilled student: its ONNX graph
        and ``export_student()``'s file.
    """

    teacher: str = "svc"
    teacher_fraction: float = 0.5
    n_labeled: int = 100
    units: int = 32
    widths: tuple = (8, 16, 32, 64, 128, 256)
    seeds: tuple = (0, 1, 2)
    epochs: int = 60
    temperature: float = 4.0
    alpha: float = 0.1
    batch_size: int = 32
    latency_repeats: int = 7
    export: object = None


@dataclass(frozen=True)
class _Pairs:
    """The training rows and options every pair of students of a run shares."""

    X_train: object
    y_train: object
    settings: TransferSettings
    verbose: int
    callbacks: object


@dataclass(frozen=True)
class _Draw:
    """One seed's draw: its rows, its fitted teacher, its pair of students and
    scikit-learn's alternatives fitted on the same labels."""

    seed: int
    rows: tuple
    teacher: object
    scratch: DistilledClassifier
    distilled: DistilledClassifier
    alternatives: dict


def _alternatives(X_labeled, y_labeled):
    """What the owner would fit on the labels alone: scikit-learn's ``SVC()``
    and a scaled ``LogisticRegression()``, and the most frequent label, fitted."""
    from sklearn.dummy import DummyClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    models = {
        "svc": SVC(),
        "logistic": make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
        # The floor a practitioner checks first.
        "baseline": DummyClassifier(strategy="most_frequent"),
    }
    return {name: model.fit(X_labeled, y_labeled) for name, model in models.items()}


def _mlp_student(units):
    """The scenario's student builder: one hidden layer of ``units``."""
    from ..students._builders import MLPStudent

    return MLPStudent(hidden_units=(units,), standardize=True)


def _fit_pair(pairs, builder, labeled, transfer, fitted_teacher, seed):
    """The same student trained from scratch and distilled.

    The student from scratch learns from the ``labeled`` rows alone; the
    distilled one from ``fitted_teacher`` on those rows and the unlabeled
    ``transfer`` rows.

    Returns
    -------
    scratch, distilled : DistilledClassifier
    """
    settings = pairs.settings
    common = dict(
        student=builder,
        # The epochs the report names, for every seed and width.
        epochs=settings.epochs,
        n_iter_no_change=None,
        batch_size=settings.batch_size,
        random_state=seed,
        verbose=pairs.verbose,
        callbacks=pairs.callbacks,
    )
    X_labeled, y_labeled = pairs.X_train[labeled], pairs.y_train[labeled]
    scratch = DistilledClassifier(alpha=1.0, **common)
    scratch.fit(X_labeled, y_labeled)
    distilled = DistilledClassifier(
        teacher=fitted_teacher,
        temperature=settings.temperature,
        alpha=settings.alpha,
        **common,
    )
    distilled.fit(X_labeled, y_labeled, X_unlabeled=pairs.X_train[transfer])
    return scratch, distilled


def _student_accuracy(clf, X_test, y_test):
    return float(accuracy_score(y_test, clf.predict(X_test)))


def _draw_seed(pairs, seed, *, step, log):
    """One seed's draw of the rows, its teacher fitted and its students trained.

    Returns
    -------
    draw : _Draw
    """
    settings = pairs.settings
    rows = transfer_split(
        pairs.y_train,
        seed=seed,
        teacher_fraction=settings.teacher_fraction,
        n_labeled=settings.n_labeled,
    )
    teacher_rows, labeled, transfer = rows
    stage(
        f"[{step}] seed {seed}: teacher ({settings.teacher}) on "
        f"{len(teacher_rows)} rows, student ({settings.units} units) from scratch "
        f"on {len(labeled)} labels, distilled with {len(transfer)} transfer rows",
        log,
    )
    fitted = fit_teacher_quietly(
        make_teacher(settings.teacher, seed),
        pairs.X_train[teacher_rows],
        pairs.y_train[teacher_rows],
    )
    scratch, distilled = _fit_pair(
        pairs, _mlp_student(settings.units), labeled, transfer, fitted, seed
    )
    others = _alternatives(pairs.X_train[labeled], pairs.y_train[labeled])
    return _Draw(seed, rows, fitted, scratch, distilled, others)


def _draw_models(draw):
    """A draw's fitted models by their name in the report."""
    return {
        "teacher": draw.teacher,
        "scratch": draw.scratch,
        "distilled": draw.distilled,
        **draw.alternatives,
    }


def _draw_accuracies(draw, X_test, y_test):
    """Test accuracy of each of a draw's models."""
    return {
        name: _student_accuracy(model, X_test, y_test)
        for name, model in _draw_models(draw).items()
    }


def _draw_latencies(draw, X_test, repeats):
    """:func:`latencies` of each of a draw's models' predict."""
    return {
        name: latencies(model.predict, X_test, repeats=repeats)
        for name, model in _draw_models(draw).items()
    }


def _compression_point(width, scratch, distilled, X_test, y_test):
    """The compression curve's point of one width: parameters and accuracies."""
    return {
        "units": int(width),
        "parameters": int(distilled.student_model_.count_params()),
        "scratch": _student_accuracy(scratch, X_test, y_test),
        "distilled": _student_accuracy(distilled, X_test, y_test),
    }


def _compression_curve(pairs, draw, main_point, widths, X_test, y_test):
    """The compression curve on ``draw``'s rows and teacher, one point per width.

    At the main width (``units``) the point is ``main_point``, that of the
    draw's own pair of students; every other width trains a pair.
    """
    _, labeled, transfer = draw.rows
    curve = []
    for width in widths:
        if width == pairs.settings.units:
            curve.append(main_point)
            continue
        scratch, distilled = _fit_pair(
            pairs, _mlp_student(width), labeled, transfer, draw.teacher, draw.seed
        )
        curve.append(_compression_point(width, scratch, distilled, X_test, y_test))
    return curve


def _row_counts(draw, n_test):
    """The report's rows: counts of ``draw``'s teacher, labeled, transfer rows."""
    teacher_rows, labeled, transfer = draw.rows
    return {
        "n_teacher": len(teacher_rows),
        "n_labeled": len(labeled),
        "n_transfer": len(transfer),
        "n_test": n_test,
    }


def _summary(accuracies, latency, shipped, *, last):
    """The report's models: accuracies over the seeds, the median over the
    seeds of each predict latency, the last draw's sizes (the students' and
    the alternatives' parameters, each model's pickled bytes) and the
    distilled student's ONNX graph."""
    parameters = {
        "scratch": int(last.scratch.student_model_.count_params()),
        "distilled": int(last.distilled.student_model_.count_params()),
    }
    for name, model in last.alternatives.items():
        # Support vectors and their coefficients; weights and intercepts.
        size = model_size(model)
        parameters[name] = None if size is None else size["count"]
    models = {}
    for name, values in accuracies.items():
        pooled = pooled_latency(latency[name])
        models[name] = {
            "accuracy": mean_sd(values),
            "parameters": parameters.get(name),
            "size_bytes": serialized_bytes(_draw_models(last)[name]),
            "latency_ms": pooled,
            "latency_ms_per_1000": pooled["1000"]["median"],
        }
    models["distilled"]["shipped"] = pooled_shipped(shipped)
    return models


def run_transfer_compare(
    data, settings=TransferSettings(), *, verbose=0, log=print, progress=None
):
    """The default scenario: a strong teacher, an owner with few labels.

    For each seed the training rows are redrawn (:func:`transfer_split`): a
    scikit-learn ``teacher`` is fitted on its rows; a ``MLPStudent((units,))``
    is trained from scratch on the owner's ``n_labeled`` labeled rows, and
    the same student is distilled from the teacher on those rows plus the
    owner's unlabeled transfer rows (``X_unlabeled``). Then, on the first
    seed's rows, students of each width in ``widths`` are trained both ways
    (the compression curve). ``settings`` is a :class:`TransferSettings`.

    Returns
    -------
    result : dict
        ``rows`` (counts of teacher, labeled, transfer and test rows),
        ``models`` (teacher, scratch, distilled, and scikit-learn's svc and
        logistic on the same labels: accuracy mean, sd and values over the
        seeds, parameters of the students, and the median predict latency
        per 1,000 rows), ``distilled_minus_scratch``
        (:func:`paired_interval`) and ``compression`` (one dict per width:
        units, parameters, scratch, distilled).
    """
    X_train, X_test, y_train, y_test = data
    seeds, widths, units = list(settings.seeds), sorted(settings.widths), settings.units
    n_stages = len(seeds) + 1
    n_curve_fits = len([width for width in widths if width != units])
    total_epochs = 2 * settings.epochs * (len(seeds) + n_curve_fits)
    callbacks = progress_callbacks(progress, total_epochs)
    pairs = _Pairs(X_train, y_train, settings, verbose, callbacks)
    accuracies, latency, shipped, exported = {}, {}, [], None
    for i, seed in enumerate(seeds, start=1):
        draw = _draw_seed(pairs, seed, step=f"{i}/{n_stages}", log=log)
        for name, accuracy in _draw_accuracies(draw, X_test, y_test).items():
            accuracies.setdefault(name, []).append(accuracy)
        repeats = settings.latency_repeats
        for name, value in _draw_latencies(draw, X_test, repeats).items():
            latency.setdefault(name, []).append(value)
        record, files = ship(
            draw.distilled,
            X_test,
            repeats=repeats,
            export=settings.export if i == 1 else None,
            name="distilled",
        )
        shipped.append(record)
        if files is not None:
            exported = {"distilled": files}
        if i == 1:
            # The compression curve reuses the first seed's rows, teacher and,
            # at the main width, its pair of students.
            first = draw
            first_point = _compression_point(
                units, draw.scratch, draw.distilled, X_test, y_test
            )
    stage(
        f"[{n_stages}/{n_stages}] compression curve on seed {seeds[0]}'s rows: "
        f"widths {' '.join(map(str, widths))}",
        log,
    )
    compression = _compression_curve(pairs, first, first_point, widths, X_test, y_test)
    differences = np.subtract(accuracies["distilled"], accuracies["scratch"])
    return {
        "rows": _row_counts(first, len(y_test)),
        "models": _summary(accuracies, latency, shipped, last=draw),
        "exported": exported,
        "distilled_minus_scratch": paired_interval(differences),
        "compression": compression,
    }
