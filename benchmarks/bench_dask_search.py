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
"""

import argparse
import json
import pickle
import time

import joblib
import numpy as np
import psutil
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import GridSearchCV

from skdistill import DistilledClassifier, MLPStudent, ScatteredTeacher

GRID = {"temperature": [1.0, 2.0, 4.0], "alpha": [0.1, 0.5]}
CV = 3


def loopback_bytes():
    counters = psutil.net_io_counters(pernic=True)
    return counters["lo"].bytes_sent if "lo" in counters else None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trees", type=int, default=300)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)

    import distributed

    X, y = load_digits(return_X_y=True)
    teacher = RandomForestClassifier(n_estimators=args.trees, random_state=0)
    teacher.fit(X, y)
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
    n_tasks = len(GRID["temperature"]) * len(GRID["alpha"]) * CV

    def search(teacher=teacher, **kwargs):
        t0 = time.perf_counter()
        candidate = clone(estimator).set_params(teacher=teacher)
        result = GridSearchCV(candidate, GRID, cv=CV, refit=False, **kwargs)
        result.fit(X, y)
        return time.perf_counter() - t0, result.cv_results_["mean_test_score"]

    results = {}
    results["serial_s"], serial = search()
    results["loky_s"], loky = search(n_jobs=2)
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        # Warm the workers (imports) so the search's traffic is measured alone.
        client.run(lambda: __import__("skdistill")._keras.import_keras())
        before = loopback_bytes()
        with joblib.parallel_config(backend="dask"):
            results["dask_s"], dask = search()
        after = loopback_bytes()
        results["loopback_bytes"] = None if before is None else after - before
        # The same search with the teacher sent once, as a ScatteredTeacher;
        # its scattering counts in its bytes.
        before = loopback_bytes()
        shared = ScatteredTeacher(teacher, client)
        with joblib.parallel_config(backend="dask"):
            results["dask_scattered_s"], scattered = search(teacher=shared)
        after = loopback_bytes()
        results["scattered_loopback_bytes"] = None if before is None else after - before
        results["scattered_candidate_pickle_bytes"] = len(
            pickle.dumps(clone(estimator).set_params(teacher=shared))
        )
        shared.release()
    results["tasks"] = n_tasks
    results["teacher_pickle_bytes"] = len(pickle.dumps(teacher))
    results["candidate_pickle_bytes"] = len(pickle.dumps(clone(estimator)))
    results["loky_equals_serial"] = bool(np.array_equal(loky, serial))
    results["dask_equals_serial"] = bool(np.array_equal(dask, serial))
    results["scattered_equals_serial"] = bool(np.array_equal(scattered, serial))

    print(
        f"grid: {n_tasks // CV} candidates x {CV} folds = {n_tasks} tasks; "
        f"teacher: random forest, {args.trees} trees"
    )
    print(f"{'run':<22} {'time (s)':>9} {'scores equal serial':>20}")
    print(f"{'serial':<22} {results['serial_s']:>9.1f} {'-':>20}")
    print(
        f"{'joblib loky, n_jobs=2':<22} {results['loky_s']:>9.1f} "
        f"{str(results['loky_equals_serial']):>20}"
    )
    print(
        f"{'dask, 2 workers':<22} {results['dask_s']:>9.1f} "
        f"{str(results['dask_equals_serial']):>20}"
    )
    print(
        f"{'dask, ScatteredTeacher':<22} {results['dask_scattered_s']:>9.1f} "
        f"{str(results['scattered_equals_serial']):>20}"
    )
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
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
