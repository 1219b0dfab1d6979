"""The default main job: a teacher, an owner with few labels, and transfer rows.

The training rows are split per seed into rows the teacher is fitted on, the
owner's few labeled rows and the owner's unlabeled transfer rows; the same
student is trained from scratch on the labels and distilled with the
transfer rows, and the paired difference is reported with its interval.
"""

import numpy as np
from sklearn.metrics import accuracy_score

from ._classification import DistilledClassifier
from ._experiment import progress_callbacks, stage


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

        # libsvm's pairwise-coupled probabilities. scikit-learn 1.9 deprecates
        # probability=True for CalibratedClassifierCV(SVC(), ensemble=False),
        # whose one-vs-rest sigmoids taught the student less here (distilled
        # 93.0% against 94.9%, 3 seeds): see fit_teacher_quietly.
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


def mean_sd(values):
    """Mean and sample standard deviation (0 for a single value)."""
    values = np.asarray(values, dtype=np.float64)
    sd = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
    return {"mean": float(np.mean(values)), "sd": sd, "values": values.tolist()}


def paired_interval(differences, level=0.95):
    """Mean of paired ``differences`` and its t-interval (mean ± t·sd/√n)."""
    from scipy.stats import t

    d = np.asarray(differences, dtype=np.float64)
    n = len(d)
    mean = float(np.mean(d))
    if n < 2:
        return {"mean": mean, "ci95": [float("-inf"), float("inf")], "n": n}
    half = float(t.ppf(0.5 + level / 2, n - 1) * np.std(d, ddof=1) / np.sqrt(n))
    return {"mean": mean, "ci95": [mean - half, mean + half], "n": n}


def _student_accuracy(clf, X_test, y_test):
    return float(accuracy_score(y_test, clf.predict(X_test)))


def run_transfer_compare(
    data,
    *,
    teacher="svc",
    teacher_fraction=0.5,
    n_labeled=100,
    units=32,
    widths=(8, 16, 32, 64, 128, 256),
    seeds=(0, 1, 2),
    epochs=60,
    temperature=4.0,
    alpha=0.1,
    batch_size=32,
    verbose=0,
    log=print,
    progress=None,
):
    """The default scenario: a strong teacher, an owner with few labels.

    For each seed the training rows are redrawn (:func:`transfer_split`): a
    scikit-learn ``teacher`` is fitted on its rows; a ``MLPStudent((units,))``
    is trained from scratch on the owner's ``n_labeled`` labeled rows, and
    the same student is distilled from the teacher on those rows plus the
    owner's unlabeled transfer rows (``X_unlabeled``). Then, on the first
    seed's rows, students of each width in ``widths`` are trained both ways
    (the compression curve).

    Returns
    -------
    result : dict
        ``rows`` (counts of teacher, labeled, transfer and test rows),
        ``models`` (teacher, scratch, distilled: accuracy mean, sd and values
        over the seeds, and parameters), ``distilled_minus_scratch``
        (:func:`paired_interval`) and ``compression`` (one dict per width:
        units, parameters, scratch, distilled).
    """
    from ._students import MLPStudent

    X_train, X_test, y_train, y_test = data
    seeds = list(seeds)
    widths = sorted(widths)
    n_stages = len(seeds) + 1
    n_curve_fits = len([width for width in widths if width != units])
    callbacks = progress_callbacks(progress, 2 * epochs * (len(seeds) + n_curve_fits))

    def fit_pair(builder, labeled, transfer, fitted_teacher, seed):
        common = dict(
            student=builder,
            # The epochs the report names, for every seed and width.
            epochs=epochs,
            n_iter_no_change=None,
            batch_size=batch_size,
            random_state=seed,
            verbose=verbose,
            callbacks=callbacks,
        )
        scratch = DistilledClassifier(alpha=1.0, **common)
        scratch.fit(X_train[labeled], y_train[labeled])
        distilled = DistilledClassifier(
            teacher=fitted_teacher, temperature=temperature, alpha=alpha, **common
        )
        distilled.fit(X_train[labeled], y_train[labeled], X_unlabeled=X_train[transfer])
        return scratch, distilled

    def compression_point(width, scratch, distilled):
        return {
            "units": int(width),
            "parameters": int(distilled.student_model_.count_params()),
            "scratch": _student_accuracy(scratch, X_test, y_test),
            "distilled": _student_accuracy(distilled, X_test, y_test),
        }

    accuracies = {"teacher": [], "scratch": [], "distilled": []}
    parameters = {}
    for i, seed in enumerate(seeds, start=1):
        rows = transfer_split(
            y_train, seed=seed, teacher_fraction=teacher_fraction, n_labeled=n_labeled
        )
        teacher_rows, labeled, transfer = rows
        stage(
            f"[{i}/{n_stages}] seed {seed}: teacher ({teacher}) on "
            f"{len(teacher_rows)} rows, student ({units} units) from scratch on "
            f"{len(labeled)} labels, distilled with {len(transfer)} transfer rows",
            log,
        )
        fitted = fit_teacher_quietly(
            make_teacher(teacher, seed), X_train[teacher_rows], y_train[teacher_rows]
        )
        scratch, distilled = fit_pair(
            MLPStudent(hidden_units=(units,), standardize=True),
            labeled,
            transfer,
            fitted,
            seed,
        )
        accuracies["teacher"].append(
            float(accuracy_score(y_test, fitted.predict(X_test)))
        )
        accuracies["scratch"].append(_student_accuracy(scratch, X_test, y_test))
        accuracies["distilled"].append(_student_accuracy(distilled, X_test, y_test))
        parameters["scratch"] = int(scratch.student_model_.count_params())
        parameters["distilled"] = int(distilled.student_model_.count_params())
        if i == 1:
            # The compression curve reuses the first seed's rows, teacher and,
            # at the main width, its pair of students.
            first, first_teacher = rows, fitted
            first_point = compression_point(units, scratch, distilled)

    stage(
        f"[{n_stages}/{n_stages}] compression curve on seed {seeds[0]}'s rows: "
        f"widths {' '.join(map(str, widths))}",
        log,
    )
    _, labeled, transfer = first
    compression = []
    for width in widths:
        if width == units:
            compression.append(first_point)
            continue
        student = MLPStudent(hidden_units=(width,), standardize=True)
        scratch, distilled = fit_pair(
            student, labeled, transfer, first_teacher, seeds[0]
        )
        compression.append(compression_point(width, scratch, distilled))

    models = {}
    for name, values in accuracies.items():
        models[name] = {"accuracy": mean_sd(values), "parameters": parameters.get(name)}
    differences = np.subtract(accuracies["distilled"], accuracies["scratch"])
    return {
        "rows": {
            "n_teacher": len(first[0]),
            "n_labeled": len(first[1]),
            "n_transfer": len(first[2]),
            "n_test": len(y_test),
        },
        "models": models,
        "distilled_minus_scratch": paired_interval(differences),
        "compression": compression,
    }
