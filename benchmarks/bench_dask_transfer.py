"""Transfer rows labelled where they live: a Dask ``X_unlabeled`` on a LocalCluster.

Starts a ``dask.distributed.LocalCluster`` of two worker processes (one
thread each) on loopback, then:

* **synthetic table**: ``--rows`` rows (10 million) of ``--features`` float32
  features in ``--partitions`` partitions, generated on the workers (this
  process never holds more than one partition of them). A
  ``HistGradientBoostingClassifier`` teacher, fitted on 50,000 rows made here,
  labels them on the cluster (skdistill's pass: the teacher sent once, one
  task per partition), against one process's ``predict_proba`` on the same
  rows, made here a partition at a time, in the same run: rows per second of
  each. Then ``DistilledClassifier.fit`` with a Keras student end to end on
  the Dask array, with this process's peak resident memory (``VmHWM``, reset
  before the fit) above its memory before the fit, as a fraction of the
  data's size;
* **real table** (``nass_cds.csv.gz`` from ``--data-dir``): the same fits on
  an in-memory ``X_unlabeled`` and on a Dask one, over ``--seeds`` seeds, for
  a scikit-learn student (the frame with its string columns; the rows are
  gathered) and a Keras student (one-hot numbers); test ROC AUC and accuracy.

Native thread pools are held to ``--threads`` in this process (threadpoolctl)
and in each worker (its environment, set before it starts).

Usage::

    python benchmarks/bench_dask_transfer.py [--rows 10000000] [--json out.json]

``--quick`` (200,000 rows, 10 boosting iterations, lending_club, one seed,
30-iteration teachers) takes seconds; CI runs it. Linux only (reads
``/proc/self/status``).
"""

import sys
import time
import warnings

import numpy as np
from _harness import (
    config_of,
    finish,
    has_interval,
    import_keras_timed,
    limit_threads,
    local_cluster,
    log,
    make_parser,
    markdown,
    paired,
    parse,
    spread,
    status_kib,
)

N_CLASSES, N_LATENT = 5, 8


def reset_peak():
    """Start ``VmHWM`` again from the current resident set (Linux)."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def synthetic_rows(seed, index, n_rows, n_features):
    """Rows and labels of partition ``index`` (negative: teacher, labeled, test).

    Classes are Gaussian clusters in an 8-dimensional latent space, mixed
    nonlinearly into the features; every partition draws its own rows.
    """
    shape = np.random.default_rng(seed)
    centres = shape.normal(scale=1.2, size=(N_CLASSES, N_LATENT))
    mixing = shape.normal(size=(N_LATENT, n_features)) / 2
    rng = np.random.default_rng([seed, index + 1000])
    y = rng.integers(0, N_CLASSES, size=n_rows)
    latent = centres[y] + rng.normal(size=(n_rows, N_LATENT))
    X = np.tanh(latent) @ mixing + rng.normal(scale=0.3, size=(n_rows, n_features))
    return X.astype(np.float32), y


def _partition(seed, index, n_rows, n_features):
    return synthetic_rows(seed, index, n_rows, n_features)[0]


def generated_on_workers(args, sizes):
    """A Dask array of the synthetic rows, each partition made where it runs."""
    import dask
    import dask.array as da

    make = dask.delayed(_partition, pure=True)
    blocks = [
        da.from_delayed(
            make(0, i, n, args.features), shape=(n, args.features), dtype=np.float32
        )
        for i, n in enumerate(sizes)
    ]
    return da.concatenate(blocks)


def _import_on_worker():
    # Runs on each worker: the imports are paid before the pass is measured.
    import sklearn.ensemble  # noqa: F401

    import skdistill.distill._cluster_pass  # noqa: F401


def worker_threads(n):
    """Each worker's native thread pools, set before it starts (0: Dask's
    default, which is one thread: ``distributed.nanny.pre-spawn-environ``)."""
    if n <= 0:
        return {}
    names = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    return {"env": {name: str(n) for name in names}}


def one_process_seconds(teacher, args, sizes):
    """Seconds of ``predict_proba`` here on every partition, made here in turn."""
    seconds = 0.0
    for i, n in enumerate(sizes):
        X = _partition(0, i, n, args.features)
        start = time.perf_counter()
        teacher.predict_proba(X)
        seconds += time.perf_counter() - start
    return seconds


def cluster_seconds(teacher, collection, X_labeled, client):
    """Seconds of skdistill's pass over the persisted collection on the cluster."""
    from skdistill.distill._cluster_pass import label_partitions, teacher_for_workers
    from skdistill.teachers._adapters import as_teacher
    from skdistill.utils._dask import check_dask_unlabeled

    transfer = check_dask_unlabeled(collection, X_labeled, keras=True)
    fitted = as_teacher(teacher, "classification")
    start = time.perf_counter()
    with teacher_for_workers(fitted, client) as reference:
        labelled = label_partitions(
            reference,
            transfer,
            task="classification",
            classes=teacher.classes_,
            like=np.empty((0, N_CLASSES), np.float32),
            client=client,
        )
    seconds = time.perf_counter() - start
    labelled.release()
    return seconds


def synthetic(args, client):
    """Throughput of the teacher's pass and an end-to-end fit on the cluster."""
    from distributed import wait
    from sklearn.base import clone
    from sklearn.ensemble import HistGradientBoostingClassifier

    from skdistill import DistilledClassifier, MLPStudent

    sizes = [len(p) for p in np.array_split(np.arange(args.rows), args.partitions)]
    X_teach, y_teach = synthetic_rows(0, -1, 50_000, args.features)
    X_labeled, y_labeled = synthetic_rows(0, -2, args.labeled, args.features)
    X_test, y_test = synthetic_rows(0, -3, 50_000, args.features)
    teacher = HistGradientBoostingClassifier(
        max_iter=args.iterations, early_stopping=False, random_state=0
    ).fit(X_teach, y_teach)
    out = {"rows": args.rows, "data_bytes": args.rows * args.features * 4}
    start = time.perf_counter()
    collection = generated_on_workers(args, sizes).persist()
    wait(collection)
    out["generate_s"] = time.perf_counter() - start
    out["cluster_label_s"] = cluster_seconds(teacher, collection, X_labeled, client)
    out["one_process_s"] = one_process_seconds(teacher, args, sizes)
    student = DistilledClassifier(
        teacher=teacher,
        student=MLPStudent(hidden_units=(64,), standardize=True),
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=0.003,
        n_iter_no_change=None,
        random_state=0,
    )
    # A first fit's one-off costs (TensorFlow's start) stay out of the peak:
    # the same fit, untimed, on a slice.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clone(student).fit(X_labeled, y_labeled, X_unlabeled=collection[:100_000])
    before = status_kib("VmRSS")["VmRSS"]
    reset_peak()
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        student.fit(X_labeled, y_labeled, X_unlabeled=collection)
    out["fit_s"] = time.perf_counter() - start
    out["rss_before_fit_kib"] = before
    out["peak_fit_kib"] = status_kib("VmHWM")["VmHWM"]
    out["student_test_accuracy"] = student.score(X_test, y_test)
    out["teacher_test_accuracy"] = teacher.score(X_test, y_test)
    del collection
    return out


def real_split(args, seed):
    """The table's teacher, labeled, test and unlabeled rows (frames)."""
    from _data import read_table, split_rows

    frame, y = read_table(args.table, args.data_dir)
    sizes = [args.n_teacher, args.labeled_real, args.n_test]
    parts = split_rows(y, sizes, seed)
    names = ["teacher", "labeled", "test", "unlabeled"]
    return frame, y, dict(zip(names, parts, strict=True))


def _scores(model, X, y):
    from sklearn.metrics import accuracy_score, roc_auc_score

    return {
        "roc_auc": roc_auc_score(y, model.predict_proba(X)[:, 1]),
        "accuracy": accuracy_score(y, model.predict(X)),
    }


def real_fits(args, seed):
    """One seed's four fits: each student on in-memory and on Dask rows."""
    import dask.array as da
    import dask.dataframe as dd
    from _data import fill_medians, make_encoder, one_hot
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.tree import DecisionTreeClassifier

    from skdistill import DistilledClassifier, MLPStudent

    frame, y, part = real_split(args, seed)
    numbers = fill_medians(one_hot(frame)[0].astype(np.float32), part["teacher"])
    records = []
    for student in ("tree", "keras"):
        take = frame.iloc.__getitem__ if student == "tree" else numbers.__getitem__
        booster = HistGradientBoostingClassifier(
            max_iter=args.real_iterations, random_state=seed
        )
        if student == "tree":
            booster = make_pipeline(make_encoder(frame, impute=True), booster)
            model = make_pipeline(
                make_encoder(frame, impute=True),
                DecisionTreeClassifier(max_depth=6, random_state=seed),
            )
        else:
            model = MLPStudent(hidden_units=(64,), standardize=True)
        teacher = booster.fit(take(part["teacher"]), y[part["teacher"]])
        unlabeled = take(part["unlabeled"])
        collection = (
            dd.from_pandas(unlabeled, npartitions=4)
            if student == "tree"
            else da.from_array(unlabeled, chunks=-(-len(unlabeled) // 4))
        )
        params = dict(teacher=teacher, student=model, random_state=seed)
        if student == "keras":
            params.update(epochs=args.real_epochs, learning_rate=0.003)
        for where, X_unlabeled in (("memory", unlabeled), ("dask", collection)):
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fitted = DistilledClassifier(**params).fit(
                    take(part["labeled"]), y[part["labeled"]], X_unlabeled=X_unlabeled
                )
            record = {"seed": seed, "student": student, "where": where}
            record["fit_s"] = time.perf_counter() - start
            record.update(_scores(fitted, take(part["test"]), y[part["test"]]))
            records.append(record)
        teacher_auc = _scores(teacher, take(part["test"]), y[part["test"]])["roc_auc"]
        for record in records[-2:]:
            record["teacher_roc_auc"] = teacher_auc
    return records


def print_synthetic(out, args):
    mib = 2**20
    rows = out["rows"]
    cluster, single = rows / out["cluster_label_s"], rows / out["one_process_s"]
    above = (out["peak_fit_kib"] - out["rss_before_fit_kib"]) * 1024
    out.update(
        cluster_rows_per_s=cluster,
        one_process_rows_per_s=single,
        speedup=cluster / single,
        peak_above_before_fraction=above / out["data_bytes"],
        peak_fraction=out["peak_fit_kib"] * 1024 / out["data_bytes"],
    )
    print(
        f"\n### Synthetic table: {rows:,} rows x {args.features} float32 "
        f"({out['data_bytes'] / mib:,.0f} MiB) in {args.partitions} partitions, "
        f"made on 2 workers in {out['generate_s']:.1f} s"
    )
    print(f"teacher: HistGradientBoosting, {args.iterations} iterations, 5 classes")
    print(
        markdown(
            ["labelling", "time (s)", "rows per second", "vs one process"],
            [
                ["one process, predict_proba", f"{out['one_process_s']:.1f}"]
                + [f"{single:,.0f}", "1.00x"],
                ["LocalCluster, 2 workers", f"{out['cluster_label_s']:.1f}"]
                + [f"{cluster:,.0f}", f"{out['speedup']:.2f}x"],
            ],
        )
    )
    print(
        f"\nend-to-end fit (teacher pass and {args.epochs} epoch(s), batch "
        f"{args.batch_size}): {out['fit_s']:.1f} s; student test accuracy "
        f"{out['student_test_accuracy']:.4f}, teacher "
        f"{out['teacher_test_accuracy']:.4f}"
    )
    print(
        f"client peak RSS during fit: {out['peak_fit_kib'] / 1024:,.0f} MiB "
        f"({out['peak_fraction']:.3f} of the data); above the "
        f"{out['rss_before_fit_kib'] / 1024:,.0f} MiB before the fit: "
        f"{above / mib:,.0f} MiB ({out['peak_above_before_fraction']:.3f} "
        "of the data)"
    )


def print_real(records, args):
    print(f"\n### {args.table}: in-memory against Dask X_unlabeled, seeds {args.seeds}")
    rows = []
    for student in ("tree", "keras"):
        for where in ("memory", "dask"):
            mine = [
                r for r in records if r["student"] == student and r["where"] == where
            ]
            auc, acc = (spread([r[k] for r in mine]) for k in ("roc_auc", "accuracy"))
            fit = spread([r["fit_s"] for r in mine])
            rows.append(
                [student, where, f"{auc[0]:.4f} ± {auc[1]:.4f}"]
                + [f"{acc[0]:.4f} ± {acc[1]:.4f}", f"{fit[0]:.1f}"]
            )
    header = ["student", "X_unlabeled", "ROC AUC", "accuracy", "fit (s)"]
    print(markdown(header, rows, align="llrrr"))
    differences = {}
    for student in ("tree", "keras"):
        pair = [
            [r for r in records if r["student"] == student and r["where"] == w]
            for w in ("dask", "memory")
        ]
        differences[student] = paired(*pair, ["roc_auc", "accuracy"])
        for metric, found in differences[student].items():
            low, high = found["ci95"]
            interval = (
                f"95% CI {low:+.4f} to {high:+.4f}"
                if has_interval(found)
                else "one seed, no interval"
            )
            print(
                f"{student}, Dask - in memory, {metric}: {found['mean']:+.4f} "
                f"({interval}; per seed "
                f"{', '.join(f'{d:+.4f}' for d in found['per_seed'])})"
            )
    return differences


def parse_args(argv):
    parser = make_parser(
        __doc__,
        quick="200,000 rows, 10 boosting iterations, lending_club, one seed",
        threads=True,
        data_dir=True,
    )
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--partitions", type=int, default=40)
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--labeled", type=int, default=20_000)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--table", choices=["nass", "lending"], default="nass")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--real-epochs", type=int, default=10)
    parser.add_argument("--real-iterations", type=int, default=200)
    quick = dict(
        rows=200_000, partitions=8, iterations=10, labeled=2_000, table="lending"
    )
    quick.update(seeds=[0], real_epochs=2, real_iterations=30)
    args = parse(parser, argv, quick)
    args.n_teacher, args.labeled_real, args.n_test = (
        (2000, 500, 2000) if args.table == "lending" else (5000, 1000, 5000)
    )
    return args


def main(argv=None):
    import distributed

    args = parse_args(argv)
    started = time.perf_counter()
    limit_threads(args.threads, need_keras=True)
    import_keras_timed()
    with (
        local_cluster(**worker_threads(args.threads)) as cluster,
        distributed.Client(cluster) as client,
    ):
        client.run(_import_on_worker)
        log(f"cluster: {client}")
        synth = synthetic(args, client)
        records = [r for seed in args.seeds for r in real_fits(args, seed)]
    print_synthetic(synth, args)
    differences = print_real(records, args)
    payload = {"config": config_of(args), "synthetic": synth, "real": records}
    return finish(args, started, {**payload, "differences": differences})


if __name__ == "__main__":
    sys.exit(main())
