"""The reports' figures, drawn outside pyplot."""

#: How each group of models is drawn in :func:`plot_score_latency`.
_STYLES = {
    "teacher": dict(marker="*", color="black", markersize=14),
    "alternative": dict(marker="s", color="tab:gray", markersize=7),
    "scratch": dict(marker="o", color="tab:orange", markersize=7),
    "pseudo": dict(marker="^", color="tab:purple", markersize=7),
    "distilled": dict(marker="D", color="tab:green", markersize=7),
}
_GROUP_LABELS = {
    "teacher": "teacher",
    "alternative": "scikit-learn default, same labels",
    "scratch": "student from scratch",
    "pseudo": "student on pseudo-labels",
    "distilled": "distilled student",
}


def figure(*, ncols=1, figsize):
    """A figure and its axes, outside pyplot.

    A ``matplotlib.figure.Figure`` made directly draws to files with the
    backend of the format asked for, so the report never switches, or needs,
    the caller's plotting backend (a notebook's stays as it is).
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    return fig, fig.subplots(1, ncols)


def plot_score_latency(points, path, *, ylabel, title):
    """A score against predict latency per 1,000 rows (log x), one marker per model.

    Parameters
    ----------
    points : list of dict
        ``group`` (a key of the styles: teacher, alternative, scratch,
        pseudo, distilled), ``label`` (written beside the marker),
        ``latency`` (ms), ``score`` and ``sd`` (its spread over seeds).
    path : path-like
    ylabel, title : str
    """
    fig, ax = figure(figsize=(8, 5.2))
    shown = set()
    for point in points:
        group = point["group"]
        ax.errorbar(
            point["latency"],
            point["score"],
            yerr=point.get("sd") or None,
            linestyle="none",
            capsize=2,
            label=None if group in shown else _GROUP_LABELS[group],
            **_STYLES[group],
        )
        shown.add(group)
        ax.annotate(
            point["label"],
            (point["latency"], point["score"]),
            textcoords="offset points",
            xytext=(6, 4),
            fontsize=7,
        )
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    ax.set_xscale("log")
    # Plain numbers at 1, 2 and 5 times each power of ten, not 2×10^0.
    ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.margins(x=0.15, y=0.1)
    ax.set(
        xlabel="predict latency per 1,000 rows, ms (log scale; left is faster)",
        ylabel=ylabel,
        title=title,
    )
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
