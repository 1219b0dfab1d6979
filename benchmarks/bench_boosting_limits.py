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

Add ``--quick`` for a look in seconds (what CI runs).
"""

import sys
import time

import numpy as np
from _data import standardize, synthetic_problem
from _harness import make_parser, make_student, make_teacher, parse


def timed(function):
    start = time.perf_counter()
    out = function()
    return out, time.perf_counter() - start


def expansion_times(data, teacher, seed, temperature, alpha):
    """Seconds to fit the student on hard labels and on expanded rows."""
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
        return make_student("hgb100", seed)

    fits = {
        f"hard labels, {len(X):,} rows": lambda: student().fit(X, hard),
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
    from skdistill import DistilledClassifier

    (X_l, y_l), X_u, (X_t, y_t) = data["labeled"], data["unlabeled"], data["test"]
    teacher_accuracy = teacher.score(X_t, y_t)
    classifier = make_student("hgb100", seed)
    regressor = make_student("hgb100", seed, regression=True)
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
    parser = make_parser(
        __doc__, quick="2,000 teacher rows, 300 labeled, 2,000 unlabeled, 500 test"
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--alpha", type=float, default=0.1)
    parser.add_argument("--n-teacher", type=int, default=20_000)
    parser.add_argument("--n-labeled", type=int, default=2_000)
    parser.add_argument("--n-unlabeled", type=int, default=20_000)
    parser.add_argument("--n-test", type=int, default=5_000)
    quick = dict(seeds=[0], n_teacher=2_000, n_labeled=300, n_unlabeled=2_000)
    args = parse(parser, argv, {**quick, "n_test": 500})
    for seed in args.seeds:
        data = standardize(synthetic_problem(vars(args), seed))
        teacher = make_teacher("hgb", seed).fit(*data["teacher"])
        print(f"seed {seed}, T={args.temperature:g}, alpha={args.alpha:g}")
        times = expansion_times(data, teacher, seed, args.temperature, args.alpha)
        base = next(iter(times.values()))
        for name, seconds in times.items():
            print(f"  fit on {name:<40} {seconds:6.2f} s  {seconds / base:5.2f}x")
        shares = shares_of_teacher(data, teacher, seed, args.temperature, args.alpha)
        print(f"  teacher accuracy {shares.pop('teacher accuracy'):.4f}")
        for name, share in shares.items():
            print(f"  {name:<22} {share:.3f} of the teacher's accuracy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
