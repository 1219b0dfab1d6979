"""Run an :class:`~._experiment.Experiment` on a :class:`~._data.Dataset`."""

import warnings

from ._data import draw_split, seed_rows
from ._fits import (
    Fits,
    Progress,
    alternative_records,
    compression_curve,
    fit_teacher,
    n_steps,
    student_records,
)
from ._measure import main_metric
from ._models import alternative_names


def stage(message, log):
    if log is not None:
        log(message)


def _stage_line(fits, seed, counts):
    experiment = fits.experiment
    where = (
        "as given"
        if fits.given_teacher is not None
        else "on the labeled rows"
        if experiment.same_labels
        else f"on {counts['n_teacher']:,} rows"
    )
    ways = "one way" if len(experiment.ways) == 1 else f"{len(experiment.ways)} ways"
    if experiment.grid:
        ways = f"{len(experiment.distilled_settings())} settings"
    transfer = (
        f" and {counts['n_transfer']:,} transfer rows" if counts["n_transfer"] else ""
    )
    n_alternatives = len(alternative_names(experiment, fits.data.task))
    return (
        f"seed {seed}: teacher ({experiment.teacher}) {where}; students "
        f"{' '.join(experiment.students)} {ways} on {counts['n_labeled']:,} "
        f"labels{transfer}; {n_alternatives} alternative"
        f"{'' if n_alternatives == 1 else 's'}; "
        f"{counts['n_test']:,} test rows"
    )


def _run_seed(fits, seed, *, step, log, first):
    """One seed's draw, fits and records: ``(counts, records, curve)``."""
    split = draw_split(
        fits.data, fits.experiment, seed, unlabeled=fits.unlabeled is not None
    )
    rows = seed_rows(fits.data, split, fits.unlabeled)
    counts = rows.counts()
    stage(f"[{step}] {_stage_line(fits, seed, counts)}", log)
    teacher, record = fit_teacher(fits, rows, seed)
    records = {"teacher": record}
    records.update(student_records(fits, rows, teacher, seed))
    records.update(alternative_records(fits, rows, seed))
    curve = None
    if first and fits.experiment.widths:
        metric = main_metric(fits.experiment, fits.data.task)
        curve = compression_curve(fits, rows, teacher, seed, records, metric)
    return counts, records, curve


def run_experiment(
    data, experiment, *, teacher=None, unlabeled=None, log=print, progress=None
):
    """Every seed's fits and records of ``experiment`` on ``data``.

    Parameters
    ----------
    data : Dataset
    experiment : Experiment
    teacher : object, default=None
        A fitted teacher used as given; None fits ``experiment.teacher``
        on each seed's teacher rows.
    unlabeled : DataFrame, default=None
        Transfer rows from an ``--unlabeled`` file, added to each seed's.
    log : callable or None, default=print
        Receives one line per seed.
    progress : object or None, default=None
        Told ``progress.start(n_steps, unit="steps")``, then
        ``progress.advance()`` after every epoch of a Keras model and every
        fit of another.

    Returns
    -------
    result : dict
        ``rows`` (the first seed's counts); ``seeds``: per seed, the
        records by model key (see :func:`~._measure.measure`; a distilled
        student's also has ``shipped``: its ONNX graph's bytes and latency,
        or why it has none); ``compression``: the first seed's curve, or
        None; ``exported``: the files ``experiment.export`` got, by
        student, or None; ``teacher_passes``: how many times a teacher ran
        over training rows (the teacher cache spares the others).
    """
    from sklearn.exceptions import ConvergenceWarning

    from ...distill._cache import get_teacher_cache

    cache = get_teacher_cache()
    misses = cache.misses
    exported = None if experiment.export is None else {}
    fits = Fits(data, experiment, teacher, unlabeled, Progress(progress), exported)
    fits.progress.start(n_steps(fits))
    n_stages = len(experiment.seeds) + 1
    counts, per_seed, curve = [], [], None
    with warnings.catch_warnings():
        # scikit-learn's defaults are run as an owner would run them: a
        # ConvergenceWarning says no more than their test scores do.
        warnings.simplefilter("ignore", ConvergenceWarning)
        for i, seed in enumerate(experiment.seeds, start=1):
            seed_counts, records, seed_curve = _run_seed(
                fits, seed, step=f"{i}/{n_stages}", log=log, first=i == 1
            )
            counts.append(seed_counts)
            per_seed.append(records)
            curve = seed_curve if i == 1 else curve
    return {
        "rows": counts[0],
        "seeds": per_seed,
        "compression": curve,
        "exported": exported,
        "teacher_passes": cache.misses - misses,
    }
