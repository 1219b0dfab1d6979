"""Bytes sent per candidate, and time, of a grid search on a local Dask cluster.

Runs the same ``GridSearchCV`` over ``temperature`` and ``alpha`` (a fitted
random-forest teacher, digits data) serially, with joblib's process pool
(``n_jobs=2``) and on a ``dask.distributed.LocalCluster`` of two worker
processes on loopback through joblib's Dask backend, then prints:

* each run's wall time and whether its scores equal the serial search's;
* the bytes of one candidate's estimator as pickled into a task, with the
  teacher inside it, against the teacher's own pickled size;
* the bytes sent over the loopback interface during the Dask search (every
  message between client, scheduler and workers, counted by the kernel), per
  task (candidate x fold), with the teacher inside each task and with it sent
  once as a :class:`skdistill.ScatteredTeacher`.

Usage::

    python benchmarks/bench_dask_search.py [--trees 300] [--json out.json]

Add ``--quick`` for a short look (20 trees, 2 candidates x 2 folds, no joblib
process pool; what CI runs).
"""

import pickle
import sys
import time

import joblib
import numpy as np
import psutil
from _harness import local_cluster, make_parser, parse, write_json
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV

from skdistill import DistilledClassifier, MLPStudent, ScatteredTeacher

GRID = {"temperature": [1.0, 2.0, 4.0], "alpha": [0.1, 0.5]}
QUICK_GRID = {"temperature": [1.0, 2.0], "alpha": [0.1]}


def loopback_bytes():
    counters = psutil.net_io_counters(pernic=True)
    return counters["lo"].bytes_sent if "lo" in counters else None


def _import_keras():
    # Runs on each worker: the imports are paid before the search is measured.
    from skdistill.utils._keras import import_keras

    import_keras()


def parse_args(argv):
    parser = make_parser(
        __doc__,
        quick="20 trees, 1 epoch, 2 candidates x 2 folds, no joblib process pool",
    )
    parser.add_argument("--trees", type=int, default=300)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--cv", type=int, default=3)
    args = parse(parser, argv, dict(trees=20, epochs=1, cv=2))
    args.grid = QUICK_GRID if args.quick else GRID
    return args


def make_search(X, y, estimator, args):
    """``search(teacher, **kwargs)``: seconds and mean test scores of the grid."""

    def search(teacher, **kwargs):
        t0 = time.perf_counter()
        candidate = clone(estimator).set_params(teacher=teacher)
        result = GridSearchCV(candidate, args.grid, cv=args.cv, refit=False, **kwargs)
        result.fit(X, y)
        return time.perf_counter() - t0, result.cv_results_["mean_test_score"]

    return search


def on_dask(search, estimator, teacher, results):
    """The search on a local Dask cluster, teacher in each task, then scattered."""
    import distributed

    with (
        local_cluster() as cluster,
        distributed.Client(cluster) as client,
    ):
        client.run(_import_keras)
        before = loopback_bytes()
        with joblib.parallel_config(backend="dask"):
            results["dask_s"], dask = search(teacher)
        after = loopback_bytes()
        results["loopback_bytes"] = None if before is None else after - before
        # The same search with the teacher sent once, as a ScatteredTeacher;
        # its scattering counts in its bytes.
        before = loopback_bytes()
        shared = ScatteredTeacher(teacher, client)
        with joblib.parallel_config(backend="dask"):
            results["dask_scattered_s"], scattered = search(shared)
        after = loopback_bytes()
        results["scattered_loopback_bytes"] = None if before is None else after - before
        results["scattered_candidate_pickle_bytes"] = len(
            pickle.dumps(clone(estimator).set_params(teacher=shared))
        )
        shared.release()
    return dask, scattered


def report(results, args):
    n_tasks = results["tasks"]
    print(
        f"grid: {n_tasks // args.cv} candidates x {args.cv} folds = {n_tasks} tasks; "
        f"teacher: random forest, {args.trees} trees"
    )
    print(f"{'run':<22} {'time (s)':>9} {'scores equal serial':>20}")
    print(f"{'serial':<22} {results['serial_s']:>9.1f} {'-':>20}")
    for label, key in (
        ("joblib loky, n_jobs=2", "loky"),
        ("dask, 2 workers", "dask"),
        ("dask, ScatteredTeacher", "dask_scattered"),
    ):
        equal = results[f"{key.replace('dask_', '')}_equals_serial"]
        seconds = results[f"{key}_s"]
        if seconds is not None:
            print(f"{label:<22} {seconds:>9.1f} {str(equal):>20}")
    mib = 2**20
    print(
        f"pickled: teacher {results['teacher_pickle_bytes']:,} bytes; one task's "
        f"estimator {results['candidate_pickle_bytes']:,} bytes, "
        f"{results['scattered_candidate_pickle_bytes']:,} with a ScatteredTeacher"
    )
    for label, key in [
        ("teacher in each task", "loopback_bytes"),
        ("ScatteredTeacher", "scattered_loopback_bytes"),
    ]:
        if results[key] is None:
            continue
        per_task = results[key] / n_tasks
        print(
            f"loopback bytes, {label}: {results[key] / mib:.1f} MiB in all, "
            f"{per_task / mib:.2f} MiB per task "
            f"({per_task / results['teacher_pickle_bytes']:.2f}x the teacher)"
        )


def main(argv=None):
    from _harness import make_teacher

    args = parse_args(argv)
    X, y = load_digits(return_X_y=True)
    teacher = make_teacher("rf", 0, n_estimators=args.trees).fit(X, y)
    estimator = DistilledClassifier(
        teacher=teacher,
        # The recipe as measured: standardized inputs, batches of 32, fixed
        # epochs (no early stopping).
        student=MLPStudent(hidden_units=(32,), standardize=True),
        epochs=args.epochs,
        batch_size=32,
        n_iter_no_change=None,
        learning_rate=0.01,
        random_state=0,
    )
    search = make_search(X, y, estimator, args)
    results = {}
    results["serial_s"], serial = search(teacher)
    # joblib's process pool imports TensorFlow in each worker: not in --quick.
    results["loky_s"], loky = (None, None) if args.quick else search(teacher, n_jobs=2)
    dask, scattered = on_dask(search, estimator, teacher, results)
    results["tasks"] = int(np.prod([len(v) for v in args.grid.values()])) * args.cv
    results["teacher_pickle_bytes"] = len(pickle.dumps(teacher))
    results["candidate_pickle_bytes"] = len(pickle.dumps(clone(estimator)))
    results["loky_equals_serial"] = (
        None if loky is None else bool(np.array_equal(loky, serial))
    )
    results["dask_equals_serial"] = bool(np.array_equal(dask, serial))
    results["scattered_equals_serial"] = bool(np.array_equal(scattered, serial))
    report(results, args)
    if args.json:
        write_json(args.json, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
