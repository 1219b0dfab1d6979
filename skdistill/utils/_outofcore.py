"""Fitting on memory-mapped arrays larger than what should be held in memory.

``DistilledClassifier.fit`` streams a ``numpy.memmap`` (as returned by
``np.load(path, mmap_mode="r")``) instead of copying it: the rows are read in
blocks of about :data:`BLOCK_BYTES`, converted to float32 block by block, run
through the teacher block by block, and fed to Keras's ``fit`` by a
``keras.utils.PyDataset`` that reads one block at a time.

Reading a memory-mapped file maps its pages into the process, and Linux counts
mapped pages in the resident set (``VmRSS``) until memory runs short. After a
block of a read-only mapping has been copied, its pages are therefore released
from this process with ``madvise(MADV_DONTNEED)``; they stay in the operating
system's page cache, so a later read costs no disk access. Copy-on-write
mappings (``mmap_mode="c"``) are never released: that would discard the
user's private changes.

Shuffling is by chunk and block: each epoch, chunks of about
:data:`CHUNK_BYTES` of consecutive rows are put in a fresh random order and
grouped into blocks, and the rows of each block are shuffled. Every batch comes
from one block, which mixes rows from many places in the file (rows stored
sorted by class still make mixed batches), and only one block is in memory.
"""

import math
import mmap
import weakref

import numpy as np
from sklearn.utils.validation import assert_all_finite

#: Bytes of float32 rows read, converted and kept in memory at a time.
BLOCK_BYTES = 16 * 2**20
#: Bytes of consecutive rows that training reads from one place in the file;
#: a block gathers ``BLOCK_BYTES / CHUNK_BYTES`` chunks from random places.
CHUNK_BYTES = 2**20
# More runs of consecutive rows than this in one read are gathered at once.
_MAX_RUNS = 256


def is_memmap(X):
    """Whether ``X`` is a ``numpy.memmap``, which ``fit`` then streams."""
    return isinstance(X, np.memmap)


_MAPPING_STARTS = weakref.WeakKeyDictionary()


def _mapping_start(mapping):
    # The address of the first byte of the mmap object, found once per mapping.
    start = _MAPPING_STARTS.get(mapping)
    if start is None:
        view = np.frombuffer(mapping, dtype=np.uint8)
        start = view.ctypes.data
        del view
        _MAPPING_STARTS[mapping] = start
    return start


def release_rows(array, start, stop):
    """Release the pages of ``array[start:stop]`` from this process's resident set.

    Does nothing unless ``array`` is a read-only or shared (``"r"`` or
    ``"r+"``) ``numpy.memmap`` on a platform with ``madvise``. The data is not
    changed: the next read of a released page maps it again from the page
    cache or the file.
    """
    mapping = getattr(array, "_mmap", None)
    if (
        not isinstance(mapping, mmap.mmap)
        or getattr(array, "mode", None) not in ("r", "r+")
        or not hasattr(mapping, "madvise")
        or stop <= start
        or array.strides[0] <= 0
    ):
        return
    try:
        base = _mapping_start(mapping)
    except (TypeError, ValueError, BufferError):
        return
    first = array.ctypes.data + start * array.strides[0] - base
    last = array.ctypes.data + stop * array.strides[0] - base
    page = mmap.PAGESIZE
    first = max(0, first // page * page)
    last = min(len(mapping), -(-last // page) * page)
    if last > first:
        mapping.madvise(mmap.MADV_DONTNEED, first, last - first)


class BlockReader:
    """The rows of one or more arrays, read as float32 a block at a time.

    Parameters
    ----------
    arrays : list of ndarray
        Arrays whose rows have one shape; row ``i`` of the reader is row ``i``
        of their concatenation, which is never built.
    names : list of str
        The parameter each array came from, for error messages.
    block_bytes : int, default=None
        Size of a block of float32 rows; None is :data:`BLOCK_BYTES`.
    """

    def __init__(self, arrays, names, *, block_bytes=None):
        self.arrays = list(arrays)
        self.names = list(names)
        self.offsets = np.cumsum([0] + [len(a) for a in self.arrays])
        self.row_shape = tuple(self.arrays[0].shape[1:])
        row_bytes = 4 * max(1, math.prod(self.row_shape))
        if block_bytes is None:
            block_bytes = BLOCK_BYTES
        self.block_rows = max(1, int(block_bytes) // row_bytes)
        self.chunk_rows = max(1, min(self.block_rows, CHUNK_BYTES // row_bytes))

    def __len__(self):
        return int(self.offsets[-1])

    def blocks(self):
        """``(start, stop)`` of consecutive blocks covering every row."""
        for start in range(0, len(self), self.block_rows):
            yield start, min(start + self.block_rows, len(self))

    def take(self, rows, *, check_finite=False):
        """The rows at the sorted positions ``rows``, as a new float32 array.

        Runs of consecutive rows are copied as slices and their pages released
        one run at a time. With ``check_finite``, raises ValueError naming the
        parameter whose rows hold NaN or infinity.
        """
        rows = np.asarray(rows)
        out = np.empty((len(rows), *self.row_shape), dtype=np.float32)
        bounds = np.searchsorted(rows, self.offsets)
        for k, array in enumerate(self.arrays):
            lo, hi = bounds[k], bounds[k + 1]
            if lo == hi:
                continue
            local = rows[lo:hi] - self.offsets[k]
            breaks = np.flatnonzero(np.diff(local) != 1) + 1
            if len(breaks) < _MAX_RUNS:
                for run_lo, run_hi in zip(
                    [0, *breaks], [*breaks, len(local)], strict=True
                ):
                    first, last = int(local[run_lo]), int(local[run_hi - 1]) + 1
                    out[lo + run_lo : lo + run_hi] = array[first:last]
                    release_rows(array, first, last)
            else:
                # Scattered rows (a validation split): gather, release the span.
                out[lo:hi] = array[local]
                release_rows(array, int(local[0]), int(local[-1]) + 1)
            if check_finite:
                assert_all_finite(out[lo:hi], input_name=self.names[k])
        return out

    def read(self, start, stop, *, check_finite=False):
        """Rows ``start`` to ``stop`` as a new float32 array."""
        return self.take(np.arange(start, stop), check_finite=check_finite)


class FeatureMoments:
    """Per-feature mean and standard deviation, accumulated block by block."""

    def __init__(self):
        self.n, self.total, self.squares = 0, 0.0, 0.0

    def add(self, block):
        # float64 sums, without a float64 copy of the block.
        self.n += len(block)
        self.total = self.total + block.sum(axis=0, dtype=np.float64)
        self.squares = self.squares + np.square(block).sum(axis=0, dtype=np.float64)

    def merge(self, other):
        """Add what ``other``, another accumulator, has counted."""
        self.n += other.n
        self.total = self.total + other.total
        self.squares = self.squares + other.squares

    def mean_std(self):
        mean = self.total / self.n
        var = np.maximum(self.squares / self.n - np.square(mean), 0.0)
        return mean.astype(np.float32), np.sqrt(var).astype(np.float32)


def streamed_batches(reader, targets, weights, rows, *, batch_size, shuffle, seed):
    """A ``keras.utils.PyDataset`` of ``(x, targets, weights)`` mini-batches.

    Parameters
    ----------
    reader : BlockReader
        Where the rows are read from.
    targets, weights : ndarray
        Per-row targets and weights, in memory, indexed like ``reader``.
    rows : ndarray of int
        The rows to visit (the training or the validation rows).
    batch_size : int
        Rows per batch.
    shuffle : bool
        Visit blocks, and rows within a block, in a new random order each epoch.
    seed : int or None
        Seeds the shuffling.
    """
    from ._keras import import_keras

    keras = import_keras()

    class _StreamedBatches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self._rows = np.sort(np.asarray(rows))
            # Chunks of rows that are read together; a block is a whole number
            # of batches, gathered from chunks taken in a random order.
            chunk = reader.chunk_rows if shuffle else reader.block_rows
            self._chunks = [
                self._rows[i : i + chunk] for i in range(0, len(self._rows), chunk)
            ]
            self._per_block = max(1, reader.block_rows // batch_size) * batch_size
            self._rng = np.random.default_rng(seed)
            n_blocks = -(-len(self._rows) // self._per_block)
            self._n_batches = sum(
                -(
                    -min(self._per_block, len(self._rows) - b * self._per_block)
                    // batch_size
                )
                for b in range(n_blocks)
            )
            self._plan()

        def _plan(self):
            n = len(self._chunks)
            order = self._rng.permutation(n) if shuffle else np.arange(n)
            visit = np.concatenate([self._chunks[i] for i in order])
            self._blocks = [
                visit[i : i + self._per_block]
                for i in range(0, len(visit), self._per_block)
            ]
            self._batches = [
                (b, s)
                for b, block in enumerate(self._blocks)
                for s in range(0, len(block), batch_size)
            ]
            self._loaded, self._x, self._block_rows = None, None, None

        def __len__(self):
            return self._n_batches

        def __getitem__(self, index):
            b, s = self._batches[index]
            if self._loaded != b:
                block = np.sort(self._blocks[b])
                x = reader.take(block)
                if shuffle:
                    perm = self._rng.permutation(len(block))
                    x, block = x[perm], block[perm]
                self._loaded, self._x, self._block_rows = b, x, block
            rows_here = self._block_rows[s : s + batch_size]
            return (
                self._x[s : s + batch_size],
                targets[rows_here],
                weights[rows_here],
            )

        def on_epoch_end(self):
            self._plan()

    return _StreamedBatches()


def map_blocks(reader, fn, *, progress=None):
    """``fn`` applied to each block of rows (read and checked), stacked by row.

    Parameters
    ----------
    reader : BlockReader
        The rows.
    fn : callable
        Takes a float32 block, returns an array with a row per row of the block,
        or None.
    progress : keras.utils.Progbar or None, default=None
        Updated with the number of rows done.

    Returns
    -------
    out : ndarray of float32 or None
        The outputs of every block in one array allocated once, or None where
        ``fn`` returns None.
    """
    out = None
    for start, stop in reader.blocks():
        result = fn(reader.read(start, stop, check_finite=True))
        if result is not None:
            if out is None:
                out = np.empty((len(reader), *np.shape(result)[1:]), np.float32)
            out[start:stop] = result
        if progress is not None:
            progress.update(stop)
    return out
