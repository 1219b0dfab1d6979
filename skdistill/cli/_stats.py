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


def pooled_latency(latencies):
    """One latency from a model's per-seed latencies (:func:`latencies`).

    For each row count, the median over seeds of each seed's median call,
    the largest of their 99th percentiles, the rows and timed calls behind
    each seed's, and the number of seeds.
    """
    return {
        n_rows: {
            "median": float(np.median([seed[n_rows]["median"] for seed in latencies])),
            "p99": float(np.max([seed[n_rows]["p99"] for seed in latencies])),
            "n_rows": latencies[0][n_rows]["n_rows"],
            "repeats": latencies[0][n_rows]["repeats"],
            "n_seeds": len(latencies),
        }
        for n_rows in latencies[0]
    }


def pooled_shipped(records):
    """One shipped-student entry from its per-seed records, or the first
    seed's reason where a seed's graph could not be made."""
    errors = [record["error"] for record in records if "error" in record]
    if errors:
        return {"error": errors[0]}
    return {
        "onnx_bytes": records[-1]["onnx_bytes"],
        "onnx_latency_ms": pooled_latency([r["onnx_latency_ms"] for r in records]),
    }
