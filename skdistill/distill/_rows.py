"""The training rows: labeled rows, then transfer rows, then synthetic rows.

``fit`` trains on the labeled rows ``X`` first, then the unlabeled transfer
rows ``X_unlabeled``, then the synthetic rows an augmenter makes
(``augment``); :func:`training_rows` puts them together, in memory, as a
:class:`~skdistill.utils._outofcore.BlockReader` over memory-mapped arrays, or
as the labeled rows here beside a Dask collection of transfer rows.
"""

import numpy as np

from ..utils._dask import ClusterTransferRows, DaskTransfer
from ..utils._frames import check_same_columns, concat_rows, is_frame
from ..utils._outofcore import BlockReader, is_memmap
from ._transfer import check_augment


def training_rows(X, X_unlabeled, *, sources, augment, seed):
    """Every training row: ``X``, then ``X_unlabeled``, then synthetic rows.

    Parameters
    ----------
    X, X_unlabeled : ndarray, DataFrame or None
        The checked labeled and transfer rows; frames are joined as frames,
        with the columns and dtypes of ``X``. ``X_unlabeled`` may be a
        checked Dask collection (a ``DaskTransfer``), which stays where it
        is: the rows are then a :class:`ClusterTransferRows`.
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
    rows : ndarray, DataFrame, BlockReader or ClusterTransferRows
    """
    if isinstance(X_unlabeled, DaskTransfer):
        return ClusterTransferRows(X, X_unlabeled)
    arrays = [X] if X_unlabeled is None else [X, X_unlabeled]
    if sources is not None:
        used = sources[: len(arrays)]
        arrays = [s if is_memmap(s) else a for s, a in zip(used, arrays, strict=True)]
        return BlockReader(arrays, ["X", "X_unlabeled"][: len(arrays)])
    rows = concat_rows(arrays)
    augmenter = check_augment(augment)
    if augmenter is None:
        return rows
    synthetic = augmenter.generate(rows, random_state=seed)
    if is_frame(rows):
        synthetic = check_same_columns(synthetic, rows, "augment's rows")
        return concat_rows([rows, synthetic])
    synthetic = np.asarray(synthetic, np.float32)
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
