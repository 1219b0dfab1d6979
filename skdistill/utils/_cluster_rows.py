"""Transfer rows labelled where they live, and a Keras student fed from them.

After the teacher's pass over a Dask ``X_unlabeled``
(:mod:`skdistill.distill._cluster_pass`), each partition's rows sit beside
the teacher's outputs on them, on the worker that labelled them (or in this
process, under Dask's local scheduler): a :class:`LabelledPartitions`. A
scikit-learn student gets them gathered once; a Keras student trains from
:func:`cluster_batches`, a ``keras.utils.PyDataset`` that fetches one
partition at a time, the next one while the current one is read, so that
this process holds at most the partitions a batch spans and the next one.
"""

import copy
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

_FETCHER = None
_FETCHER_LOCK = threading.Lock()


def _fetcher():
    """The one thread that fetches partitions ahead of training, made on first use."""
    global _FETCHER
    with _FETCHER_LOCK:
        if _FETCHER is None:
            _FETCHER = ThreadPoolExecutor(1, thread_name_prefix="skdistill-fetch")
    return _FETCHER


class LabelledPartitions:
    """Each partition's rows and the teacher's outputs on them, where they lie.

    Parameters
    ----------
    parts : list
        Per partition, a ``distributed.Future`` of ``(rows, outputs,
        summary)`` held on the cluster, or that tuple itself (computed by
        Dask's local scheduler, in this process).
    client : distributed.Client or None
        The client of the futures.
    summaries : list of dict
        Per partition, what the worker reported: ``n_rows``, ``nbytes`` (its
        rows and outputs) and ``moments`` (a Keras student's feature sums).
    keras : bool
        Whether the rows are a Keras student's float32 rows.
    """

    def __init__(self, parts, client, summaries, keras):
        self._parts, self._client = list(parts), client
        self.lengths = [int(s["n_rows"]) for s in summaries]
        self.nbytes = int(sum(s["nbytes"] for s in summaries))
        self._moments = [s["moments"] for s in summaries]
        self.keras = keras
        self.pack = None

    @property
    def n_rows(self):
        return int(sum(self.lengths))

    @property
    def on_cluster(self):
        return self._client is not None

    def __len__(self):
        return len(self.lengths)

    def add_moments(self, moments):
        """``moments`` (a :class:`FeatureMoments`) with every partition's added."""
        for part in self._moments:
            if part is not None:
                moments.merge(part)
        return moments

    def packed_by(self, pack):
        """These partitions, with :meth:`fetch` giving ``pack(outputs)``."""
        packed = copy.copy(self)
        packed.pack = pack
        return packed

    def fetch(self, index):
        """Partition ``index``'s rows and outputs (packed, with :meth:`packed_by`)."""
        part = self._parts[index]
        rows, outputs, _ = part.result() if self.on_cluster else part
        return rows, outputs if self.pack is None else self.pack(outputs)

    def gather(self):
        """Every partition's ``(rows, outputs)``, brought here at once."""
        parts = self._client.gather(self._parts) if self.on_cluster else self._parts
        return [(rows, outputs) for rows, outputs, _ in parts]

    def release(self):
        """Let the cluster forget the rows and outputs; this object is empty after."""
        if self.on_cluster:
            for future in self._parts:
                future.release()
        self._parts = []


class ClusterRows:
    """A Keras student's training rows: the labeled rows here, then the
    transfer rows, labelled, where they lie.

    Parameters
    ----------
    local : ndarray of shape (n_local, ...)
        The labeled rows as the student reads them (float32).
    transfer : LabelledPartitions
        The transfer rows, with :meth:`LabelledPartitions.packed_by` set.
    """

    def __init__(self, local, transfer):
        self.local, self.transfer = local, transfer
        self.shape = (len(local) + transfer.n_rows, *local.shape[1:])

    def __len__(self):
        return self.shape[0]


def _shares(n, lengths):
    """``n`` split in proportion to ``lengths``, as integers summing to ``n``."""
    lengths = np.asarray(lengths, dtype=np.float64)
    if n == 0 or lengths.sum() == 0:
        shares = np.zeros(len(lengths), dtype=np.int64)
        if len(shares):
            shares[0] = n
        return shares
    exact = n * lengths / lengths.sum()
    shares = np.floor(exact).astype(np.int64)
    # The rows left over go to the largest remainders.
    shares[np.argsort(shares - exact, kind="stable")[: n - shares.sum()]] += 1
    return shares


def cluster_batches(rows, targets, weights, fit_local, *, batch_size, seed, shards=1):
    """A ``keras.utils.PyDataset`` of ``(x, targets, weights)`` mini-batches.

    Each epoch visits the partitions in a new random order; the labeled rows
    trained on (``fit_local``) are dealt out to the partitions in proportion
    to their rows, a new draw each epoch, and each partition's rows are
    shuffled with its labeled rows. Batches run across partitions, so every
    batch but the last has ``batch_size`` rows.

    Parameters
    ----------
    rows : ClusterRows
        The rows.
    targets, weights : ndarray
        The labeled rows' packed targets and weights (transfer rows weigh 1).
    fit_local : ndarray of int
        The labeled rows to train on (the others are held out).
    batch_size : int
        Rows per batch.
    seed : int or None
        Seeds the order.
    shards : int, default=1
        Devices each batch is split across: the rows trained on per epoch
        are cut to a multiple of it.
    """
    from ._keras import import_keras

    keras = import_keras()
    transfer = rows.transfer

    class _ClusterBatches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self._rng = np.random.default_rng(seed)
            self._groups = _shares(len(fit_local), transfer.lengths)
            self._sizes = np.asarray(transfer.lengths) + self._groups
            total = int(self._sizes.sum())
            self.n_rows = total - total % shards
            self._loaded, self._pending = {}, {}
            self._plan()

        def _plan(self):
            self._order = self._rng.permutation(len(transfer))
            dealt = np.split(
                self._rng.permutation(fit_local), np.cumsum(self._groups)[:-1]
            )
            self._dealt = dealt
            self._starts = np.concatenate([[0], np.cumsum(self._sizes[self._order])])
            self._loaded, self._pending = {}, {}
            self._prefetch(0)

        def __len__(self):
            return -(-self.n_rows // batch_size)

        def _prefetch(self, position):
            if position < len(self._order) and position not in self._loaded:
                if position not in self._pending and transfer.on_cluster:
                    fetch = transfer.fetch
                    index = self._order[position]
                    self._pending[position] = _fetcher().submit(fetch, index)

        def _block(self, position):
            if position in self._loaded:
                return self._loaded[position]
            index = self._order[position]
            pending = self._pending.pop(position, None)
            x, packed = pending.result() if pending else transfer.fetch(index)
            mine = self._dealt[index]
            x = np.concatenate([x, rows.local[mine]])
            y = np.concatenate([packed, targets[mine]])
            w = np.concatenate([np.ones(len(packed), np.float32), weights[mine]])
            perm = self._rng.permutation(len(x))
            self._loaded[position] = block = (x[perm], y[perm], w[perm])
            return block

        def __getitem__(self, index):
            lo = index * batch_size
            hi = min(lo + batch_size, self.n_rows)
            first = int(np.searchsorted(self._starts, lo, "right")) - 1
            last = int(np.searchsorted(self._starts, hi - 1, "right")) - 1
            for position in [p for p in self._loaded if p < first]:
                del self._loaded[position]
            self._prefetch(last + 1)
            pieces = []
            for position in range(first, last + 1):
                start = self._starts[position]
                block = self._block(position)
                a, b = max(lo - start, 0), min(hi - start, len(block[0]))
                pieces.append(tuple(part[a:b] for part in block))
            return tuple(np.concatenate(column) for column in zip(*pieces, strict=True))

        def on_epoch_end(self):
            self._plan()

    return _ClusterBatches()
