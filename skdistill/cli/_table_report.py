"""The table run's report: each model's scores over the seeds, the paired
differences of every student, the Markdown table and the latency figure."""

import math

import numpy as np

from ._figures import plot_score_latency
from ._formats import format_bytes, latency_cell
from ._shipping import exported_section, shipped_section
from ._stats import mean_sd, paired_interval, pooled_latency, pooled_shipped
from ._table_models import WAYS
from ._tables import CLASSIFICATION

#: Scores reported per task, the first one the main score (higher is better).
METRICS = {
    CLASSIFICATION: ("roc_auc", "accuracy", "log_loss"),
    "regression": ("r2", "rmse"),
}
METRIC_LABELS = {
    "roc_auc": "ROC AUC",
    "accuracy": "accuracy",
    "log_loss": "log-loss",
    "r2": "R²",
    "rmse": "RMSE",
}


def main_metric(task):
    """The score that retention, the intervals and the figure use."""
    return METRICS[task][0]


def _spread(values):
    """:func:`mean_sd` of the values that are defined; None if none is."""
    values = [value for value in values if value is not None]
    return mean_sd(values) if values else None


def _model_summary(records, teacher_records, metric, kind):
    """One model's row of the report from its records over the seeds."""
    retention = [
        None
        if r["scores"][metric] is None or not t["scores"][metric]
        else r["scores"][metric] / t["scores"][metric]
        for r, t in zip(records, teacher_records, strict=True)
    ]
    fit = [r["fit_seconds"] for r in records]
    last = records[-1]
    shipped = (
        pooled_shipped([r["shipped"] for r in records]) if "shipped" in last else None
    )
    return {
        "kind": kind,
        "scores": {
            name: _spread([r["scores"][name] for r in records])
            for name in records[0]["scores"]
        },
        "retention": _spread(retention),
        "fit_seconds": None if fit[0] is None else mean_sd(fit),
        # The median over seeds of each seed's median call.
        "latency_ms_per_1000": float(
            np.median([r["latency_ms_per_1000"] for r in records])
        ),
        "latency_ms": pooled_latency([r["latency_ms"] for r in records]),
        "shipped": shipped,
        "size": last["size"],
        "size_bytes": last["size_bytes"],
    }


def _kind(key):
    if key == "teacher":
        return "teacher"
    return "alternative" if key.startswith("sklearn:") else key.split(":")[1]


def summarise_models(seeds, labels, task):
    """The report's models, by key: label, kind and :func:`_model_summary`."""
    metric = main_metric(task)
    teacher = [records["teacher"] for records in seeds]
    return {
        key: {
            "label": label,
            **_model_summary(
                [records[key] for records in seeds], teacher, metric, _kind(key)
            ),
        }
        for key, label in labels.items()
    }


def _paired(seeds, key, baseline, metric):
    """:func:`paired_interval` of ``key`` − ``baseline`` in ``metric`` over seeds."""
    pairs = [
        (records[key]["scores"][metric], records[baseline]["scores"][metric])
        for records in seeds
    ]
    defined = [(a, b) for a, b in pairs if a is not None and b is not None]
    if len(defined) < 2:
        return None
    differences = [a - b for a, b in defined]
    interval = paired_interval(differences)
    # Two fits that coincide have no interval worth a row: say so instead.
    interval["equal"] = bool(np.all(np.abs(differences) < 1e-12))
    return interval


def _phrase(difference, baseline):
    """What an interval of distilled − ``baseline`` supports, as a clause."""
    if difference is None:
        return f"distilled − {baseline}: undefined (a seed's score is)"
    if difference.get("equal"):
        return (
            f"distilled = {baseline} on every seed (the two fits coincide: "
            "no comparison to make)"
        )
    mean, (low, high) = difference["mean"], difference["ci95"]
    if low > 0:
        verdict = "distillation is better"
    elif high < 0:
        verdict = "distillation is worse"
    else:
        verdict = "no difference detectable"
    return (
        f"distilled − {baseline} {mean:+.3f} (95% interval "
        f"[{low:+.3f}, {high:+.3f}]): {verdict}"
    )


def student_differences(seeds, students, task):
    """Distilled − scratch and distilled − pseudo-labels for every student.

    Returns
    -------
    differences : dict
        By student: ``distilled_minus_scratch`` and
        ``distilled_minus_pseudo`` (each a dict of :func:`paired_interval`
        by score) and ``sentence``, what the main score's intervals support.
    """
    metric = main_metric(task)
    differences = {}
    for name in students:
        entry = {}
        for baseline in ("scratch", "pseudo"):
            entry[f"distilled_minus_{baseline}"] = {
                score: _paired(seeds, f"{name}:distilled", f"{name}:{baseline}", score)
                for score in METRICS[task]
            }
        scratch = _phrase(entry["distilled_minus_scratch"][metric], "scratch")
        pseudo = _phrase(entry["distilled_minus_pseudo"][metric], "pseudo-labels")
        entry["sentence"] = (
            f"{name}, {METRIC_LABELS[metric]} over {len(seeds)} seeds: "
            f"{scratch}; {pseudo}."
        )
        differences[name] = entry
    return differences


def _score_cell(name, stats):
    if stats is None:
        return "-"
    mean, sd = stats["mean"], stats["sd"]
    if name == "accuracy":
        return f"{100 * mean:.1f}% ± {100 * sd:.1f}"
    if name == "rmse":
        # In the target's units: both to the decimal of the sd's second digit.
        digits = 3 if not sd > 0 else min(6, max(0, 1 - math.floor(math.log10(sd))))
        return f"{mean:.{digits}f} ± {sd:.{digits}f}"
    return f"{mean:.3f} ± {sd:.3f}"


def _model_cells(model, task):
    size = model["size"]
    fit = model["fit_seconds"]
    retention = model["retention"]
    return [
        *(_score_cell(name, model["scores"][name]) for name in METRICS[task]),
        "-" if retention is None else f"{100 * retention['mean']:.1f}%",
        "-" if size is None else f"{size['count']:,} {size['unit']}",
        "-" if model["size_bytes"] is None else format_bytes(model["size_bytes"]),
        latency_cell(model["latency_ms"]["1000"]),
        "given" if fit is None else f"{fit['mean']:.2f} s",
    ]


def models_table(report):
    """The Markdown table of every model: scores, retention, size, speed."""
    task = report["task"]
    header = [
        "model",
        *(METRIC_LABELS[name] for name in METRICS[task]),
        f"retention ({METRIC_LABELS[main_metric(task)]})",
        "size",
        "pickled",
        "ms per 1,000 rows (p99)",
        "fit time",
    ]
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    for model in report["models"].values():
        cells = [model["label"], *_model_cells(model, task)]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def shipped_table(report):
    """:func:`shipped_section` of the table run's distilled students."""
    students = {
        key.split(":")[0]: model
        for key, model in report["models"].items()
        if model["kind"] == "distilled"
    }
    return shipped_section(students, report["models"]["teacher"])


def _difference_cells(entry, metric):
    cells = []
    for baseline in ("scratch", "pseudo"):
        difference = entry[f"distilled_minus_{baseline}"][metric]
        if difference is None:
            cells += ["-", "-"]
            continue
        if difference.get("equal"):
            cells += ["equal", "(same fit)"]
            continue
        low, high = difference["ci95"]
        cells += [f"{difference['mean']:+.3f}", f"[{low:+.3f}, {high:+.3f}]"]
    return cells


def differences_table(report):
    """The Markdown table of each student's paired differences."""
    metric = main_metric(report["task"])
    lines = [
        "| student | distilled − scratch | 95% interval "
        "| distilled − pseudo-labels | 95% interval |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, entry in report["differences"].items():
        cells = [name, *_difference_cells(entry, metric)]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def teacher_checks(report):
    """Sentences on what the reader should know before trusting the teacher.

    The baseline a practitioner checks first (class frequencies or the
    mean), and any model trained on the labels alone whose main score
    matches (within the teacher's sd over the seeds) or beats the teacher's:
    then distillation passes on little, and retention above 100% says so.
    """
    metric = main_metric(report["task"])
    label = METRIC_LABELS[metric]
    models = report["models"]
    teacher = models["teacher"]["scores"][metric]
    lines = []
    baseline = models.get("sklearn:baseline")
    if baseline is not None:
        scores = [
            f"{METRIC_LABELS[name]} {_score_cell(name, stats).split(' ± ')[0]}"
            for name, stats in baseline["scores"].items()
            if stats is not None
        ]
        lines.append(
            f"- Baseline: {baseline['label'].split(': ')[-1]} alone score "
            f"{', '.join(scores)}: a model no better on a score has learned "
            "nothing for it from the features."
        )
    if teacher is None:
        return lines
    for key, model in models.items():
        stats = model["scores"][metric]
        labels_only = model["kind"] in ("scratch", "alternative")
        if not labels_only or key == "sklearn:baseline" or stats is None:
            continue
        if stats["mean"] >= teacher["mean"] - teacher["sd"]:
            verdict = "beats" if stats["mean"] > teacher["mean"] else "matches"
            lines.append(
                f"- Weak teacher: {model['label']}, trained on the labels alone, "
                f"{verdict} the teacher ({label} {stats['mean']:.3f} against "
                f"{teacher['mean']:.3f} ± {teacher['sd']:.3f}). A student "
                "distilled from it can score above it (retention over 100%); "
                "a stronger teacher (--teacher-model, --teacher) would teach "
                "more."
            )
    return lines


def _linear_note(report):
    if "linear" not in report["settings"]["students"]:
        return []
    model = "LogisticRegression()" if report["task"] == CLASSIFICATION else "Ridge()"
    return [
        f"- linear from scratch is scikit-learn's {model} on the one-hot, "
        "scaled columns, fitted on the same labels: it stands for that "
        "alternative, which is not listed twice."
    ]


def _rows_sentence(report):
    rows, settings = report["rows"], report["settings"]
    teacher = (
        f"{rows['n_teacher']:,} teacher rows (the {settings['teacher']} teacher is "
        "fitted on them)"
        if rows["n_teacher"]
        else f"the teacher ({settings['teacher']}) as given, no teacher rows"
    )
    return (
        f"{report['n_rows']:,} rows, {report['n_features']} feature columns; "
        f"redrawn for each of {len(settings['seeds'])} seeds"
        f"{' (stratified)' if report['task'] == CLASSIFICATION else ''}: "
        f"{rows['n_test']:,} test rows, {teacher}, {rows['n_labeled']:,} "
        f"labeled rows (the students from scratch and the scikit-learn "
        f"defaults see these only) and {rows['n_transfer']:,} unlabeled "
        "transfer rows (the pseudo-label and distilled students see them "
        "through the teacher)."
    )


def table_markdown(report, plot="latency.png"):
    """The table run's report.md."""
    task, metric = report["task"], METRIC_LABELS[main_metric(report["task"])]
    settings = ", ".join(f"{k}={v}" for k, v in report["settings"].items())
    lines = [
        f"# skdistill compare: {report['data']}, target {report['target']} ({task})",
        "",
        _rows_sentence(report),
        "",
        f"Settings: {settings}.",
        "",
        *models_table(report),
        "",
        *teacher_checks(report),
        *_linear_note(report),
        "",
        f"Scores are mean ± sd over the seeds on each seed's test rows; "
        f"retention is the model's {metric} over the teacher's; size counts "
        "the served model's tree nodes or parameters, and pickled its bytes; "
        "latency is the median time of predict_proba (predict for regression) "
        "on 1,000 rows, with its 99th percentile. Native threads (OpenMP, "
        "BLAS) are held to one for every fit and timing.",
        "",
        *shipped_table(report),
        "",
        f"Distilled minus the same student trained otherwise, in {metric} "
        f"(paired over {len(report['settings']['seeds'])} seeds, 95% t-intervals):",
        "",
        *differences_table(report),
        "",
        *(f"- {entry['sentence']}" for entry in report["differences"].values()),
        "",
        f"Wall time: {report['wall_seconds']:.1f} s.",
    ]
    lines += exported_section(report["settings"].get("export"), report.get("exported"))
    if plot is not None:
        lines += ["", f"![{metric} against predict latency]({plot})"]
    return "\n".join(lines) + "\n"


def plot_table_latency(report, path):
    """The main score against predict latency, one marker per model."""
    metric = main_metric(report["task"])
    points = []
    for key, model in report["models"].items():
        stats = model["scores"][metric]
        if stats is None:
            continue
        kind = model["kind"]
        # A student's marker shows how it was trained; its name says which.
        label = key.split(":")[0] if kind in WAYS else model["label"]
        points.append(
            {
                "group": kind,
                "label": label.split(" (")[0],
                "latency": model["latency_ms_per_1000"],
                "score": stats["mean"],
                "sd": stats["sd"],
            }
        )
    plot_score_latency(
        points,
        path,
        ylabel=f"test {METRIC_LABELS[metric]} (mean ± sd over seeds)",
        title=f"{METRIC_LABELS[metric]} against predict latency: {report['data']}",
    )
