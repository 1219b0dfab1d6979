"""An in-process cache of teachers' outputs, shared by all DistilledClassifiers.

Grid searches, ``skdistill sweep`` and repeated fits distil many students from
the same teacher on the same rows. The teacher's logits depend only on the
teacher and the rows, not on ``temperature``, ``alpha`` or the student, so they
are computed once and reused.

Keys are content fingerprints, never object identities alone: the rows' bytes,
and the teacher's weights or pickled state. A different or mutated ``X``, or a
teacher whose weights changed, gets a new key and a fresh pass. An unfitted
teacher is fitted once per distinct (teacher parameters, X, y, sample_weight)
and the fitted teacher is reused.

The cache holds at most ``max_bytes`` of logits (least recently used entries
go first) and at most ``max_teachers`` fitted teachers.
"""

import threading
from collections import OrderedDict

import joblib
import numpy as np

DEFAULT_MAX_BYTES = 256 * 2**20
DEFAULT_MAX_TEACHERS = 8


def fingerprint_array(a):
    """A hash of an array's shape, dtype and bytes."""
    if a is None:
        return None
    a = np.ascontiguousarray(a)
    return joblib.hash((a.shape, a.dtype.str, a), coerce_mmap=True)


class TeacherOutputCache:
    """Least-recently-used store of teacher logits and fitted teachers.

    Parameters
    ----------
    max_bytes : int, default=256 MiB
        Upper bound on the bytes of logits held; 0 disables storing logits.
    max_teachers : int, default=8
        Upper bound on fitted teachers held.
    """

    def __init__(self, max_bytes=DEFAULT_MAX_BYTES, max_teachers=DEFAULT_MAX_TEACHERS):
        self.max_bytes = max_bytes
        self.max_teachers = max_teachers
        self._outputs = OrderedDict()
        self._teachers = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def outputs(self, key, compute):
        """Return ``compute()``'s ``(classes, logits)``, cached under ``key``."""
        with self._lock:
            if key in self._outputs:
                self._outputs.move_to_end(key)
                self.hits += 1
                return self._outputs[key]
            self.misses += 1
        value = compute()
        size = value[1].nbytes
        with self._lock:
            if size <= self.max_bytes and key not in self._outputs:
                self._outputs[key] = value
                self._bytes += size
                while self._bytes > self.max_bytes:
                    _, (_, old) = self._outputs.popitem(last=False)
                    self._bytes -= old.nbytes
        return value

    def fitted_teacher(self, key, fit):
        """Return ``fit()``'s fitted teacher, cached under ``key``."""
        with self._lock:
            if key in self._teachers:
                self._teachers.move_to_end(key)
                return self._teachers[key]
        teacher = fit()
        with self._lock:
            if self.max_teachers > 0:
                self._teachers[key] = teacher
                while len(self._teachers) > self.max_teachers:
                    self._teachers.popitem(last=False)
        return teacher

    def clear(self):
        """Drop every entry."""
        with self._lock:
            self._outputs.clear()
            self._teachers.clear()
            self._bytes = 0
            self.hits = self.misses = 0

    @property
    def nbytes(self):
        """Bytes of logits held now."""
        return self._bytes

    def __len__(self):
        return len(self._outputs)


_CACHE = TeacherOutputCache()


def get_teacher_cache():
    """The process-wide :class:`TeacherOutputCache` used by ``teacher_cache=True``.

    Returns
    -------
    cache : TeacherOutputCache
        Call ``clear()`` to free its memory, or set ``max_bytes`` to bound it.
    """
    return _CACHE
