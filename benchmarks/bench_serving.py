"""Shipping a distilled student: bytes, predict latency and agreement of exports.

Each student is distilled by ``DistilledClassifier`` from a fitted teacher
(``alpha=0.1``, the transfer rows as ``X_unlabeled``) and served four ways:
the teacher alone; the estimator (teacher inside); its export,
``est.export_student()``, by ``predict_proba`` (scikit-learn) or called as
``model(x, training=False)`` on a float32 array (Keras; the output's
conversion to NumPy timed too); and the graph ``skdistill.to_onnx(est,
X_sample)`` in onnxruntime on one thread (``intra_op_num_threads=1``,
``inter_op_num_threads=1``), asked for ``"probabilities"``. Inputs are made
before the timed calls (for a frame, one array per column, as the spec says).

Per fit: the bytes of the estimator pickled, of the export pickled, of the
export by ``skops.io.dumps`` (scikit-learn exports; the types
``skops.io.get_untrusted_types`` names), of the graph
(``SerializeToString``) and of the bare student (``est.student_`` pickled,
and with ``est.preprocessor_``); predict latency, median and 99th percentile
(ms) of repeated calls after an untimed one, on 1 row and 1,000 rows (test rows
tiled), native pools on one thread (``threadpoolctl``; TensorFlow's set at
start-up); agreement with the estimator on the test rows (share of equal
labels, largest absolute probability difference). Then the ratios ONNX /
estimator 1-row latency (target <= 0.1 for the depth-8 tree and the
network), export / bare bytes (target <= 1.1) and estimator / export bytes.

Data: scikit-learn's digits (arrays) and Lending Club loans
(``lending_club.csv.gz``, target ``Class``, a frame with string columns),
split, stratified, into teacher rows (the distillation's labeled rows too),
transfer rows and test rows. Teachers: ``RandomForestClassifier(300 trees)``
and ``HistGradientBoostingClassifier(max_iter=300)``. Students: trees of
depth 4 and 8, ``HistGradientBoostingClassifier(max_iter=30, max_depth=3)``,
``LogisticRegression`` behind a scaling ``preprocessor=``, and
``MLPStudent(hidden_units=(32,))`` (``standardize=True`` on digits). On the
table a ColumnTransformer (one-hot strings, scaled numbers) leads teachers
and tree students in a Pipeline (no native categories) and is the others'
``preprocessor=``: the network's ``export_student`` refuses, the graph ships.

Run::

    python benchmarks/bench_serving.py --json bench_serving.json

``--quick`` (both data sets, the forest, the depth-4 tree and the network at
10 epochs, fewer calls; what CI runs) takes
well under a minute. Latencies are the main job's timer (one untimed call,
then the timed ones). The
table is read from ``--data-dir`` (default ``$SKDISTILL_DATA``, else
``$SKDISTILL_DATA_DIR``, else ``../shared/data`` beside the checkout).
"""

import pickle
import sys
import time
import warnings
from functools import partial
from pathlib import Path

import numpy as np
from _data import make_encoder
from _harness import log_err as log
from _harness import (
    make_parser,
    make_student,
    make_teacher,
    markdown,
    parse,
    write_json,
)

CHOICES = {
    "datasets": ("digits", "lending"),
    "teachers": ("rf", "hgb"),
    "students": ("tree4", "tree8", "hgb30", "logreg", "mlp"),
}
SERVERS = ("estimator", "export", "onnx")
LENDING = {"file": "lending_club.csv.gz", "target": "Class"}
# Shares of the rows: teacher (and labeled) rows, transfer rows; the rest test.
SHARES = {"digits": (0.5, 0.25), "lending": (0.4, 0.35)}


def _take(X, index):
    """Rows of an array or of a frame (renumbered)."""
    return X.iloc[index].reset_index(drop=True) if hasattr(X, "iloc") else X[index]


def load_data(name, data_dir, seed):
    """Teacher (and labeled) rows, transfer rows and test rows, stratified."""
    from sklearn.model_selection import train_test_split

    if name == "digits":
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
    else:
        import pandas as pd

        X = pd.read_csv(Path(data_dir) / LENDING["file"])
        y = X.pop(LENDING["target"]).to_numpy()
    split = partial(train_test_split, random_state=seed)
    a, b = SHARES[name]
    rest, test = split(np.arange(len(y)), test_size=1 - a - b, stratify=y)
    train, transfer = split(rest, train_size=a / (a + b), stratify=y[rest])
    return {
        "train": (_take(X, train), y[train]),
        "transfer": _take(X, transfer),
        "test": (_take(X, test), y[test]),
    }


def make_served_teacher(name, X, seed):
    """The unfitted teacher; on a frame, behind the one-hot encoder."""
    from sklearn.pipeline import make_pipeline

    model = make_teacher(name, seed, **({"n_jobs": 1} if name == "rf" else {}))
    return model if isinstance(X, np.ndarray) else make_pipeline(make_encoder(X), model)


def make_distiller(name, teacher, X, config):
    """An unfitted DistilledClassifier of the named student."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skdistill import DistilledClassifier, MLPStudent

    seed = config["seed"]
    encoder = None if isinstance(X, np.ndarray) else make_encoder(X)
    params = {"temperature": config["temperature"], "preprocessor": encoder}
    if name == "logreg":
        params["student"] = make_student("logreg", seed)
        params["preprocessor"] = StandardScaler() if encoder is None else encoder
    elif name == "mlp":
        student = MLPStudent(hidden_units=(32,), standardize=encoder is None)
        params.update(student=student, temperature=4.0, epochs=config["epochs"])
    else:
        depth = {"max_depth": 3} if name.startswith("hgb") else {}
        student = make_student(name, seed, **depth)
        # A one-hot Pipeline: to_onnx refuses native categorical features.
        pipe = student if encoder is None else make_pipeline(encoder, student)
        params.update(student=pipe, preprocessor=None)
    return DistilledClassifier(teacher=teacher, alpha=0.1, random_state=seed, **params)


def _onnx_feed(X):
    """The graph's inputs: ``"X"`` for an array, one [N, 1] input per column."""
    if isinstance(X, np.ndarray):
        return {"X": X}
    # Numbers (float, integer, boolean) as float32, anything else as str objects,
    # as skdistill.to_onnx types a frame's columns.
    return {
        c: X[[c]].to_numpy(np.float32 if X[c].dtype.kind in "fiub" else object)
        for c in X
    }


def _as_given(X):
    return X


def make_servers(est, export, session):
    """name -> (prepare(X) -> inputs, proba(inputs), labels(inputs))."""
    servers = {"estimator": (_as_given, est.predict_proba, est.predict)}
    if export is not None and hasattr(export, "predict_proba"):
        servers["export"] = (_as_given, export.predict_proba, export.predict)
    elif export is not None:  # a Keras model: probabilities in classes_ order

        def keras_proba(x):
            return np.asarray(export(x, training=False))

        servers["export"] = (
            lambda X: np.asarray(X, dtype=np.float32),
            keras_proba,
            lambda x: est.classes_[keras_proba(x).argmax(axis=1)],
        )
    if session is not None:
        servers["onnx"] = (
            _onnx_feed,
            lambda feed: session.run(["probabilities"], feed)[0],
            lambda feed: session.run(["label"], feed)[0],
        )
    return servers


def time_server(prepare, proba, X_test, config):
    """Latency on the first test row and on 1,000 rows (the test rows tiled).

    The main job's timer; the inputs are made before it runs, so the timed
    call is ``proba`` on them alone.
    """
    from skdistill.cli._evaluation import latency

    out = {}
    for n_rows, repeats in ((1, config["repeats"]), (1000, config["repeats_1000"])):
        inputs = prepare(_take(X_test, np.resize(np.arange(len(X_test)), n_rows)))
        found = latency(
            lambda _, x=inputs: proba(x), X_test, n_rows=n_rows, repeats=repeats
        )
        out[str(n_rows)] = {"median": found["median"], "p99": found["p99"]}
    return out


def _attempt(record, key, make):
    """``make()``, or None with the error kept under ``record["errors"][key]``."""
    try:
        return make()
    except Exception as exc:  # noqa: BLE001 - a refusal is a figure too
        record["errors"][key] = f"{type(exc).__name__}: {exc}"
        return None


def exports(est, X_sample, record):
    """The export, its ONNX session, and their bytes recorded in ``record``."""
    import onnxruntime as ort

    import skdistill

    sizes = record["bytes"]
    sizes["estimator"] = len(pickle.dumps(est))
    sizes["bare"] = len(pickle.dumps(est.student_))
    if est.preprocessor_ is not None:
        pair = (est.preprocessor_, est.student_)
        sizes["bare_with_preprocessor"] = len(pickle.dumps(pair))
    export = _attempt(record, "export", est.export_student)
    sizes["export"] = None if export is None else len(pickle.dumps(export))
    if export is not None and not hasattr(export, "count_params"):
        import skops.io as sio

        blob = _attempt(record, "skops", lambda: sio.dumps(export))
        if blob is not None:
            sizes["skops"] = len(blob)
            record["skops_untrusted"] = sio.get_untrusted_types(data=blob)
    graph = _attempt(record, "onnx", lambda: skdistill.to_onnx(est, X_sample))
    session = None
    if graph is not None:
        serialized = graph.SerializeToString()
        sizes["onnx"] = len(serialized)
        options = ort.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        cpu = ["CPUExecutionProvider"]
        session = ort.InferenceSession(serialized, options, providers=cpu)
    return export, session


def measure(name, est, data, config):
    """Fit one student, then its bytes, latencies and agreement."""
    (X, y), (X_test, _) = data["train"], data["test"]
    record = {"student": name, "bytes": {}, "errors": {}, "latency_ms": {}}
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X, y, X_unlabeled=data["transfer"])
    record["fit_seconds"] = time.perf_counter() - start
    record["warnings"] = sorted({str(w.message)[:200] for w in caught})
    export, session = exports(est, X[: config["n_sample"]], record)
    servers = make_servers(est, export, session)
    reference = est.predict_proba(X_test), est.predict(X_test)
    record["agreement"] = {}
    for server, (prepare, proba, labels) in servers.items():
        record["latency_ms"][server] = time_server(prepare, proba, X_test, config)
        if server != "estimator":
            inputs = prepare(X_test)
            record["agreement"][server] = {
                "labels": float(np.mean(labels(inputs) == reference[1])),
                "max_proba_diff": float(np.max(np.abs(proba(inputs) - reference[0]))),
            }
    record["ratios"] = ratios(record)
    return record


def run_pair(dataset, teacher_name, data, config):
    """Fit the teacher, time it, then every student; the records of the pair."""
    X, y = data["train"]
    teacher = make_served_teacher(teacher_name, X, config["seed"])
    start = time.perf_counter()
    teacher.fit(X, y)
    X_test, y_test = data["test"]
    head = {"dataset": dataset, "teacher": teacher_name}
    head["teacher_fit_seconds"] = fit_seconds = time.perf_counter() - start
    head["teacher_accuracy"] = accuracy = float(teacher.score(X_test, y_test))
    head["teacher_bytes"] = len(pickle.dumps(teacher))
    head["teacher_latency_ms"] = time_server(
        _as_given, teacher.predict_proba, X_test, config
    )
    log(f"[{dataset} {teacher_name}] teacher: fit {fit_seconds:.1f} s, {accuracy:.4f}")
    records = []
    for name in config["students"]:
        est = make_distiller(name, teacher, X, config)
        record = measure(name, est, data, config)
        records.append({"dataset": dataset, "teacher": teacher_name, **record})
        log(f"[{dataset} {teacher_name}] {name}: fit {record['fit_seconds']:.1f} s")
    return head, records


HEADERS = {
    "sizes": "student | fit s | estimator KB | bare KB | export KB | skops KB "
    "| ONNX KB | skops untrusted types",
    "latency": "student | estimator 1 row | export 1 row | ONNX 1 row "
    "| estimator 1,000 | export 1,000 | ONNX 1,000",
    "agreement": "student | export same label | export max abs dp "
    "| ONNX same label | ONNX max abs dp",
    "ratios": "dataset | teacher | student | ONNX / estimator 1 row "
    "| export / bare bytes | export / bare+prep bytes | estimator / export bytes",
}


def table(kind, rows):
    """A markdown table of one kind; columns of numbers right-aligned."""
    return markdown(HEADERS[kind].split(" | "), rows)


def _kb(record, key):
    value = record["bytes"].get(key)
    return "-" if value is None else f"{value / 1024:,.1f}"


def _ms(entry):
    return "-" if entry is None else f"{entry['median']:.3f} / {entry['p99']:.3f}"


def ratios(record):
    """ONNX/estimator 1-row latency, export/bare bytes, estimator/export bytes."""
    lat, size = record["latency_ms"], record["bytes"]
    onnx, export = lat.get("onnx", {}).get("1", {}).get("median"), size.get("export")
    pairs = {
        "onnx_over_estimator_1_row": (onnx, lat["estimator"]["1"]["median"]),
        "export_over_bare_bytes": (export, size["bare"]),
        "export_over_bare_with_preprocessor_bytes": (
            export,
            size.get("bare_with_preprocessor", size["bare"]),
        ),
        "estimator_over_export_bytes": (size["estimator"], export),
    }
    return {k: None if None in (a, b) else a / b for k, (a, b) in pairs.items()}


def table_rows(r):
    """One fit's rows of the sizes, latency and agreement tables."""
    untrusted = [u.rsplit(".", 1)[-1] for u in r.get("skops_untrusted", [])]
    kinds = ("estimator", "bare", "export", "skops", "onnx")
    sizes = [r["student"], f"{r['fit_seconds']:.1f}", *(_kb(r, k) for k in kinds)]
    lat = r["latency_ms"]
    latency = [_ms(lat.get(s, {}).get(n)) for n in ("1", "1000") for s in SERVERS]
    agreement = [r["student"]]
    for a in (r["agreement"].get("export"), r["agreement"].get("onnx")):
        agreement += ["-", "-"] if a is None else [f"{a['labels']:.4f}"]
        agreement += [] if a is None else [f"{a['max_proba_diff']:.2e}"]
    return {
        "sizes": [*sizes, ", ".join(untrusted) or "-"],
        "latency": [r["student"], *latency],
        "agreement": agreement,
    }


def block_tables(head, records):
    """The three markdown tables of one (dataset, teacher) pair."""
    t = head["teacher_latency_ms"]
    rows = [table_rows(r) for r in records]
    tables = {kind: table(kind, [r[kind] for r in rows]) for kind in rows[0]}
    return (
        f"\n### {head['dataset']}, teacher {head['teacher']}: test accuracy "
        f"{head['teacher_accuracy']:.4f}, {head['teacher_bytes'] / 1024:,.0f} KB "
        f"pickled, predict_proba 1 row {_ms(t['1'])} ms, 1,000 rows "
        f"{_ms(t['1000'])} ms (median / p99)\n\n{tables['sizes']}\n\n"
        "Latency, ms, median / p99 (export: predict_proba, or a Keras model "
        f"called as model(x, training=False)):\n\n{tables['latency']}\n\n"
        f"Agreement with the estimator on the test rows:\n\n{tables['agreement']}"
    )


def _against(value, target, applies=True):
    if value is None or not applies:
        return "-" if value is None else f"{value:.3f}"
    return f"{value:.3f} ({'met' if value <= target else 'missed'})"


def ratios_table(records):
    """Every fit's ratios, against their targets."""
    rows = []
    for r in records:
        q = r["ratios"]
        gain = q["estimator_over_export_bytes"]
        speed = q["onnx_over_estimator_1_row"]
        rows.append(
            [r["dataset"], r["teacher"], r["student"]]
            + [_against(speed, 0.1, r["student"] in ("tree8", "mlp"))]
            + [_against(q["export_over_bare_bytes"], 1.1)]
            + [_against(q["export_over_bare_with_preprocessor_bytes"], 1.1)]
            + ["-" if gain is None else f"{gain:,.0f}x"]
        )
    return (
        "\n### Ratios (targets: ONNX/estimator 1 row <= 0.1 for tree8 and mlp; "
        "export/bare bytes <= 1.1; bare+prep: the student pickled with the "
        "estimator's fitted preprocessor_, where it has one)\n\n"
        + table("ratios", rows)
    )


def notes(records):
    """Refusals, errors and warnings of the fits, one line each."""
    lines = []
    for r in records:
        where = f"{r['dataset']} {r['teacher']} {r['student']}"
        lines += [f"- {where}: {k}: {e[:300]}" for k, e in r["errors"].items()]
        lines += [f"- {where}: warning: {w}" for w in r["warnings"]]
    return "\n### Refusals, errors and warnings\n\n" + "\n".join(lines) if lines else ""


def parse_args(argv):
    parser = make_parser(
        __doc__,
        quick="both data sets, the forest, the depth-4 tree and the network "
        "(10 epochs), fewer calls",
        data_dir=True,
    )
    for flag, choices in CHOICES.items():
        parser.add_argument(f"--{flag}", nargs="+", choices=choices, default=choices)
    for flag, kind, default, text in (
        ("seed", int, 0, "of the splits and the models"),
        ("temperature", float, 1.0, "scikit-learn students (the network: 4)"),
        ("epochs", int, 100, "network, at most"),
        ("repeats", int, 200, "timed 1-row calls"),
        ("repeats-1000", int, 30, "timed 1,000-row calls"),
        ("n-sample", int, 500, "training rows given to to_onnx"),
    ):
        parser.add_argument(f"--{flag}", type=kind, default=default, help=text)
    quick = dict(teachers=["rf"], students=["tree4", "mlp"], epochs=10)
    return parse(parser, argv, {**quick, "repeats": 50, "repeats_1000": 10})


def main(argv=None):
    args = parse_args(argv)
    config = {k: v for k, v in vars(args).items() if k != "json"}
    if "mlp" in args.students:
        import keras

        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            # One thread for TensorFlow's pools, set before any operation runs.
            tf.config.threading.set_intra_op_parallelism_threads(1)
            tf.config.threading.set_inter_op_parallelism_threads(1)
    started = time.perf_counter()
    heads, records = [], []
    for dataset in args.datasets:
        if dataset != "digits" and not (Path(args.data_dir) / LENDING["file"]).exists():
            log(f"[{dataset}] skipped: not found in {args.data_dir} (give --data-dir)")
            continue
        data = load_data(dataset, args.data_dir, args.seed)
        for teacher in args.teachers:
            head, found = run_pair(dataset, teacher, data, config)
            heads.append(head)
            records += found
            print(block_tables(head, found), flush=True)
    print(ratios_table(records))
    print(notes(records))
    elapsed = time.perf_counter() - started
    print(f"\ntotal time {elapsed:.0f} s")
    if args.json:
        payload = {"config": config, "elapsed_seconds": elapsed}
        payload.update(teachers=heads, records=records)
        write_json(args.json, payload)
        log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
