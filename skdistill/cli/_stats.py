"""The statistics of the main job's reports: spread over seeds, paired intervals."""

import numpy as np


def mean_sd(values):
    """Mean and sample standard deviation (0 for a single value)."""
    values = np.asarray(values, dtype=np.float64)
    sd = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
    return {"mean": float(np.mean(values)), "sd": sd, "values": values.tolist()}


def paired_interval(differences, level=0.95):
    """Mean of paired ``differences`` and its t-interval (mean ± t·sd/√n)."""
    from scipy.stats import t

    d = np.asarray(differences, dtype=np.float64)
    n = len(d)
    mean = float(np.mean(d))
    if n < 2:
        return {"mean": mean, "ci95": [float("-inf"), float("inf")], "n": n}
    half = float(t.ppf(0.5 + level / 2, n - 1) * np.std(d, ddof=1) / np.sqrt(n))
    return {"mean": mean, "ci95": [mean - half, mean + half], "n": n}
