"""The training set: labeled rows, transfer rows, synthetic rows, and targets.

``DistilledClassifier.fit`` trains on the labeled rows ``X`` first, then the
unlabeled transfer rows ``X_unlabeled``, then the synthetic rows an augmenter
makes (``augment``); :func:`training_rows` puts them together, in memory or as
a :class:`BlockReader` over memory-mapped arrays. :func:`packed_targets` gives
each row its target for the loss and its weight, and :func:`fit_arguments`
turns them into what Keras's ``fit`` takes: shuffled batches, the validation
split, and row counts that split evenly across devices.
"""

import functools
import sys

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_array

from ._keras import held_out_data, training_data
from ._outofcore import BlockReader, is_memmap, streamed_batches
from ._transfer import check_augment


def check_sample_weight(sample_weight, n_samples):
    if sample_weight is None:
        return np.ones(n_samples, dtype=np.float32)
    sample_weight = check_array(
        sample_weight, ensure_2d=False, dtype=np.float32, input_name="sample_weight"
    )
    if sample_weight.shape != (n_samples,):
        raise ValueError(
            f"sample_weight must have shape ({n_samples},), one weight per row of X; "
            f"got shape {sample_weight.shape}."
        )
    if np.any(sample_weight < 0):
        raise ValueError("sample_weight must be non-negative; got negative weights.")
    return sample_weight


def check_unlabeled(X_unlabeled, X, streamed):
    if X_unlabeled is None:
        return None
    X_unlabeled = check_array(
        X_unlabeled,
        allow_nd=True,
        dtype="numeric" if streamed else np.float32,
        ensure_all_finite=not streamed,
        input_name="X_unlabeled",
    )
    if X_unlabeled.shape[1:] != X.shape[1:]:
        raise ValueError(
            f"X_unlabeled rows must have the shape of X's rows, {X.shape[1:]}; "
            f"got {X_unlabeled.shape[1:]}."
        )
    return X_unlabeled


def check_streamable(estimator):
    """Refuse options that need every row in memory when ``X`` is streamed."""
    if estimator.alpha == 1:
        return  # neither option is used without the soft term
    for name in ("augment", "teacher_cv"):
        value = getattr(estimator, name)
        if value is not None:
            raise ValueError(
                f"{name}={value!r} needs the training rows in memory, but X or "
                "X_unlabeled is a numpy.memmap, which fit streams block by "
                f"block. Set {name}=None, or pass in-memory arrays "
                "(np.asarray(X))."
            )


def training_rows(X, X_unlabeled, *, sources, augment, seed):
    """Every training row: ``X``, then ``X_unlabeled``, then synthetic rows.

    Parameters
    ----------
    X, X_unlabeled : ndarray or None
        The checked labeled and transfer rows.
    sources : tuple or None
        What the user passed as ``X`` and ``X_unlabeled``, where either is a
        ``numpy.memmap``: the rows are then read from the maps themselves,
        whose pages can be released, through a :class:`BlockReader`, and
        ``augment`` is not used. None for in-memory rows.
    augment : None, str or TransferAugmenter
        Makes synthetic rows from the others.
    seed : int or None
        Seeds the augmenter.

    Returns
    -------
    rows : ndarray or BlockReader
    """
    arrays = [X] if X_unlabeled is None else [X, X_unlabeled]
    if sources is not None:
        used = sources[: len(arrays)]
        arrays = [s if is_memmap(s) else a for s, a in zip(used, arrays, strict=True)]
        return BlockReader(arrays, ["X", "X_unlabeled"][: len(arrays)])
    rows = arrays[0] if len(arrays) == 1 else np.concatenate(arrays)
    augmenter = check_augment(augment)
    if augmenter is None:
        return rows
    synthetic = np.asarray(augmenter.generate(rows, random_state=seed), np.float32)
    if synthetic.shape[1:] != rows.shape[1:]:
        raise ValueError(
            f"augment made rows of shape {synthetic.shape[1:]}; the training "
            f"rows have shape {rows.shape[1:]}."
        )
    return np.concatenate([rows, synthetic])


def row_weights(sample_weight, n_rows):
    """Per-row weights: ``sample_weight`` on the labeled rows, then 1."""
    weights = np.ones(n_rows, dtype=np.float32)
    weights[: len(sample_weight)] = sample_weight
    return weights


def packed_targets(classes, y, sample_weight, t_logits):
    """Targets for the Keras loss (labeled rows first) and per-row weights."""
    from ._loss import pack_targets

    n_rows, n_labeled = len(t_logits), len(y)
    labeled = np.zeros(n_rows, dtype=np.float32)
    labeled[:n_labeled] = 1.0
    y_index = np.zeros(n_rows, dtype=np.float32)
    y_index[:n_labeled] = np.searchsorted(classes, y)
    weights = row_weights(sample_weight, n_rows)
    return pack_targets(y_index, labeled, t_logits), weights


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
    a block at a time. Under a Keras distribution that splits each batch
    across devices, the row counts are trimmed to a multiple of the number
    of devices (see :func:`_trim_to_shards`). In-memory rows whose pass
    takes at most ``max_repeated_steps`` batches are repeated without end,
    one pass per epoch (``repeat`` of :func:`skdistill._keras.training_data`);
    the data's ``steps_per_epoch`` then says so.
    """
    split = _validation_split(targets, n_labeled, validation_fraction, seed)
    if split is None:
        fit_rows, val_idx = np.arange(len(targets)), None
    else:
        train_idx, val_idx = split
        fit_rows = np.concatenate([train_idx, np.arange(n_labeled, len(targets))])
    shards = _batch_shards(batch_size)
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
