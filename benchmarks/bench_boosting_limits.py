"""Why a 100-iteration boosting student misses two of bench_students' targets.

Two measurements on ``bench_students``' synthetic problem (5 classes, a
300-iteration ``HistGradientBoostingClassifier`` teacher on 20,000 rows, the
owner's 2,000 labeled and 20,000 unlabeled rows):

1. **Fit time of soft-label expansion.** The same student,
   ``HistGradientBoostingClassifier(max_iter=100)``, fitted on the 22,000
   rows with hard labels, on the expanded rows (one per row and class with
   target at least ``MIN_TARGET``) without weights, with all-ones weights,
   and with the soft targets as weights. Passing any ``sample_weight`` makes
   scikit-learn compute the bin thresholds as weighted percentiles, which
   costs more than the extra rows.
2. **How close to the teacher can the student get?** Its accuracy as a share
   of the teacher's when distilled (soft-label expansion), when trained on
   the labels plus the teacher's hard labels for the unlabeled rows
   (pseudo-labels), and for a regressor of the same size (five 100-iteration
   ``HistGradientBoostingRegressor``, one per class) matching the teacher's
   centred log-probabilities.

Run::

    python benchmarks/bench_boosting_limits.py --seeds 0
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def timed(function):
    start = time.perf_counter()
    out = function()
    return out, time.perf_counter() - start


def expansion_times(data, teacher, seed, temperature, alpha):
    """Seconds to fit the student on hard labels and on expanded rows."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    from skdistill.students._sklearn import MIN_TARGET, soft_targets
    from skdistill.teachers._adapters import teacher_logits

    (X_l, y_l), X_u = data["labeled"], data["unlabeled"]
    X = np.vstack([X_l, X_u])
    _, logits = teacher_logits(teacher, X)
    hard = np.concatenate([y_l, np.argmax(logits[len(y_l) :], axis=1)])
    q = soft_targets(logits, y_l, alpha=alpha, temperature=temperature)
    rows, classes = np.nonzero(q >= MIN_TARGET)
    X_e, y_e, w_e = X[rows], classes, q[rows, classes]

    def student():
        return HistGradientBoostingClassifier(
            max_iter=100, early_stopping=False, random_state=seed
        )

    fits = {
        "hard labels, 22,000 rows": lambda: student().fit(X, hard),
        f"expanded ({len(X_e):,} rows), no weights": lambda: student().fit(X_e, y_e),
        "expanded, all-ones weights": lambda: student().fit(
            X_e, y_e, sample_weight=np.ones(len(X_e))
        ),
        "expanded, soft targets as weights": lambda: student().fit(
            X_e, y_e, sample_weight=w_e
        ),
    }
    return {name: timed(fit)[1] for name, fit in fits.items()}


def shares_of_teacher(data, teacher, seed, temperature, alpha):
    """Test accuracy of each way to train the student, over the teacher's."""
    from sklearn.ensemble import (
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
    )

    from skdistill import DistilledClassifier

    (X_l, y_l), X_u, (X_t, y_t) = data["labeled"], data["unlabeled"], data["test"]
    teacher_accuracy = teacher.score(X_t, y_t)
    classifier = HistGradientBoostingClassifier(
        max_iter=100, early_stopping=False, random_state=seed
    )
    regressor = HistGradientBoostingRegressor(
        max_iter=100, early_stopping=False, random_state=seed
    )
    pseudo = classifier.__class__(**classifier.get_params()).fit(
        np.vstack([X_l, X_u]), np.concatenate([y_l, teacher.predict(X_u)])
    )
    out = {"teacher accuracy": teacher_accuracy}
    out["pseudo-labels"] = pseudo.score(X_t, y_t) / teacher_accuracy
    for name, student in (
        ("distilled classifier", classifier),
        ("regressor", regressor),
    ):
        model = DistilledClassifier(
            teacher=teacher, student=student, temperature=temperature, alpha=alpha
        ).fit(X_l, y_l, X_unlabeled=X_u)
        out[name] = model.score(X_t, y_t) / teacher_accuracy
    return out


def main(argv=None):
    from bench_students import make_teacher, standardize, synthetic_problem

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--alpha", type=float, default=0.1)
    args = parser.parse_args(argv)
    sizes = {"n_teacher": 20_000, "n_labeled": 2_000, "n_unlabeled": 20_000}
    for seed in args.seeds:
        data = standardize(synthetic_problem(sizes, seed))
        teacher = make_teacher("hgb", seed).fit(*data["teacher"])
        print(f"seed {seed}, T={args.temperature:g}, alpha={args.alpha:g}")
        times = expansion_times(data, teacher, seed, args.temperature, args.alpha)
        base = times["hard labels, 22,000 rows"]
        for name, seconds in times.items():
            print(f"  fit on {name:<40} {seconds:6.2f} s  {seconds / base:5.2f}x")
        shares = shares_of_teacher(data, teacher, seed, args.temperature, args.alpha)
        print(f"  teacher accuracy {shares.pop('teacher accuracy'):.4f}")
        for name, share in shares.items():
            print(f"  {name:<22} {share:.3f} of the teacher's accuracy")


if __name__ == "__main__":
    main()
