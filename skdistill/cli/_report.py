"""Reports of the main job: report.json, report.md and PNG plots."""

import json
from pathlib import Path

from ._figures import figure
from ._formats import format_bytes, latency_cell
from ._shipping import shipped_section

_MODEL_LABELS = {
    "teacher": "teacher",
    "scratch": "student from scratch",
    "distilled": "distilled student",
    "svc": "SVC() on the labels",
    "logistic": "scaled LogisticRegression() on the labels",
    "baseline": "baseline: the most frequent label (DummyClassifier)",
}


def _pct(value):
    return "-" if value is None else f"{100 * value:.2f}%"


def _seconds(value):
    return "loaded" if value is None else f"{value:.1f} s"


def _rows(report):
    """The sentence that says which rows trained, validated and tested the models."""
    if report.get("n_validation") is None:
        return f"{report['n_train']} training rows, {report['n_test']} test rows."
    return (
        f"{report['n_train']} training rows: {report['n_fit']} trained on and "
        f"{report['n_validation']} held out for validation (the same rows for "
        f"every model); {report['n_test']} test rows."
    )


def _settings(report):
    return ", ".join(f"{k}={v}" for k, v in report["settings"].items()) + "."


def _image(alt, plot):
    """A Markdown image of ``plot``, a file beside report.md, or nothing."""
    return [] if plot is None else ["", f"![{alt}]({plot})"]


def compare_summary(models):
    """Compression, speed-up and the notes a reader needs, from the rows.

    Parameters
    ----------
    models : dict
        Rows by name (teacher, scratch, distilled) as returned by
        ``run_compare``.

    Returns
    -------
    summary : dict
        ``compression`` (teacher parameters / student parameters),
        ``speedup`` (teacher latency / distilled student latency),
        ``distillation_gain`` (distilled accuracy - scratch accuracy) and
        ``notes``, a list of sentences.
    """
    teacher, scratch, distilled = (
        models[k] for k in ("teacher", "scratch", "distilled")
    )
    summary = {
        "compression": teacher["parameters"] / distilled["parameters"],
        "speedup": teacher["latency_ms_per_1000"] / distilled["latency_ms_per_1000"],
        "distillation_gain": distilled["accuracy"] - scratch["accuracy"],
        "notes": [],
    }
    notes = summary["notes"]
    if teacher["accuracy"] <= scratch["accuracy"]:
        notes.append(
            f"The teacher ({_pct(teacher['accuracy'])}) does not beat the student "
            f"trained from scratch ({_pct(scratch['accuracy'])}): this run cannot "
            "show what distillation adds, since the student has nothing better to "
            "imitate. Use a stronger teacher (--models strong-cnn or mlp, or "
            "more --teacher-epochs)."
        )
    if distilled["accuracy"] > scratch["accuracy"]:
        notes.append(
            f"Distillation gained {100 * summary['distillation_gain']:.2f} points "
            "over the same student trained from scratch."
        )
    else:
        notes.append(
            "The distilled student did not beat the student trained from scratch "
            f"({_pct(distilled['accuracy'])} vs {_pct(scratch['accuracy'])})."
        )
    return summary


def compare_markdown(report, plot="learning_curves.png"):
    """The comparison as a Markdown document (the table of ``report.md``).

    ``plot``, a path relative to report.md (None for none), is shown below
    the table.
    """
    models = report["models"]
    lines = [
        f"# skdistill compare: {report['dataset']}",
        "",
        _rows(report),
        "",
        "Settings: " + _settings(report),
        "",
        "| model | test accuracy | test log-loss | agreement with teacher "
        "| parameters | size on disk | ms per 1,000 rows (p99) | training time |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in models.items():
        lines.append(
            f"| {_MODEL_LABELS[name]} | {_pct(row['accuracy'])} "
            f"| {row['log_loss']:.4f} "
            f"| {_pct(row['agreement'])} | {row['parameters']:,} "
            f"| {format_bytes(row['size_bytes'])} "
            f"| {latency_cell(row['latency_ms']['1000'])} "
            f"| {_seconds(row['train_seconds'])} |"
        )
    summary = report["summary"]
    lines += [
        "",
        f"Student vs teacher: {summary['compression']:.1f}x fewer parameters, "
        f"{summary['speedup']:.1f}x faster prediction.",
        "",
    ]
    lines += [f"- {note}" for note in summary["notes"]]
    students = {
        _MODEL_LABELS[name]: row for name, row in models.items() if "shipped" in row
    }
    if students:
        lines += [
            "",
            *shipped_section(
                students, models["teacher"], served="the estimator (its .keras file)"
            ),
        ]
    lines += _image("Learning curves", plot)
    return "\n".join(lines) + "\n"


def sweep_markdown(report, plot="sweep.png"):
    """The sweep as a Markdown document: test accuracy by alpha and temperature.

    ``plot``, a path relative to report.md (None for none), is shown at the
    end.
    """
    grid = report["grid"]
    temperatures = sorted(
        {g["temperature"] for g in grid if g["temperature"] is not None}
    )
    alphas = sorted({g["alpha"] for g in grid if g["alpha"] != 1.0})
    by_key = {(g["temperature"], g["alpha"]): g for g in grid}
    lines = [
        f"# skdistill sweep: {report['dataset']}",
        "",
        _rows(report),
        "",
        "Settings: " + _settings(report),
        "",
        f"Teacher test accuracy: {_pct(report['teacher_accuracy'])}. The teacher ran "
        f"over the training rows {report['teacher_passes']} time(s) for "
        f"{len(grid)} students.",
        "",
        f"Test accuracy of the distilled student (one test row is "
        f"{100 / report['n_test']:.2f} points):",
        "",
        "| alpha \\ temperature | " + " | ".join(f"{t:g}" for t in temperatures) + " |",
        "|---|" + "---:|" * len(temperatures),
    ]
    for alpha in alphas:
        cells = [_pct(by_key[(t, alpha)]["accuracy"]) for t in temperatures]
        lines.append(f"| {alpha:g} | " + " | ".join(cells) + " |")
    scratch = by_key.get((None, 1.0))
    if scratch is not None:
        lines += ["", f"Student from scratch (alpha=1): {_pct(scratch['accuracy'])}."]
    best = max((g for g in grid if g["alpha"] != 1.0), key=lambda g: g["accuracy"])
    lines.append(
        f"Best distilled: {_pct(best['accuracy'])} at temperature "
        f"{best['temperature']:g}, alpha {best['alpha']:g}."
    )
    lines += _image("Test accuracy by temperature", plot)
    return "\n".join(lines) + "\n"


def plot_learning_curves(histories, path, title):
    """Validation accuracy and validation cross-entropy per epoch, one line per model.

    Both panels use quantities that mean the same for every model (accuracy
    and cross-entropy with the true labels on the held-out 10%), unlike the
    training loss, which for the distilled student includes the soft term.
    """
    fig, (left, right) = figure(ncols=2, figsize=(11, 4.2))
    colours = {"teacher": "tab:blue", "scratch": "tab:orange", "distilled": "tab:green"}
    for name, history in histories.items():
        epochs = range(1, len(history["val_accuracy"]) + 1)
        label = _MODEL_LABELS[name]
        left.plot(
            epochs, history["val_accuracy"], "o-", color=colours[name], label=label
        )
        left.plot(
            epochs,
            history["accuracy"],
            ":",
            color=colours[name],
            label=f"{label} (training rows)",
        )
        right.plot(
            epochs, history["val_hard_loss"], "o-", color=colours[name], label=label
        )
    left.set(xlabel="epoch", ylabel="accuracy", title="Accuracy (solid: held-out 10%)")
    right.set(
        xlabel="epoch",
        ylabel="cross-entropy with true labels",
        title="Held-out cross-entropy (lower is better)",
    )
    left.legend(fontsize=8)
    right.legend(fontsize=8)
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def plot_sweep(report, path):
    """Test accuracy against temperature, one line per alpha, with references."""
    grid = report["grid"]
    fig, ax = figure(figsize=(7, 4.5))
    for alpha in sorted({g["alpha"] for g in grid if g["alpha"] != 1.0}):
        points = sorted(
            (g["temperature"], g["accuracy"]) for g in grid if g["alpha"] == alpha
        )
        ax.plot(
            [p[0] for p in points],
            [100 * p[1] for p in points],
            "o-",
            label=f"distilled, alpha={alpha:g}",
        )
    ax.axhline(
        100 * report["teacher_accuracy"], color="black", ls="--", label="teacher"
    )
    scratch = [g for g in grid if g["alpha"] == 1.0]
    if scratch:
        ax.axhline(
            100 * scratch[0]["accuracy"],
            color="tab:red",
            ls=":",
            label="student from scratch (alpha=1)",
        )
    ax.set_xscale("log", base=2)
    temperatures = sorted(
        {g["temperature"] for g in grid if g["temperature"] is not None}
    )
    ax.set_xticks(temperatures, [f"{t:g}" for t in temperatures])
    ax.minorticks_off()
    ax.set(
        xlabel="temperature T (log scale)",
        ylabel="test accuracy (%)",
        title=f"Distilled student's test accuracy by temperature ({report['dataset']})",
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def write_json(report, path):
    """Write ``report`` as indented JSON."""
    Path(path).write_text(json.dumps(report, indent=2) + "\n")


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


def write_reports(report, markdown, out, plots, console):
    """Write report.json and report.md beside the ``plots``, print the table.

    Returns
    -------
    status : int
        0, the command's exit status.
    """
    console.finish()
    write_json(report, out / "report.json")
    (out / "report.md").write_text(markdown)
    console.log("\n" + markdown)
    files = (out / name for name in ("report.json", "report.md", *plots))
    console.log(f"wrote {', '.join(map(str, files))}")
    return 0


def interval_sentence(difference):
    """The sentence that the interval of distilled − scratch supports.

    Parameters
    ----------
    difference : dict
        ``mean``, ``ci95`` (low, high) and ``n``, accuracy as a fraction, as
        :func:`skdistill._few_labels.paired_interval` returns.
    """
    mean = 100 * difference["mean"]
    low, high = (100 * v for v in difference["ci95"])
    half = (high - low) / 2
    interval = f"(95% interval [{low:.1f}, {high:.1f}], {difference['n']} seeds)"
    if low > 0:
        return (
            f"Distillation gained {mean:.1f} ± {half:.1f} points of test "
            f"accuracy over the same student trained from scratch {interval}."
        )
    if high < 0:
        return (
            f"Distillation lost {-mean:.1f} ± {half:.1f} points of test "
            f"accuracy against the same student trained from scratch {interval}."
        )
    return (
        "No difference detectable at this size between the distilled student "
        f"and the student trained from scratch: {mean:+.1f} points {interval}."
    )
