"""The default (transfer) scenario's report: report.md's text and its figures."""

from ._figures import figure, plot_score_latency
from ._formats import latency_cell
from ._report import _MODEL_LABELS, _image, _pct, _settings
from ._shipping import exported_section, shipped_section


def _mean_sd(stats):
    return f"{100 * stats['mean']:.1f}% ± {100 * stats['sd']:.1f}"


def _models_lines(report):
    """The table of the scenario's models: trained on, accuracy, size, speed."""
    rows = report["rows"]
    labeled = f"{rows['n_labeled']} labeled rows"
    trained_on = {
        "teacher": f"{rows['n_teacher']} teacher rows with labels",
        "scratch": labeled,
        "distilled": f"{rows['n_labeled']} labeled + {rows['n_transfer']} "
        "transfer rows",
        "svc": labeled,
        "logistic": labeled,
        "baseline": labeled,
    }
    lines = [
        "| model | trained on | test accuracy (mean ± sd) | per seed | parameters "
        "| ms per 1,000 rows (p99) |",
        "|---|---|---:|---|---:|---:|",
    ]
    for name, model in report["models"].items():
        values = ", ".join(f"{100 * v:.1f}" for v in model["accuracy"]["values"])
        params = "-" if model["parameters"] is None else f"{model['parameters']:,}"
        lines.append(
            f"| {_MODEL_LABELS[name]} | {trained_on[name]} "
            f"| {_mean_sd(model['accuracy'])} | {values} | {params} "
            f"| {latency_cell(model['latency_ms']['1000'])} |"
        )
    return lines


def _compression_lines(report):
    """The compression curve's table, with the sentence that introduces it."""
    seed, n_test = report["settings"]["seeds"][0], report["rows"]["n_test"]
    lines = [
        f"Compression curve (seed {seed}'s rows, one fit each; "
        f"one test row is {100 / n_test:.2f} points):",
        "",
        "| hidden units | parameters | from scratch | distilled |",
        "|---:|---:|---:|---:|",
    ]
    for point in report["compression"]:
        lines.append(
            f"| {point['units']} | {point['parameters']:,} "
            f"| {_pct(point['scratch'])} | {_pct(point['distilled'])} |"
        )
    return lines


def transfer_markdown(report, plot="compression.png", latency_plot="latency.png"):
    """The default scenario's report: rows, mean ± sd, interval, compression.

    ``plot`` and ``latency_plot``, paths relative to report.md (None for
    none), are shown at the end.
    """
    rows, settings = report["rows"], report["settings"]
    n_seeds = report["distilled_minus_scratch"]["n"]
    models = report["models"]
    lines = [
        f"# skdistill compare: {report['dataset']}, a strong teacher and few labels",
        "",
        f"{rows['n_train']} training rows, redrawn for each of {n_seeds} seeds "
        f"(stratified): {rows['n_teacher']} teacher rows (the teacher, "
        f"{settings['teacher']}, is fitted on them with their labels); of the "
        f"owner's {rows['n_labeled'] + rows['n_transfer']} rows, "
        f"{rows['n_labeled']} labeled and {rows['n_transfer']} unlabeled transfer "
        f"rows (the distilled student sees them through the teacher only); "
        f"{rows['n_test']} test rows, the same for every seed.",
        "",
        "Settings: " + _settings(report),
        "",
        *_models_lines(report),
        "",
        report["sentence"],
        "",
        *_compression_lines(report),
        "",
        "Latency: the median time of each model's predict on 1,000 test rows "
        "(the median over the seeds), with the largest 99th percentile, native "
        "threads held to one.",
        "",
        *shipped_section({"distilled student": models["distilled"]}, models["teacher"]),
        "",
        f"Wall time: {report['wall_seconds']:.1f} s.",
    ]
    lines += exported_section(settings.get("export"), report.get("exported"))
    lines += _image("Test accuracy against parameters", plot)
    lines += _image("Test accuracy against predict latency", latency_plot)
    return "\n".join(lines) + "\n"


def plot_compression(report, path):
    """Test accuracy against the student's parameters (log x), teacher as a line."""
    points = report["compression"]
    fig, ax = figure(figsize=(7, 4.5))
    x = [p["parameters"] for p in points]
    n_labeled = report["rows"]["n_labeled"]
    ax.plot(
        x,
        [100 * p["scratch"] for p in points],
        "o-",
        color="tab:orange",
        label=f"student from scratch ({n_labeled} labels)",
    )
    ax.plot(
        x,
        [100 * p["distilled"] for p in points],
        "o-",
        color="tab:green",
        label="distilled student (labels + transfer rows)",
    )
    ax.axhline(
        100 * report["models"]["teacher"]["accuracy"]["mean"],
        color="black",
        ls="--",
        label=f"teacher ({report['settings']['teacher']}, mean over seeds)",
    )
    for p in points:
        ax.annotate(
            f"{p['units']} units",
            (p["parameters"], 100 * p["scratch"]),
            textcoords="offset points",
            xytext=(0, -13),
            ha="center",
            fontsize=7,
        )
    ax.set_xscale("log")
    ax.margins(y=0.08)
    ax.set(
        xlabel="student parameters (log scale)",
        ylabel="test accuracy (%)",
        title=f"Compression curve ({report['dataset']})",
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


#: How the latency figure groups the transfer scenario's models.
_LATENCY_GROUPS = {
    "teacher": "teacher",
    "scratch": "scratch",
    "distilled": "distilled",
    "svc": "alternative",
    "logistic": "alternative",
    "baseline": "alternative",
}


def plot_transfer_latency(report, path):
    """Test accuracy against predict latency (log x), one marker per model."""
    points = [
        {
            "group": _LATENCY_GROUPS[name],
            "label": _MODEL_LABELS[name],
            "latency": model["latency_ms_per_1000"],
            "score": 100 * model["accuracy"]["mean"],
            "sd": 100 * model["accuracy"]["sd"],
        }
        for name, model in report["models"].items()
    ]
    plot_score_latency(
        points,
        path,
        ylabel="test accuracy (%, mean ± sd over seeds)",
        title=f"Accuracy against predict latency ({report['dataset']})",
    )
