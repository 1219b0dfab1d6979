"""One small least-recently-used store, behind every cache of skdistill.

Three caches keep objects across fits: teachers' logits and fitted teachers
(``distill._cache``), compiled training models (``training._trainer``), and
teachers fetched from a Dask cluster (``teachers._distributed``). Each is
built on :class:`LRUCache`, bounded by a number of entries, a number of bytes,
or both, and registers itself here when it is created (:func:`register_cache`),
so :func:`clear_caches` empties them all without importing the modules that
own them.
"""

import threading
import weakref
from collections import OrderedDict

# Every cache of skdistill alive in this process; each adds itself.
_REGISTRY = weakref.WeakSet()


def register_cache(cache):
    """Add ``cache`` (anything with a ``clear()``) to what :func:`clear_caches` empties.

    Returns
    -------
    cache : object
        ``cache`` itself, so a module can write ``CACHE = register_cache(...)``.
    """
    _REGISTRY.add(cache)
    return cache


class LRUCache:
    """A thread-safe mapping that drops its least recently used entries.

    Parameters
    ----------
    max_entries : int or None, default=None
        Most entries held; ``None`` sets no bound.
    max_bytes : int or None, default=None
        Most bytes held, as ``sizeof`` counts them; ``None`` sets no bound.
        An entry larger than this on its own is not stored.
    sizeof : callable, default=None
        ``sizeof(value)`` gives an entry's size in bytes; ``None`` counts 0.

    Notes
    -----
    The bounds are attributes and can be changed at any time; they take
    effect at the next :meth:`put`. A bound of 0 stores nothing.
    """

    def __init__(self, max_entries=None, max_bytes=None, sizeof=None):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._sizeof = sizeof or (lambda value: 0)
        self._entries = OrderedDict()
        self._sizes = {}
        self._bytes = 0
        self._lock = threading.RLock()

    def get(self, key, default=None):
        """The value under ``key``, now the most recently used, or ``default``."""
        with self._lock:
            if key not in self._entries:
                return default
            self._entries.move_to_end(key)
            return self._entries[key]

    def put(self, key, value):
        """Store ``value`` under ``key``, dropping the least recently used.

        Returns
        -------
        stored : bool
            False when the value alone exceeds a bound and was not kept.
        """
        size = int(self._sizeof(value))
        with self._lock:
            if (self.max_bytes is not None and size > self.max_bytes) or (
                self.max_entries is not None and self.max_entries <= 0
            ):
                return False
            self.pop(key)
            self._entries[key] = value
            self._sizes[key] = size
            self._bytes += size
            self._evict()
            return True

    def pop(self, key, default=None):
        """Remove and return the value under ``key``, or ``default``."""
        with self._lock:
            if key not in self._entries:
                return default
            self._bytes -= self._sizes.pop(key)
            return self._entries.pop(key)

    def items(self):
        """A snapshot of the ``(key, value)`` pairs, least recently used first."""
        with self._lock:
            return list(self._entries.items())

    def values(self):
        """A snapshot of the values, least recently used first."""
        with self._lock:
            return list(self._entries.values())

    def clear(self):
        """Remove every entry."""
        with self._lock:
            self._entries.clear()
            self._sizes.clear()
            self._bytes = 0

    @property
    def nbytes(self):
        """Bytes held now, as ``sizeof`` counts them."""
        return self._bytes

    def __len__(self):
        return len(self._entries)

    def __contains__(self, key):
        return key in self._entries

    def _evict(self):
        while self._entries and (
            (self.max_entries is not None and len(self._entries) > self.max_entries)
            or (self.max_bytes is not None and self._bytes > self.max_bytes)
        ):
            oldest = next(iter(self._entries))
            self.pop(oldest)


class Bound:
    """A cache's bound that lives on one of its :class:`LRUCache` stores.

    ``max_bytes = Bound("_blocks", "max_bytes")`` in a class body reads and
    writes ``self._blocks.max_bytes``.
    """

    def __init__(self, store, bound):
        self.store, self.bound = store, bound

    def __get__(self, owner, owner_type=None):
        if owner is None:
            return self
        return getattr(getattr(owner, self.store), self.bound)

    def __set__(self, owner, value):
        setattr(getattr(owner, self.store), self.bound, value)


def clear_caches():
    """Empty every cache skdistill keeps in this process.

    That is the teachers' outputs and fitted teachers (see
    :func:`get_teacher_cache`), the compiled training models kept for reuse
    across fits of the same structure (which hold models and optimizer
    state), and teachers fetched from a Dask cluster by
    :class:`ScatteredTeacher`. Later fits recompute what they need. Files
    written through ``memory=`` are not touched: clear them with the
    ``joblib.Memory``'s own ``clear()``.

    Examples
    --------
    >>> import skdistill
    >>> skdistill.clear_caches()
    """
    for cache in list(_REGISTRY):
        cache.clear()
