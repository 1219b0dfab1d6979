"""The seeds summed up: each model's scores (mean ± sd), retention, latency,
size; each student's paired differences and the sentence they support; and
what the reader should know before trusting the teacher."""

import numpy as np

from .._stats import mean_sd, paired_interval, pooled_latency, pooled_shipped
from ._experiment import WAY_LABELS
from ._measure import METRIC_LABELS, METRICS, main_metric
from ._models import ALTERNATIVE_LABELS, alternative_names


def model_labels(experiment, data):
    """Every model's label in the report, by its key, in the report's order."""
    from ._fits import distilled_key

    labels = {"teacher": f"teacher ({experiment.teacher})"}
    for name in experiment.students:
        for way in ("scratch", "pseudo"):
            if way in experiment.ways:
                labels[f"{name}:{way}"] = f"{name} {WAY_LABELS[way]}"
        for temperature, alpha in experiment.distilled_settings():
            key = distilled_key(name, experiment, temperature, alpha)
            setting = ""
            if experiment.grid:
                setting = f" (T={temperature:g}, alpha={alpha:g})"
            labels[key] = f"{name} distilled{setting}"
    for name in alternative_names(experiment, data.task):
        label = ALTERNATIVE_LABELS[data.task][name]
        if data.is_table:
            label = label.replace("(scaled)", "(one-hot, scaled)")
        labels[f"sklearn:{name}"] = label
    return labels


def _spread(values):
    """:func:`mean_sd` of the values that are defined; None if none is."""
    values = [value for value in values if value is not None]
    return mean_sd(values) if values else None


def _kind(key):
    if key == "teacher":
        return "teacher"
    if key.startswith("sklearn:"):
        return "alternative"
    return key.split(":")[1].split("(")[0]


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
    summary = {
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
        "shipped": None,
        "size": last["size"],
        "size_bytes": last["size_bytes"],
    }
    if "shipped" in last:
        summary["shipped"] = pooled_shipped([r["shipped"] for r in records])
    if "settings" in last:
        summary["settings"] = last["settings"]
    return summary


def summarise_models(seeds, labels, metric):
    """The report's models, by key: label, kind and their summary over seeds."""
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


def histories(seeds):
    """The first seed's Keras learning curves on held-out rows, by model key
    (empty where no fit held rows out)."""
    return {
        key: record["history"]
        for key, record in seeds[0].items()
        if "val_accuracy" in record.get("history", {})
    }


def _paired(seeds, key, baseline, metric):
    """:func:`paired_interval` of ``key`` − ``baseline`` in ``metric`` over seeds."""
    pairs = [
        (records[key]["scores"][metric], records[baseline]["scores"][metric])
        for records in seeds
    ]
    defined = [(a, b) for a, b in pairs if a is not None and b is not None]
    if len(defined) < 1:
        return None
    differences = [a - b for a, b in defined]
    interval = paired_interval(differences)
    if interval["n"] < 2:
        interval["ci95"] = None  # one seed: no interval (and strict JSON)
    interval["equal"] = bool(np.all(np.abs(differences) < 1e-12))
    return interval


def _coinciding(by_score):
    """``by_score`` with ``equal`` true only where every score ties on every
    seed: two fits that coincide (a tie on one score is not the same fit)."""
    same = all(d is None or d["equal"] for d in by_score.values())
    for difference in by_score.values():
        if difference is not None:
            difference["equal"] = same
    return by_score


def phrase(difference, baseline, metric):
    """What an interval of distilled − ``baseline`` supports, as a clause."""
    if difference is None:
        return f"distilled − {baseline}: undefined (a seed's score is)"
    if difference.get("equal"):
        return (
            f"distilled = {baseline} on every seed (the two fits coincide: "
            "no comparison to make)"
        )
    mean = difference["mean"]
    scale, unit = (100, " points") if metric == "accuracy" else (1, "")
    digits = 1 if scale == 100 else 3
    if difference["ci95"] is None:
        return (
            f"distilled − {baseline} {scale * mean:+.{digits}f}{unit} on one seed: no "
            "interval (give --seeds 2 or more to see whether it is a difference)"
        )
    low, high = difference["ci95"]
    if low > 0:
        verdict = "distillation is better"
    elif high < 0:
        verdict = "distillation is worse"
    else:
        verdict = "no difference detectable"
    return (
        f"distilled − {baseline} {scale * mean:+.{digits}f}{unit} (95% interval "
        f"[{scale * low:+.{digits}f}, {scale * high:+.{digits}f}]): {verdict}"
    )


def student_differences(seeds, labels, task, metric):
    """Each distilled student minus the same student trained otherwise.

    Returns
    -------
    differences : dict
        By distilled student's key: ``distilled_minus_scratch`` and, where
        pseudo-labels were trained, ``distilled_minus_pseudo`` (each a dict
        of :func:`paired_interval` by score), and ``sentence``, what the
        main score's intervals support.
    """
    differences = {}
    for key in labels:
        if ":distilled" not in key:
            continue
        name = key.split(":")[0]
        entry, clauses = {}, []
        for baseline, said in (("scratch", "scratch"), ("pseudo", "pseudo-labels")):
            other = f"{name}:{baseline}"
            if other not in seeds[0]:
                continue
            entry[f"distilled_minus_{baseline}"] = _coinciding(
                {score: _paired(seeds, key, other, score) for score in METRICS[task]}
            )
            clauses.append(
                phrase(entry[f"distilled_minus_{baseline}"][metric], said, metric)
            )
        if not clauses:
            continue
        entry["sentence"] = (
            f"{labels[key]}, {METRIC_LABELS[metric]} over {len(seeds)} "
            f"seed{'s' if len(seeds) > 1 else ''}: {'; '.join(clauses)}."
        )
        differences[key] = entry
    return differences


def score_text(name, stats):
    """A score's mean ± sd as the report writes it."""
    import math

    if stats is None:
        return "-"
    mean, sd = stats["mean"], stats["sd"]
    if len(stats["values"]) == 1:  # one seed: no spread to show
        return f"{100 * mean:.1f}%" if name == "accuracy" else f"{mean:.3f}"
    if name == "accuracy":
        return f"{100 * mean:.1f}% ± {100 * sd:.1f}"
    if name == "rmse":
        # In the target's units: both to the decimal of the sd's second digit.
        digits = 3 if not sd > 0 else min(6, max(0, 1 - math.floor(math.log10(sd))))
        return f"{mean:.{digits}f} ± {sd:.{digits}f}"
    return f"{mean:.3f} ± {sd:.3f}"


#: What the weak-teacher line advises, by scenario.
_STRONGER = {
    "same-labels": "a stronger teacher (--models, more --teacher-epochs, or "
    "--teacher) would teach more.",
    None: "a stronger teacher (--teacher-model, --teacher) would teach more.",
}


def teacher_checks(models, metric, scenario=None):
    """Sentences on what the reader should know before trusting the teacher.

    The baseline a practitioner checks first (class frequencies or the
    mean), and any model trained on the labels alone whose main score
    matches (within the teacher's sd over the seeds) or beats the teacher's:
    then distillation passes on little, and retention above 100% says so.
    """
    label = METRIC_LABELS[metric]
    advice = _STRONGER.get(scenario, _STRONGER[None])
    teacher = models["teacher"]["scores"][metric]
    lines = []
    baseline = models.get("sklearn:baseline")
    if baseline is not None:
        scores = [
            f"{METRIC_LABELS[name]} {score_text(name, stats).split(' ± ')[0]}"
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
            shown = [score_text(metric, s) for s in (stats, teacher)]
            lines.append(
                f"- Weak teacher: {model['label']}, trained on the labels alone, "
                f"{verdict} the teacher ({label} {shown[0].split(' ± ')[0]} "
                f"against {shown[1]}). A student distilled from it can score "
                f"above it (retention over 100%); {advice}"
            )
    return lines


def summarise(result, experiment, data):
    """The report's ``models``, ``differences`` and ``histories``."""
    metric = main_metric(experiment, data.task)
    labels = model_labels(experiment, data)
    seeds = result["seeds"]
    return {
        "metric": metric,
        "models": summarise_models(seeds, labels, metric),
        "differences": student_differences(seeds, labels, data.task, metric),
        "histories": histories(seeds),
    }
