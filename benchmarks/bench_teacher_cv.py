"""Out-of-fold soft targets (``teacher_cv``) against in-sample ones.

The owner has only labeled rows and trains the teacher inside ``fit`` (an
unfitted teacher). Without ``teacher_cv`` the student learns from the
teacher's predictions on the rows it was fitted on; with ``teacher_cv=5``,
from predictions made by teachers that did not see the row. On the problem of
``bench_transfer.py`` (2,000 labeled rows, 5,000 test rows), for a random
forest and a gradient-boosting teacher, over several seeds, this prints test
accuracy of the teacher and of the two students.

Run::

    python benchmarks/bench_teacher_cv.py

Add ``--quick`` for a look in seconds (what CI runs).
"""

import sys

from _data import PROBLEM, make_problem
from _harness import make_parser, make_teacher, parse, spread, write_json


def teachers(seed):
    return {
        "random forest (300 trees)": make_teacher("rf", seed),
        "gradient boosting (300 iterations)": make_teacher("hgb", seed),
    }


def parse_args(argv):
    parser = make_parser(
        __doc__, quick="one seed, 300 labeled rows, 500 test rows, 3 epochs, 2 folds"
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--n-labeled", type=int, default=2_000)
    parser.add_argument("--n-test", type=int, default=PROBLEM["n_test"])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--folds", type=int, default=5)
    quick = dict(seeds=[0], n_labeled=300, n_test=500, epochs=3, folds=2)
    return parse(parser, argv, quick)


def fit_students(teacher, X, y, seed, args):
    """Test accuracy of the student from in-sample and out-of-fold targets."""
    from sklearn.base import clone

    from skdistill import DistilledClassifier, MLPStudent

    for label, cv in (("in-sample", None), ("cv", args.folds)):
        student = DistilledClassifier(
            teacher=clone(teacher),
            teacher_cv=cv,
            student=MLPStudent(hidden_units=(128, 128), standardize=True),
            temperature=2.0,
            alpha=0.1,
            epochs=args.epochs,
            batch_size=128,
            n_iter_no_change=None,
            random_state=seed,
        )
        yield label, student.fit(X, y)


def main(argv=None):
    from sklearn.base import clone

    args = parse_args(argv)
    # bench_transfer's problem, with no teacher or unlabeled rows to speak of.
    config = {**PROBLEM, "n_teacher": 1, "n_labeled": args.n_labeled, "n_unlabeled": 1}
    config["n_test"] = args.n_test
    scores = {}
    for seed in args.seeds:
        data = make_problem(config, seed)
        X, y = data["labeled"]
        X_test, y_test = data["test"]
        for name, teacher in teachers(seed).items():
            row = scores.setdefault(name, {"teacher": [], "in-sample": [], "cv": []})
            row["teacher"].append(clone(teacher).fit(X, y).score(X_test, y_test))
            for label, student in fit_students(teacher, X, y, seed, args):
                row[label].append(student.score(X_test, y_test))
            print(
                f"seed {seed} {name}: "
                + ", ".join(f"{k} {v[-1]:.4f}" for k, v in row.items()),
                flush=True,
            )
    print(
        f"\n{args.n_labeled:,} labeled rows, {args.n_test:,} test rows, seeds "
        f"{args.seeds}; test accuracy, mean ± sd\n"
    )
    print(
        "| teacher | teacher | student, in-sample targets "
        f"| student, teacher_cv={args.folds} |"
    )
    print("|---|---:|---:|---:|")
    for name, row in scores.items():
        cells = []
        for values in row.values():
            mean, sd = spread(values, population=True)
            cells.append(f"{100 * mean:.2f}% ± {100 * sd:.2f}")
        print(f"| {name} | " + " | ".join(cells) + " |")
    if args.json:
        write_json(args.json, {"config": vars(args), "accuracy": scores})
    return 0


if __name__ == "__main__":
    sys.exit(main())
