"""The one report of every run: ``report.json``'s content and ``report.md``.

``report.json``'s schema is the same for every configuration (documented on
the main job's page): what was run (``command``, ``scenario``, ``dataset``,
``data``, ``task``...), the rows, the settings, the main ``metric``,
``models`` by key, ``differences`` by distilled student, and, where the run
makes them, ``compression`` and ``histories``.
"""

from dataclasses import asdict
from pathlib import Path

from .._formats import format_bytes, latency_cell
from .._shipping import exported_section, shipped_section
from ._data import CLASSIFICATION
from ._measure import METRIC_LABELS, METRICS
from ._summary import score_text, summarise, teacher_checks

#: The report's title line after the data set, by scenario.
_TITLES = {
    "transfer": "a strong teacher and few labels",
    "same-labels": "teacher and students on the same labels",
    "table": None,
}
#: Settings the report lists, by what the run uses.
_ALWAYS = ("teacher", "students", "seeds", "alpha")


def report_settings(experiment, data, rows):
    """The settings the report lists; ``n_labeled`` as the count drawn."""
    settings = {
        name: value
        for name, value in asdict(experiment).items()
        if name
        not in (
            "configuration",
            "verbose",
            "export",
            "grid",
            "ways",
            "metric",
            "save_teacher",
        )
    }
    settings["n_labeled"] = rows["n_labeled"]
    settings["ways"] = list(experiment.ways)
    for name in ("students", "alternatives", "seeds", "widths"):
        settings[name] = list(settings[name])
    if data.task != CLASSIFICATION:
        settings.pop("temperature")
    if experiment.grid:
        settings["grid"] = [list(point) for point in experiment.grid]
    if experiment.export is not None:
        settings["export"] = str(experiment.export)
    return settings


def build_report(command, data, experiment, result, *, dataset, versions):
    """report.json's content, but its wall time."""
    summary = summarise(result, experiment, data)
    return {
        "command": command,
        "scenario": experiment.configuration,
        "dataset": dataset,
        "data": data.name,
        "target": data.target,
        "task": data.task,
        "classes": None if data.classes is None else data.classes.tolist(),
        "n_rows": len(data.y) + (0 if data.y_test is None else len(data.y_test)),
        "n_features": data.X.shape[1] if data.is_table else int(data.X[0].size),
        "dropped": data.dropped,
        "rows": result["rows"],
        "settings": report_settings(experiment, data, result["rows"]),
        **summary,
        "compression": result["compression"],
        "exported": result["exported"],
        "teacher_passes": result["teacher_passes"],
        "teacher_file": None
        if experiment.save_teacher is None
        else str(experiment.save_teacher),
        "versions": versions,
    }


def _model_cells(model, task):
    size, fit, retention = model["size"], model["fit_seconds"], model["retention"]
    return [
        *(score_text(name, model["scores"][name]) for name in METRICS[task]),
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
        f"retention ({METRIC_LABELS[report['metric']]})",
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


def _interval_cells(difference, scale):
    if difference is None:
        return ["-", "-"]
    if difference.get("equal"):
        return ["equal", "(same fit)"]
    digits = 1 if scale == 100 else 3
    mean = f"{scale * difference['mean']:+.{digits}f}"
    if difference["ci95"] is None:
        return [mean, "(one seed)"]
    low, high = difference["ci95"]
    return [mean, f"[{scale * low:+.{digits}f}, {scale * high:+.{digits}f}]"]


def differences_table(report):
    """The Markdown table of each distilled student's paired differences."""
    metric = report["metric"]
    scale = 100 if metric == "accuracy" else 1
    baselines = [
        b
        for b in ("scratch", "pseudo")
        if any(f"distilled_minus_{b}" in e for e in report["differences"].values())
    ]
    said = {"scratch": "scratch", "pseudo": "pseudo-labels"}
    header = ["student"]
    for baseline in baselines:
        header += [f"distilled − {said[baseline]}", "95% interval"]
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    for key, entry in report["differences"].items():
        cells = [report["models"][key]["label"]]
        for baseline in baselines:
            difference = entry.get(f"distilled_minus_{baseline}", {}).get(metric)
            cells += _interval_cells(difference, scale)
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _rows_sentence(report):
    rows, settings = report["rows"], report["settings"]
    n_seeds = len(settings["seeds"])
    if report["scenario"] == "same-labels":
        teacher = (
            f"the teacher ({settings['teacher']}) and the students learn from "
            f"the same {rows['n_labeled']:,} labeled rows"
        )
        if settings["validation_fraction"]:
            teacher += (
                f", each fit holding out the same "
                f"{100 * settings['validation_fraction']:g}% for its learning curves"
            )
        return (
            f"{report['data']}: {rows['n_test']:,} test rows; {teacher}; "
            f"{n_seeds} seed{'s' if n_seeds > 1 else ''}."
        )
    teacher = (
        f"{rows['n_teacher']:,} teacher rows (the {settings['teacher']} teacher is "
        "fitted on them)"
        if rows["n_teacher"]
        else f"the teacher ({settings['teacher']}) as given, no teacher rows"
    )
    redrawn = (
        f"{report['n_rows']:,} rows, {report['n_features']} features; redrawn "
        f"for each of {n_seeds} seeds"
        f"{' (stratified)' if report['task'] == CLASSIFICATION else ''}"
    )
    students = (
        "pseudo-label and distilled" if "pseudo" in settings["ways"] else "distilled"
    )
    return (
        f"{redrawn}: {rows['n_test']:,} test rows, {teacher}, "
        f"{rows['n_labeled']:,} labeled rows (the students from scratch and the "
        f"scikit-learn defaults see these only) and {rows['n_transfer']:,} "
        f"unlabeled transfer rows (the {students} students see them through "
        "the teacher)."
    )


def _notes(report):
    lines = []
    settings = report["settings"]
    if "linear" in settings["students"] and "linear" in settings["alternatives"]:
        model = (
            "LogisticRegression()" if report["task"] == CLASSIFICATION else "Ridge()"
        )
        lines.append(
            f"- linear from scratch is scikit-learn's {model} on the "
            f"{'one-hot, ' if report['target'] is not None else ''}scaled "
            "columns, fitted on the same labels: it stands for that "
            "alternative, which is not listed twice."
        )
    return lines


def _compression_lines(report):
    metric = report["metric"]
    cell = (lambda v: f"{100 * v:.1f}%") if metric == "accuracy" else "{:.3f}".format
    lines = [
        f"Compression curve (the first seed's rows, one fit each; test "
        f"{METRIC_LABELS[metric]}):",
        "",
        "| hidden units | parameters | from scratch | distilled |",
        "|---:|---:|---:|---:|",
    ]
    for point in report["compression"]:
        lines.append(
            f"| {point['units']} | {point['parameters']:,} "
            f"| {cell(point['scratch'])} | {cell(point['distilled'])} |"
        )
    return ["", *lines]


def _grid_lines(report):
    """The sweep's main score by alpha (rows) and temperature (columns)."""
    metric = report["metric"]
    by_setting = {
        (m["settings"]["alpha"], m["settings"]["temperature"]): m["scores"][metric]
        for m in report["models"].values()
        if m["kind"] == "distilled"
    }
    temperatures = sorted({t for _, t in by_setting})
    header = "| alpha \\ temperature | " + " | ".join(f"{t:g}" for t in temperatures)
    lines = [
        "",
        f"The distilled students' test {METRIC_LABELS[metric]} over the grid:",
        "",
        header + " |",
        "|---|" + "---:|" * len(temperatures),
    ]
    for alpha in sorted({a for a, _ in by_setting}):
        cells = [score_text(metric, by_setting.get((alpha, t))) for t in temperatures]
        lines.append(f"| {alpha:g} | " + " | ".join(cells) + " |")
    best = max(by_setting.items(), key=lambda item: item[1]["mean"])
    (alpha, temperature), stats = best
    lines += [
        "",
        f"Best: {score_text(metric, stats)} at temperature {temperature:g}, "
        f"alpha {alpha:g}; the teacher ran over the training rows "
        f"{report['teacher_passes']} time(s) for {len(by_setting)} distilled "
        "students.",
    ]
    return lines


def _title(report):
    head = f"# skdistill {report['command']}: {report['data']}"
    if report["target"] is not None:
        return f"{head}, target {report['target']} ({report['task']})"
    subtitle = _TITLES[report["scenario"]]
    return head if subtitle is None else f"{head}, {subtitle}"


def _shipped(report):
    students = {
        model["label"]: model
        for model in report["models"].values()
        if model.get("shipped") is not None
    }
    if not students:
        return []
    return ["", *shipped_section(students, report["models"]["teacher"])]


def _applies(name, settings, keras):
    """Whether report.md lists the setting ``name`` for this run."""
    if name in ("epochs", "batch_size", "early_stopping"):
        return keras
    if name == "teacher_epochs":
        return keras and settings["teacher"] in settings["students"]
    if name in ("temperature", "alpha"):
        return "grid" not in settings
    if name == "units":
        return "mlp" in settings["students"]
    return settings[name] not in (None, [], ())


def settings_line(report):
    """report.md's settings: those that apply to the run, lists unbracketed."""
    from ._models import is_keras_student

    settings = report["settings"]
    keras = any(is_keras_student(name) for name in settings["students"])
    shown = []
    for name, value in settings.items():
        if not _applies(name, settings, keras):
            continue
        if isinstance(value, list):
            value = " ".join(
                "/".join(map(str, v)) if isinstance(v, list) else str(v) for v in value
            )
        shown.append(f"{name}={value}")
    return ", ".join(shown)


def markdown(report, plots):
    """``report.md``: the table, the checks, the intervals, the figures."""
    metric = METRIC_LABELS[report["metric"]]
    settings = settings_line(report)
    n_seeds = len(report["settings"]["seeds"])
    spread = (
        "mean ± sd over the seeds on each seed's test rows"
        if n_seeds > 1
        else "on the seed's test rows"
    )
    lines = [
        _title(report),
        "",
        _rows_sentence(report),
        "",
        f"Settings: {settings}.",
        "",
        *models_table(report),
        "",
        *teacher_checks(report["models"], report["metric"], report["scenario"]),
        *_notes(report),
        "",
        f"Scores are {spread}; "
        f"retention is the model's {metric} over the teacher's; size counts "
        "the served model's tree nodes (trees, for gradient boosting) or "
        "parameters, and pickled its bytes; "
        "latency is the median time of predict_proba (predict for regression) "
        "on 1,000 rows, with its 99th percentile. Native threads (OpenMP, "
        "BLAS) are held to one for every fit and timing.",
        *_shipped(report),
    ]
    if report["differences"]:
        lines += [
            "",
            f"Distilled minus the same student trained otherwise, in {metric}"
            f"{' (points)' if report['metric'] == 'accuracy' else ''} (paired "
            f"over {n_seeds} seed{'s' if n_seeds > 1 else ''}, 95% t-intervals):",
            "",
            *differences_table(report),
            "",
            *(f"- {entry['sentence']}" for entry in report["differences"].values()),
        ]
    if report["compression"]:
        lines += _compression_lines(report)
    if report["command"] == "sweep":
        lines += _grid_lines(report)
    lines += ["", f"Wall time: {report['wall_seconds']:.1f} s."]
    if report.get("teacher_file"):
        lines += [
            "",
            f"The trained teacher is saved as `{report['teacher_file']}`: give it "
            "to the next run with --teacher to reuse it.",
        ]
    lines += exported_section(report["settings"].get("export"), report.get("exported"))
    for alt, plot in plots.items():
        lines += ["", f"![{alt}]({plot})"]
    text = "\n".join(lines) + "\n"
    while "\n\n\n" in text:  # a section with nothing to say leaves no gap
        text = text.replace("\n\n\n", "\n\n")
    return text


def announce_replacement(out, console):
    """Say so when ``out`` holds a report that this run will replace."""
    import datetime

    existing = Path(out) / "report.json"
    if existing.exists():
        when = datetime.datetime.fromtimestamp(existing.stat().st_mtime)
        console.log(
            f"note: {out} holds a report of {when:%Y-%m-%d %H:%M}; this run "
            "replaces it (give --out DIR to keep both)"
        )


def write_report(report, out, console):
    """Draw the figures, write report.json and report.md into ``out`` (made
    now: a run that fails leaves no folder), and print report.md."""
    import json

    from ._plots import draw

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    plots = draw(report, out)
    text = markdown(report, plots)
    console.finish()
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (out / "report.md").write_text(text)
    console.log("\n" + text)
    files = [out / name for name in ("report.json", "report.md", *plots.values())]
    if report.get("teacher_file"):
        files.append(report["teacher_file"])
    console.log(f"wrote {', '.join(map(str, files))}")
