"""The report's figures: score against latency, the compression curve, the
learning curves and the sweep, each drawn from ``report.json``'s content."""

from .._figures import figure, plot_score_latency
from ._measure import METRIC_LABELS


def _scaled(report):
    """The main score's scale and unit on an axis: accuracy in %."""
    if report["metric"] == "accuracy":
        return 100, " (%)"
    return 1, ""


def plot_latency(report, path):
    """The main score against predict latency, one marker per model."""
    metric = report["metric"]
    scale, unit = _scaled(report)
    points = []
    for key, model in report["models"].items():
        stats = model["scores"][metric]
        if stats is None:
            continue
        kind = model["kind"]
        # A student's marker shows how it was trained; its name says which.
        label = key.split(":")[0] if ":" in key and kind != "alternative" else None
        label = label or model["label"]
        points.append(
            {
                "group": kind,
                "label": label.split(" (")[0],
                "latency": model["latency_ms_per_1000"],
                "score": scale * stats["mean"],
                "sd": scale * stats["sd"],
            }
        )
    plot_score_latency(
        points,
        path,
        ylabel=f"test {METRIC_LABELS[metric]}{unit}, mean ± sd over seeds",
        title=f"{METRIC_LABELS[metric]} against predict latency: {report['data']}",
    )


def plot_compression(report, path):
    """The main score against the student's parameters (log x), with the
    teacher's as a line."""
    points = report["compression"]
    scale, unit = _scaled(report)
    fig, ax = figure(figsize=(7, 4.5))
    x = [p["parameters"] for p in points]
    n_labeled = report["rows"]["n_labeled"]
    for way, colour, label in (
        ("scratch", "tab:orange", f"student from scratch ({n_labeled} labels)"),
        ("distilled", "tab:green", "distilled student (labels + transfer rows)"),
    ):
        ax.plot(x, [scale * p[way] for p in points], "o-", color=colour, label=label)
    teacher = report["models"]["teacher"]["scores"][report["metric"]]
    ax.axhline(
        scale * teacher["mean"],
        color="black",
        ls="--",
        label=f"teacher ({report['settings']['teacher']}, mean over seeds)",
    )
    for p in points:
        ax.annotate(
            f"{p['units']} units",
            (p["parameters"], scale * p["scratch"]),
            textcoords="offset points",
            xytext=(0, -13),
            ha="center",
            fontsize=7,
        )
    ax.set_xscale("log")
    ax.margins(y=0.08)
    ax.set(
        xlabel="student parameters (log scale)",
        ylabel=f"test {METRIC_LABELS[report['metric']]}{unit}",
        title=f"Compression curve ({report['data']})",
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


_COLOURS = {"teacher": "tab:blue", "scratch": "tab:orange", "distilled": "tab:green"}


def plot_learning_curves(report, path):
    """Held-out accuracy and cross-entropy per epoch, one line per model.

    Both panels use quantities that mean the same for every model (accuracy
    and cross-entropy with the true labels on the held-out rows), unlike
    the training loss, which for the distilled student includes the soft
    term.
    """
    fig, (left, right) = figure(ncols=2, figsize=(11, 4.2))
    for key, history in report["histories"].items():
        model = report["models"][key]
        colour = _COLOURS.get(model["kind"], "tab:gray")
        epochs = range(1, len(history["val_accuracy"]) + 1)
        label = model["label"]
        left.plot(epochs, history["val_accuracy"], "o-", color=colour, label=label)
        left.plot(
            epochs,
            history["accuracy"],
            ":",
            color=colour,
            label=f"{label} (training rows)",
        )
        right.plot(epochs, history["val_hard_loss"], "o-", color=colour, label=label)
    left.set(xlabel="epoch", ylabel="accuracy", title="Accuracy (solid: held out)")
    right.set(
        xlabel="epoch",
        ylabel="cross-entropy with true labels",
        title="Held-out cross-entropy (lower is better)",
    )
    for ax in (left, right):
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
    settings = report["settings"]
    fig.suptitle(
        f"Learning curves on {report['data']} (distilled: "
        f"T={settings['temperature']:g}, alpha={settings['alpha']:g})"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def plot_sweep(report, path):
    """The main score against temperature, one line per alpha, with the
    teacher and the student from scratch as lines."""
    metric = report["metric"]
    scale, unit = _scaled(report)
    models = report["models"].values()
    distilled = [m for m in models if m["kind"] == "distilled"]
    fig, ax = figure(figsize=(7, 4.5))
    for alpha in sorted({m["settings"]["alpha"] for m in distilled}):
        points = sorted(
            (m["settings"]["temperature"], m["scores"][metric]["mean"])
            for m in distilled
            if m["settings"]["alpha"] == alpha
        )
        ax.plot(
            [p[0] for p in points],
            [scale * p[1] for p in points],
            "o-",
            label=f"distilled, alpha={alpha:g}",
        )
    for model in models:
        if model["kind"] in ("teacher", "scratch"):
            ax.axhline(
                scale * model["scores"][metric]["mean"],
                color="black" if model["kind"] == "teacher" else "tab:red",
                ls="--" if model["kind"] == "teacher" else ":",
                label=model["label"],
            )
    temperatures = sorted({m["settings"]["temperature"] for m in distilled})
    ax.set_xscale("log", base=2)
    ax.set_xticks(temperatures, [f"{t:g}" for t in temperatures])
    ax.minorticks_off()
    ax.set(
        xlabel="temperature T (log scale)",
        ylabel=f"test {METRIC_LABELS[metric]}{unit}",
        title=f"Distilled student by temperature ({report['data']})",
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def draw(report, out):
    """Draw the run's figures into ``out``; their alt texts and file names."""
    metric = METRIC_LABELS[report["metric"]]
    plots = {f"{metric} against predict latency": "latency.png"}
    plot_latency(report, out / "latency.png")
    if report["compression"]:
        plots[f"{metric} against parameters"] = "compression.png"
        plot_compression(report, out / "compression.png")
    if report["histories"]:
        plots["Learning curves"] = "learning_curves.png"
        plot_learning_curves(report, out / "learning_curves.png")
    if report["command"] == "sweep":
        plots[f"{metric} by temperature"] = "sweep.png"
        plot_sweep(report, out / "sweep.png")
    return plots
