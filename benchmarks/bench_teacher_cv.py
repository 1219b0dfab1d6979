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
"""

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).parent))

import numpy as np  # noqa: E402
from bench_transfer import PROBLEM, make_problem  # noqa: E402


def teachers(seed):
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier

    return {
        "random forest (300 trees)": RandomForestClassifier(300, random_state=seed),
        "gradient boosting (300 iterations)": HistGradientBoostingClassifier(
            max_iter=300, early_stopping=False, random_state=seed
        ),
    }


def main(argv=None):
    from sklearn.base import clone

    from skdistill import DistilledClassifier, MLPStudent

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--n-labeled", type=int, default=2_000)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args(argv)
    # bench_transfer's problem, with no teacher or unlabeled rows to speak of.
    config = {**PROBLEM, "n_teacher": 1, "n_labeled": args.n_labeled, "n_unlabeled": 1}
    scores = {}
    for seed in args.seeds:
        data = make_problem(config, seed)
        X, y = data["labeled"]
        X_test, y_test = data["test"]
        for name, teacher in teachers(seed).items():
            row = scores.setdefault(name, {"teacher": [], "in-sample": [], "cv": []})
            row["teacher"].append(clone(teacher).fit(X, y).score(X_test, y_test))
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
                ).fit(X, y)
                row[label].append(student.score(X_test, y_test))
            print(
                f"seed {seed} {name}: "
                + ", ".join(f"{k} {v[-1]:.4f}" for k, v in row.items()),
                flush=True,
            )
    print(
        f"\n{args.n_labeled:,} labeled rows, 5,000 test rows, seeds {args.seeds}; "
        "test accuracy, mean ± sd\n"
    )
    print(
        "| teacher | teacher | student, in-sample targets "
        f"| student, teacher_cv={args.folds} |"
    )
    print("|---|---:|---:|---:|")
    for name, row in scores.items():
        cells = [
            f"{100 * np.mean(v):.2f}% ± {100 * np.std(v):.2f}" for v in row.values()
        ]
        print(f"| {name} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
