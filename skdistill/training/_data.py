"""What Keras's ``fit`` takes: shuffled batches, the validation split, and
row counts that split evenly across devices.

:func:`fit_arguments` turns the training rows (in memory, a
:class:`~skdistill.utils._outofcore.BlockReader` over memory-mapped arrays,
or :class:`~skdistill.utils._cluster_rows.ClusterRows` whose transfer rows
lie on a Dask cluster), their packed targets and their weights into Keras
``fit`` arguments.
"""

import functools
import sys

import numpy as np
from sklearn.model_selection import train_test_split

from ..utils._cluster_rows import ClusterRows, cluster_batches
from ..utils._keras import held_out_data, training_data
from ..utils._outofcore import BlockReader, streamed_batches


def fit_arguments(
    rows,
    targets,
    weights,
    *,
    n_labeled,
    batch_size,
    validation_fraction,
    seed,
    max_repeated_steps=0,
):
    """Keras ``fit`` arguments for the training rows, the validation data and
    the number of training rows.

    In-memory rows become a shuffled ``tf.data`` pipeline (or arrays, off
    TensorFlow); a :class:`BlockReader` becomes a ``PyDataset`` that reads
    a block at a time; :class:`ClusterRows`, one that fetches a partition at
    a time (``targets`` and ``weights`` then cover the labeled rows, which
    alone are held out for validation). Under a Keras distribution that
    splits each batch across devices, the row counts are trimmed to a
    multiple of the number of devices (see :func:`_trim_to_shards`).
    In-memory rows whose pass takes at most ``max_repeated_steps`` batches
    are repeated without end, one pass per epoch (``repeat`` of
    :func:`skdistill._keras.training_data`); the data's ``steps_per_epoch``
    then says so.
    """
    split = _validation_split(targets, n_labeled, validation_fraction, seed)
    if split is None:
        fit_rows, val_idx = np.arange(len(targets)), None
    else:
        train_idx, val_idx = split
        fit_rows = np.concatenate([train_idx, np.arange(n_labeled, len(targets))])
    shards = _batch_shards(batch_size)
    if isinstance(rows, ClusterRows):
        return _cluster_arguments(
            rows, targets, weights, fit_rows, val_idx, shards, batch_size, seed
        )
    if shards > 1:
        fit_rows = _trim_to_shards(fit_rows, shards, seed)
        if val_idx is not None:
            val_idx = _trim_to_shards(val_idx, shards, seed)
    n_fit_rows = len(fit_rows)

    if isinstance(rows, BlockReader):
        batches = functools.partial(
            streamed_batches, rows, targets, weights, batch_size=batch_size, seed=seed
        )
        data = {"x": batches(fit_rows, shuffle=True), "shuffle": False}
        validation_data = None if val_idx is None else batches(val_idx, shuffle=False)
        return data, validation_data, n_fit_rows

    if n_fit_rows == len(targets) and split is None:
        # Every row in order: a slice indexes without copying the rows.
        fit_rows = slice(None)
    data = training_data(
        rows[fit_rows],
        targets[fit_rows],
        weights[fit_rows],
        batch_size=batch_size,
        seed=seed,
        repeat=-(-n_fit_rows // batch_size) <= max_repeated_steps,
    )
    validation_data = (
        None
        if val_idx is None
        else held_out_data(
            rows[val_idx], targets[val_idx], weights[val_idx], batch_size=batch_size
        )
    )
    return data, validation_data, n_fit_rows


def _cluster_arguments(
    rows, targets, weights, fit_local, val_idx, shards, batch_size, seed
):
    """Keras ``fit`` arguments for rows whose transfer rows are on a cluster."""
    data = cluster_batches(
        rows,
        targets,
        weights,
        fit_local,
        batch_size=batch_size,
        seed=seed,
        shards=shards,
    )
    validation_data = None
    if val_idx is not None:
        if shards > 1:
            val_idx = _trim_to_shards(val_idx, shards, seed)
        validation_data = held_out_data(
            rows.local[val_idx],
            targets[val_idx],
            weights[val_idx],
            batch_size=batch_size,
        )
    return {"x": data, "shuffle": False}, validation_data, data.n_rows


def _validation_split(targets, n_labeled, validation_fraction, seed):
    """Training and held-out labeled rows (``validation_fraction``), or None."""
    if not validation_fraction:
        return None
    labels = targets[:n_labeled, 0]
    counts = np.bincount(labels.astype(int))
    n_classes = np.count_nonzero(counts)
    n_val = int(np.ceil(validation_fraction * n_labeled))
    # Stratify where every class can appear on both sides of the split.
    can_stratify = counts[counts > 0].min() >= 2 and (
        n_classes <= n_val <= n_labeled - n_classes
    )
    stratify = labels if can_stratify else None
    return train_test_split(
        np.arange(n_labeled),
        test_size=validation_fraction,
        stratify=stratify,
        random_state=seed,
    )


def _batch_shards(batch_size):
    """Devices a global Keras distribution splits each batch across (1 if none).

    Checks that ``batch_size`` splits evenly across them.
    """
    keras = sys.modules.get("keras")
    distribution = keras.distribution.distribution() if keras is not None else None
    mesh = getattr(distribution, "device_mesh", None)
    batch_dim = getattr(distribution, "batch_dim_name", None)
    if mesh is None or batch_dim not in mesh.axis_names:
        return 1
    shards = int(mesh.shape[list(mesh.axis_names).index(batch_dim)])
    if shards > 1 and batch_size % shards:
        raise ValueError(
            f"batch_size={batch_size} does not split across the {shards} devices "
            f"of the Keras distribution ({type(distribution).__name__}): set "
            f"batch_size to a multiple of {shards}."
        )
    return shards


def _trim_to_shards(rows, shards, seed):
    """``rows`` less a few chosen at random, so that ``shards`` divides their count.

    Under a data-parallel distribution each batch, the last one included, is
    split evenly across devices; up to ``shards - 1`` rows sit out the fit.
    """
    extra = len(rows) % shards
    if not extra:
        return rows
    drop = np.random.default_rng(seed).choice(len(rows), size=extra, replace=False)
    return np.delete(rows, drop)
