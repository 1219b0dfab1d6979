"""Is the default student trained to convergence? Against ``MLPClassifier()``.

For each problem this fits, over seeds, scikit-learn's ``MLPClassifier()``
with its defaults and ``DistilledClassifier(alpha=1.0)`` with its defaults
(the default student trained from scratch on the labels, no teacher), on the
same raw features, and reports test accuracy (and ROC AUC on the binary
tables) as mean ± sd, the fit time of each, and how many epochs each ran.
The distilled estimator's fit is timed twice per seed: the first fit in the
process of each problem traces its training step; the second, of the same
structure, reuses it (the time asked of it: within 2x MLPClassifier's). The
import of Keras and TensorFlow, paid once per process, is timed apart.

Problems:

* ``digits``: ``load_digits``, a stratified 25% test split;
* ``transfer600``: 600 labeled rows of ``bench_transfer``'s synthetic 5-class
  problem, tested on its 5,000 test rows;
* ``nass``: ``nass_cds.csv.gz`` (car crashes, target ``dead``; ``injSeverity``
  and ``caseid`` dropped), a stratified 25% test split;
* ``lending``: ``lending_club.csv.gz`` (target ``Class == "bad"``), the same.

Categorical columns are one-hot encoded and missing numbers take the training
rows' median; nothing is scaled, as neither model's default asks for it.
``--standardized`` adds the default network with ``MLPStudent(standardize=
True)``, and ``MLPClassifier`` behind a ``StandardScaler``, for comparison.

Run::

    python benchmarks/bench_convergence.py --json bench_convergence.json

Add ``--quick`` for a look in seconds (digits, one seed; what CI runs). The
tables default to ``../shared/data`` beside the checkout, or
``$SKDISTILL_DATA`` or ``$SKDISTILL_DATA_DIR``; ``--data-dir`` overrides them.
"""

import sys

import numpy as np
from _data import PROBLEM, fill_medians, make_problem, one_hot, read_table
from _harness import (
    import_keras_timed,
    make_parser,
    parse,
    spread,
    timed_fit,
    write_json,
)

PROBLEMS = ("digits", "transfer600", "nass", "lending")


def load_problem(name, data_dir):
    """Training and test rows of ``name``: X_train, X_test, y_train, y_test."""
    from sklearn.model_selection import train_test_split

    if name == "digits":
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        return train_test_split(
            X.astype(np.float32), y, test_size=0.25, stratify=y, random_state=0
        )
    if name == "transfer600":
        config = dict(PROBLEM, n_teacher=0, n_labeled=600, n_unlabeled=0)
        problem = make_problem(config, 0)
        (X_train, y_train), (X_test, y_test) = problem["labeled"], problem["test"]
        return X_train, X_test, y_train, y_test
    frame, y = read_table(name, data_dir)
    X = one_hot(frame, np.float32)[0]
    train, test = train_test_split(
        np.arange(len(y)), test_size=0.25, stratify=y, random_state=0
    )
    X = fill_medians(X, train)
    return X[train], X[test], y[train], y[test]


def scores(model, X_test, y_test):
    """Test accuracy, and ROC AUC for two classes."""
    from sklearn.metrics import roc_auc_score

    out = {"accuracy": float(np.mean(model.predict(X_test) == y_test))}
    if len(np.unique(y_test)) == 2:
        out["roc_auc"] = float(roc_auc_score(y_test, model.predict_proba(X_test)[:, 1]))
    return out


def fit_converged(model, X, y):
    """Seconds of the fit, and whether it raised no ConvergenceWarning."""
    seconds, caught = timed_fit(model, X, y)
    return seconds, not any("onverge" in type(w.message).__name__ for w in caught)


def run_problem(name, data_dir, seeds, standardized):
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skdistill import DistilledClassifier, MLPStudent

    X_train, X_test, y_train, y_test = load_problem(name, data_dir)
    print(
        f"\n{name}: {len(X_train)} training rows, {len(X_test)} test rows, "
        f"{X_train.shape[1]} features, {len(np.unique(y_train))} classes",
        flush=True,
    )
    models = {
        "MLPClassifier()": lambda seed: MLPClassifier(random_state=seed),
        "DistilledClassifier(alpha=1)": lambda seed: DistilledClassifier(
            alpha=1.0, random_state=seed
        ),
    }
    if standardized:
        models["StandardScaler + MLPClassifier()"] = lambda seed: make_pipeline(
            StandardScaler(), MLPClassifier(random_state=seed)
        )
        models["DistilledClassifier(alpha=1, MLPStudent(standardize=True))"] = (
            lambda seed: DistilledClassifier(
                alpha=1.0, student=MLPStudent(standardize=True), random_state=seed
            )
        )
    results = {}
    for label, make in models.items():
        runs = []
        for seed in seeds:
            run = {"seed": seed}
            if label.startswith("Distilled"):
                # A first fit traces the training step; the second reuses it.
                run["first_fit_s"], _ = fit_converged(make(seed), X_train, y_train)
            model = make(seed)
            run["fit_s"], run["converged"] = fit_converged(model, X_train, y_train)
            final = model[-1] if hasattr(model, "steps") else model
            run["epochs"] = int(final.n_iter_)
            run.update(scores(model, X_test, y_test))
            runs.append(run)
        results[label] = runs
        print(f"  {_summary(label, runs)}", flush=True)
    return results


def _mean_sd(values):
    mean, sd = spread(values)
    return f"{mean:.4f} ± {sd:.4f}"


def _summary(label, runs):
    parts = [f"{label:<58}", f"accuracy {_mean_sd([r['accuracy'] for r in runs])}"]
    if "roc_auc" in runs[0]:
        parts.append(f"ROC AUC {_mean_sd([r['roc_auc'] for r in runs])}")
    times = [r["fit_s"] for r in runs]
    parts.append(f"fit median {np.median(times):.2f} s {[round(t, 2) for t in times]}")
    if "first_fit_s" in runs[0]:
        parts.append(f"(first {runs[0]['first_fit_s']:.2f} s)")
    parts.append(f"epochs {[r['epochs'] for r in runs]}")
    unconverged = sum(not r["converged"] for r in runs)
    if unconverged:
        parts.append(f"{unconverged} not converged")
    return "  ".join(parts)


def ratios(results):
    """Per problem: distilled default − MLPClassifier (score), and time ratio."""
    out = {}
    for name, models in results.items():
        ours, theirs = models["DistilledClassifier(alpha=1)"], models["MLPClassifier()"]
        metric = "roc_auc" if "roc_auc" in ours[0] else "accuracy"

        def mean(runs, key):
            return float(np.mean([r[key] for r in runs]))

        out[name] = {
            "metric": metric,
            "difference": mean(ours, metric) - mean(theirs, metric),
            # Medians: on 2 shared cores a Keras fit now and then takes about
            # twice its usual time.
            "fit_time_ratio": float(
                np.median([r["fit_s"] for r in ours])
                / np.median([r["fit_s"] for r in theirs])
            ),
        }
    return out


def main(argv=None):
    parser = make_parser(__doc__, quick="digits, one seed", data_dir=True)
    parser.add_argument("--problems", nargs="+", choices=PROBLEMS, default=PROBLEMS)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--standardized", action="store_true")
    args = parse(parser, argv, dict(problems=["digits"], seeds=[0]))

    import_keras_timed()
    results = {
        name: run_problem(name, args.data_dir, args.seeds, args.standardized)
        for name in args.problems
    }
    summary = ratios(results)
    print(
        "\nDistilledClassifier(alpha=1) against MLPClassifier(): difference of "
        "mean scores, ratio of median fit times"
    )
    for name, row in summary.items():
        print(
            f"  {name:<12} {row['metric']:<9} difference {row['difference']:+.4f}  "
            f"fit time ratio {row['fit_time_ratio']:.2f}x"
        )
    if args.json:
        write_json(args.json, {"results": results, "summary": summary})
    return 0


if __name__ == "__main__":
    sys.exit(main())
