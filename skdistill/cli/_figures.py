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
    _label_points(ax, points)
    fig.savefig(path, dpi=110)


#: Label text size (points) and the height one label line takes (points).
_LABEL_SIZE, _LABEL_HEIGHT = 7, 9.5


def _label_offsets(positions, widths, sides):
    """Vertical offsets (points) that keep labels from overlapping.

    ``positions`` are the markers' (x, y) in points, ``widths`` the labels'
    widths in points; a label starts just right of its marker (``sides``
    +1) or ends just left of it (-1). Labels are placed bottom to top, each
    raised above any placed label it would cover.
    """
    order = sorted(range(len(positions)), key=lambda i: positions[i][1])
    placed = []  # (left, right, bottom) of the labels placed so far
    offsets = [0.0] * len(positions)
    for i in order:
        x, y = positions[i]
        if sides[i] > 0:
            left, right = x + 6, x + 6 + widths[i]
        else:
            left, right = x - 6 - widths[i], x - 6
        bottom = y - _LABEL_HEIGHT / 2
        for other_left, other_right, other_bottom in sorted(placed, key=lambda p: p[2]):
            overlaps_x = left < other_right and other_left < right
            overlaps_y = bottom < other_bottom + _LABEL_HEIGHT and other_bottom < (
                bottom + _LABEL_HEIGHT
            )
            if overlaps_x and overlaps_y:
                bottom = other_bottom + _LABEL_HEIGHT
        placed.append((left, right, bottom))
        offsets[i] = bottom + _LABEL_HEIGHT / 2 - y
    return offsets


def _label_points(ax, points):
    """Write each point's label beside its marker, none over another; a label
    moved away from its marker gets a thin line to it."""
    ax.autoscale_view()
    to_points = 72 / ax.figure.dpi
    positions = [
        tuple(
            v * to_points
            for v in ax.transData.transform((point["latency"], point["score"]))
        )
        for point in points
    ]
    # A label's width, from the size of an average character of the font.
    widths = [0.55 * _LABEL_SIZE * len(point["label"]) for point in points]
    # A label that would run past the axes' right edge goes left of its marker.
    right_edge = ax.bbox.x1 * to_points
    sides = [
        -1 if x + 6 + width > right_edge else 1
        for (x, _), width in zip(positions, widths, strict=True)
    ]
    offsets = _label_offsets(positions, widths, sides)
    for point, offset, side in zip(points, offsets, sides, strict=True):
        moved = abs(offset) > 1
        ax.annotate(
            point["label"],
            (point["latency"], point["score"]),
            textcoords="offset points",
            xytext=(6 * side, offset),
            ha="left" if side > 0 else "right",
            va="center",
            fontsize=_LABEL_SIZE,
            arrowprops=dict(arrowstyle="-", lw=0.4, color="0.5") if moved else None,
        )
