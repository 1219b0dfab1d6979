"""The shipped student in the main job's reports: its ONNX graph, measured.

For a distilled student the report gives what a user serves: the bytes of
its ONNX graph (:func:`skdistill.to_onnx`) and its latency in ONNX Runtime
on one thread, beside the estimator's. ``--export DIR`` writes the graph and
``export_student()``'s pickle. A student that cannot be converted is
reported with the reason, never left out.
"""

from pathlib import Path

from ._evaluation import latencies
from ._formats import format_bytes, latency_cell

#: How many of the test rows the graph is built from and checked on.
SAMPLE_ROWS = 1000


def _one_line(error):
    return " ".join(str(error).split())


def onnx_graph(estimator, X):
    """``(graph, None)``, or ``(None, why)`` when it cannot be made."""
    from ..export._onnx import to_onnx

    try:
        return to_onnx(estimator, X[:SAMPLE_ROWS]), None
    except (ImportError, TypeError, ValueError) as error:
        return None, f"{type(error).__name__}: {_one_line(error)}"


def _session(graph):
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(
        graph.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )


def ship(estimator, X, *, repeats, export=None, name=None):
    """The student of ``estimator`` as it ships: its ONNX graph, made once on
    the rows ``X``, measured and, with ``export``, written there as ``name``.

    Returns
    -------
    record : dict
        ``onnx_bytes`` and ``onnx_latency_ms`` (:func:`latencies` of the
        graph in ONNX Runtime on one thread, the feed built before the
        timed calls), or ``error``: why there is no graph.
    files : dict or None
        What :func:`export_files` wrote; None without ``export``.
    """
    graph, error = onnx_graph(estimator, X)
    record = {"error": error} if graph is None else _measured(graph, X, repeats)
    if export is None:
        return record, None
    return record, export_files(estimator, graph, error, export, name)


def _measured(graph, X, repeats):
    from ..export._onnx import onnx_feed

    session = _session(graph)
    outputs = [session.get_outputs()[-1].name]
    return {
        "onnx_bytes": len(graph.SerializeToString()),
        "onnx_latency_ms": latencies(
            lambda feed: session.run(outputs, feed),
            X,
            repeats=repeats,
            prepare=lambda rows: onnx_feed(graph, rows),
        ),
    }


def export_files(estimator, graph, error, directory, name):
    """Write ``graph`` as ``name.onnx`` (or ``error``, why there is none) and
    ``export_student()`` as ``name.joblib`` or ``name.keras`` where it can be
    made; returns the files written and the reasons for those not written,
    by file name."""
    import joblib

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = {}
    path = directory / f"{name}.onnx"
    if graph is None:
        written[path.name] = error
    else:
        path.write_bytes(graph.SerializeToString())
        written[path.name] = None
    try:
        export = estimator.export_student()
    except ValueError as exc:
        written[f"{name}.joblib"] = f"ValueError: {_one_line(exc)}"
        return written
    if hasattr(export, "save"):  # a keras.Model
        path = directory / f"{name}.keras"
        export.save(path)
    else:
        path = directory / f"{name}.joblib"
        joblib.dump(export, path)
    written[path.name] = None
    return written


def loading_lines(files):
    """report.md's lines on how to load what ``--export`` wrote."""
    lines = []
    for name, error in files.items():
        if error is not None:
            lines.append(f"- `{name}`: not written ({error})")
        elif name.endswith(".onnx"):
            lines.append(
                f"- `{name}`: `onnxruntime.InferenceSession('{name}')`; inputs "
                "and outputs as in the user guide's page 'Shipping the student'"
            )
        elif name.endswith(".keras"):
            lines.append(f"- `{name}`: `keras.saving.load_model('{name}')`")
        else:
            lines.append(
                f"- `{name}`: `joblib.load('{name}')`, with scikit-learn alone "
                "(no skdistill, no teacher)"
            )
    return lines


def _served_row(student, served, n_bytes, latency):
    cells = [student, served, "-" if n_bytes is None else format_bytes(n_bytes)]
    if latency is None:
        cells += ["-", "-"]
    else:
        cells += [latency_cell(latency["1"]), latency_cell(latency["1000"])]
    return "| " + " | ".join(cells) + " |"


def shipped_lines(students, teacher, served="the estimator (its student pickled)"):
    """report.md's table of what serving each distilled student costs.

    Parameters
    ----------
    students : dict
        By student name, its summary: ``shipped`` (:func:`pooled_shipped`),
        ``size_bytes`` and ``latency_ms`` of the estimator.
    teacher : dict
        The teacher's ``size_bytes`` and ``latency_ms``.
    served : str
        What the estimator's row says its bytes are.

    Returns
    -------
    lines : list of str
        The Markdown table: per student, its ONNX graph in ONNX Runtime and
        the estimator; then the teacher.
    notes : list of str
        Why a student has no graph, one line each.
    """
    lines = [
        "| student | served as | bytes | ms per row (p99) | ms per 1,000 rows (p99) |",
        "|---|---|---:|---:|---:|",
    ]
    notes = []
    for name, model in students.items():
        shipped = model["shipped"]
        if "error" in shipped:
            lines.append(_served_row(name, "ONNX graph: not converted", None, None))
            notes.append(f"- {name}: no ONNX graph. {shipped['error']}")
        else:
            lines.append(
                _served_row(
                    name,
                    "ONNX graph, ONNX Runtime, 1 thread",
                    shipped["onnx_bytes"],
                    shipped["onnx_latency_ms"],
                )
            )
        lines.append(
            _served_row(
                name,
                served,
                model["size_bytes"],
                model["latency_ms"],
            )
        )
    lines.append(
        _served_row(
            "teacher", "the teacher", teacher["size_bytes"], teacher["latency_ms"]
        )
    )
    return lines, notes


def shipped_section(students, teacher, served="the estimator (its student pickled)"):
    """report.md's paragraph and table on what serving each student costs
    (see :func:`shipped_lines`), with why a student has no graph."""
    table, notes = shipped_lines(students, teacher, served)
    return [
        "What serving each student costs: its ONNX graph "
        "(skdistill.to_onnx) in ONNX Runtime on one thread, the estimator, and "
        "the teacher (median and 99th percentile of the timed calls, native "
        "threads held to one):",
        "",
        *table,
        *([""] + notes if notes else []),
    ]


def exported_section(directory, exported):
    """report.md's lines on what ``--export`` wrote, by student; none without."""
    if not exported:
        return []
    lines = ["", f"Exported to `{directory}`:", ""]
    for name, files in exported.items():
        lines += [f"{name}:", *loading_lines(files)]
    return lines
