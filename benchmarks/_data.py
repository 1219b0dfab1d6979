"""The benchmarks' data: the synthetic 5-class problem and the real tables.

The tables (``nass_cds.csv.gz``, ``lending_club.csv.gz``) are read from a
data folder, by default ``../shared/data`` beside the checkout (see
``_harness.default_data_dir``).
"""

from pathlib import Path

import numpy as np

# The synthetic problem's shape (make_classification), the flags' defaults.
PROBLEM = {
    "n_test": 5_000,
    "n_features": 20,
    "n_informative": 12,
    "n_redundant": 4,
    "n_classes": 5,
    "n_clusters": 3,
    "class_sep": 1.0,
}

# The real tables as binary problems: file, target column, positive class,
# columns dropped (they leak the outcome or identify the row).
TABLES = {
    "nass": {
        "file": "nass_cds.csv.gz",
        "target": "dead",
        "positive": "dead",
        # injSeverity is the injury outcome; caseid identifies the crash.
        "drop": ["injSeverity", "caseid"],
    },
    "lending": {
        "file": "lending_club.csv.gz",
        "target": "Class",
        "positive": "bad",
        # Every column is known when the loan is granted: none records the
        # loan's outcome or identifies it, so none is dropped.
        "drop": [],
    },
}


def make_problem(config, seed):
    """Teacher rows, the owner's labeled and unlabeled rows, and test rows."""
    from sklearn.datasets import make_classification

    sizes = [
        config["n_teacher"],
        config["n_labeled"],
        config["n_unlabeled"],
        config["n_test"],
    ]
    X, y = make_classification(
        n_samples=sum(sizes),
        n_features=config["n_features"],
        n_informative=config["n_informative"],
        n_redundant=config["n_redundant"],
        n_classes=config["n_classes"],
        n_clusters_per_class=config["n_clusters"],
        class_sep=config["class_sep"],
        flip_y=0.0,
        random_state=seed,
    )
    X = X.astype(np.float32)
    bounds = np.cumsum([0, *sizes])
    parts = [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    # The unlabeled rows' labels are dropped: no method sees them.
    return {
        "teacher": (X[parts[0]], y[parts[0]]),
        "labeled": (X[parts[1]], y[parts[1]]),
        "unlabeled": X[parts[2]],
        "test": (X[parts[3]], y[parts[3]]),
    }


def split_rows(y, sizes, seed):
    """Stratified index sets of the given sizes (the last takes the rest)."""
    from sklearn.model_selection import train_test_split

    rest = np.arange(len(y))
    parts = []
    for size in sizes:
        taken, rest = train_test_split(
            rest, train_size=size, stratify=y[rest], random_state=seed
        )
        parts.append(np.sort(taken))
    parts.append(np.sort(rest))
    return parts


def read_table(name, where):
    """The table's raw frame (its target column taken out) and 0/1 target.

    ``where``: the data folder, or the table's file.
    """
    import pandas as pd

    spec = TABLES[name]
    path = Path(where)
    frame = pd.read_csv(path / spec["file"] if path.is_dir() else path)
    y = (frame.pop(spec["target"]) == spec["positive"]).to_numpy().astype(np.int64)
    return frame.drop(columns=spec["drop"]), y


def string_columns(frame):
    import pandas as pd

    return [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]


def one_hot(frame, dtype=np.float64):
    """Features with one-hot string columns (NaN kept), and the dummies' mask."""
    import pandas as pd

    strings = string_columns(frame)
    frame = pd.get_dummies(frame, columns=strings, dtype=dtype)
    dummies = np.array(
        [any(c.startswith(f"{s}_") for s in strings) for c in frame.columns]
    )
    return frame.to_numpy(dtype), dummies, list(frame.columns)


def as_categories(frame):
    """The frame with its string columns as ``category`` columns."""
    frame = frame.copy()
    for column in string_columns(frame):
        frame[column] = frame[column].astype("category")
    return frame


def fill_medians(X, train):
    """``X`` with missing numbers replaced by the median of the ``train`` rows."""
    missing = np.isnan(X)
    if missing.any():
        X = X.copy()
        medians = np.nanmedian(X[train], axis=0)
        X[missing] = np.take(medians, np.nonzero(missing)[1])
    return X


def make_encoder(frame, impute=False):
    """One-hot the string columns, scale the numbers (a fresh, unfitted one).

    ``impute``: missing numbers take the median first.
    """
    from sklearn.compose import make_column_transformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    strings = string_columns(frame)
    one_hot = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
    if impute:
        numbers = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
        return make_column_transformer((one_hot, strings), remainder=numbers)
    numeric = [c for c in frame.columns if c not in strings]
    return make_column_transformer((one_hot, strings), (StandardScaler(), numeric))


def synthetic_problem(sizes, seed):
    """:func:`make_problem` of ``PROBLEM``'s shape with the given row counts
    (``n_teacher``, ``n_labeled``, ``n_unlabeled``); no categorical column."""
    problem = {**PROBLEM, **{k: sizes[k] for k in sizes if k in PROBLEM_SIZES}}
    data = make_problem(problem, seed)
    data["categorical"] = np.zeros(problem["n_features"], dtype=bool)
    return data


PROBLEM_SIZES = ("n_teacher", "n_labeled", "n_unlabeled", "n_test")


def standardize(data):
    """Scale every feature by a scaler fitted on the non-test rows (float32)."""
    from sklearn.preprocessing import StandardScaler

    train = np.vstack([data["teacher"][0], data["labeled"][0], data["unlabeled"]])
    scaler = StandardScaler().fit(train)

    def scale(X):
        return scaler.transform(X).astype(np.float32)

    out = dict(data)
    for part in ("teacher", "labeled", "test"):
        X, y = data[part]
        out[part] = (scale(X), y)
    out["unlabeled"] = scale(data["unlabeled"])
    return out
