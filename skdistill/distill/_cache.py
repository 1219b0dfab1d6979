"""An in-process cache of teachers' outputs, shared by every estimator.

Grid searches, ``skdistill sweep`` and repeated fits distil many students from
the same teacher on the same rows. The teacher's logits depend only on the
teacher and the rows, not on ``temperature``, ``alpha`` or the student, so they
are computed once and reused.

Keys are content fingerprints, never object identities alone: the teacher's
weights or pickled state, and a 128-bit hash of each row's bytes. Outputs are
stored and looked up row by row, so overlapping row sets share work: the
training sets of the folds of a cross-validation overlap, and the teacher runs
only on the rows that no earlier fit has seen. A different or mutated row, or
a teacher whose weights changed, gets a new key and a fresh pass. An unfitted
teacher is fitted once per distinct (teacher parameters, X, y, sample_weight)
and the fitted teacher is reused.

The cache holds at most ``max_bytes`` of logits and row hashes (least recently
used blocks go first) and at most ``max_teachers`` fitted teachers.
"""

import itertools
import threading

import numpy as np

from ..utils._frames import frame_row_digests, is_frame, take_rows
from ..utils._hashing import fingerprint_rows
from ..utils._lru import Bound, LRUCache, register_cache

DEFAULT_MAX_BYTES = 256 * 2**20
DEFAULT_MAX_TEACHERS = 8


class _Block:
    """Logits of a set of distinct rows, sorted by the rows' hashes."""

    __slots__ = ("key", "digests", "logits")

    def __init__(self, key, digests, logits):
        self.key, self.digests, self.logits = key, digests, logits

    @property
    def nbytes(self):
        return self.digests.nbytes + self.logits.nbytes

    def find(self, digests):
        """Positions in this block of ``digests``, and which were found."""
        pos = np.searchsorted(self.digests, digests)
        pos = np.minimum(pos, len(self.digests) - 1)
        return pos, self.digests[pos] == digests


class TeacherOutputCache:
    """Least-recently-used store of teacher logits and fitted teachers.

    Logits are stored per row, keyed by the teacher and a hash of the row, in
    blocks (one per teacher pass). A lookup reuses every row already known and
    runs the teacher on the others only.

    Parameters
    ----------
    max_bytes : int, default=256 MiB
        Upper bound on the bytes of logits and row hashes held (16 bytes of
        hash per row); 0 disables storing logits.
    max_teachers : int, default=8
        Upper bound on fitted teachers held.

    Attributes
    ----------
    hits : int
        Lookups served without running the teacher.
    misses : int
        Lookups that ran the teacher, on all or some of the rows.
    rows_reused : int
        Rows whose logits came from the cache.
    rows_computed : int
        Rows the teacher was run on.
    """

    def __init__(self, max_bytes=DEFAULT_MAX_BYTES, max_teachers=DEFAULT_MAX_TEACHERS):
        self._blocks = LRUCache(max_bytes=max_bytes, sizeof=lambda b: b.nbytes)
        self._teachers = LRUCache(max_entries=max_teachers)
        self._classes = {}
        self._ids = itertools.count()
        self._lock = threading.Lock()
        self.hits = self.misses = self.rows_reused = self.rows_computed = 0

    max_bytes = Bound("_blocks", "max_bytes")
    max_teachers = Bound("_teachers", "max_entries")

    def outputs(self, key, X, compute):
        """The teacher's ``(classes, logits)`` on the rows of ``X``.

        Parameters
        ----------
        key : hashable
            Identifies the teacher and the shape and dtype of the rows.
        X : ndarray of shape (n_samples, ...) or DataFrame
            The rows; a frame's rows are hashed by value, column by column.
        compute : callable
            ``compute(X_rows)`` returns ``(classes, logits)`` for some rows;
            called at most once, on the rows not found.

        Returns
        -------
        classes : ndarray
            The teacher's classes.
        logits : ndarray of shape (n_samples, n_classes)
            One row of logits per row of ``X``.
        """
        digests = frame_row_digests(X) if is_frame(X) else fingerprint_rows(X)
        with self._lock:
            classes = self._classes.get(key)
            logits, found = self._gather(key, digests)
            missing = np.flatnonzero(~found)
            if len(missing) == 0:
                self.hits += 1
                self.rows_reused += len(X)
                return classes, logits
            self.misses += 1
            self.rows_reused += len(X) - len(missing)
            self.rows_computed += len(missing)
        new_classes, new_logits = compute(
            X if len(missing) == len(X) else take_rows(X, missing)
        )
        new_logits = np.asarray(new_logits, dtype=np.float32)
        if logits is None:
            logits = np.empty((len(X), new_logits.shape[1]), np.float32)
        logits[missing] = new_logits
        self._store(key, new_classes, digests[missing], new_logits)
        return new_classes, logits

    def _gather(self, key, digests):
        """Known logits for ``digests`` (or None), and which rows were found."""
        found = np.zeros(len(digests), dtype=bool)
        logits = None
        for block_id, block in self._blocks.items():
            if block.key != key:
                continue
            pos, match = block.find(digests)
            match &= ~found
            if not match.any():
                continue
            if logits is None:
                logits = np.empty((len(digests), block.logits.shape[1]), np.float32)
            logits[match] = block.logits[pos[match]]
            found |= match
            self._blocks.get(block_id)  # now the most recently used
        return logits, found

    def _store(self, key, classes, digests, logits):
        unique, first = np.unique(digests, return_index=True)
        block = _Block(key, unique, np.ascontiguousarray(logits[first]))
        with self._lock:
            if not self._blocks.put(next(self._ids), block):
                return
            self._classes[key] = classes
            live = {b.key for _, b in self._blocks.items()}
            for stale in set(self._classes) - live:
                del self._classes[stale]

    def fitted_teacher(self, key, fit):
        """Return ``fit()``'s fitted teacher, cached under ``key``."""
        if key in self._teachers:
            return self._teachers.get(key)
        teacher = fit()
        self._teachers.put(key, teacher)
        return teacher

    def clear(self):
        """Drop every entry and reset the counters."""
        with self._lock:
            self._blocks.clear()
            self._classes.clear()
            self._teachers.clear()
            self.hits = self.misses = self.rows_reused = self.rows_computed = 0

    @property
    def nbytes(self):
        """Bytes of logits and row hashes held now."""
        return self._blocks.nbytes

    def __len__(self):
        """Number of blocks of logits held (one per teacher pass kept)."""
        return len(self._blocks)


_CACHE = register_cache(TeacherOutputCache())


def get_teacher_cache():
    """The process-wide :class:`TeacherOutputCache` used by ``teacher_cache=True``.

    Returns
    -------
    cache : TeacherOutputCache
        Call ``clear()`` to free its memory, or set ``max_bytes`` to bound it.

    See Also
    --------
    clear_caches : Empty this and every other cache skdistill keeps.
    """
    return _CACHE
