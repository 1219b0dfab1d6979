"""A teacher sent once to a Dask cluster, then referred to by name."""

import pickle
import threading
from collections import OrderedDict

# Teachers fetched by this process (a Dask worker), by dataset name: each
# worker fetches a teacher once, whatever the number of tasks that use it.
_FETCHED = OrderedDict()
_FETCHED_MAX = 4
_LOCK = threading.Lock()


class ScatteredTeacher:
    """A fitted teacher sent once to a Dask cluster, then passed by name.

    A search on Dask (``joblib.parallel_config(backend="dask")``) pickles a
    clone of the estimator, teacher included, into every one of its
    ``n_candidates * n_splits`` tasks. Wrapped in this class, the teacher is
    scattered to the workers once, at construction, and published on the
    scheduler under a unique name; a task carries only that name, and each
    worker process fetches the teacher the first time one of its tasks fits,
    then keeps it for the later ones. In the client's own process (the
    search's refit), the teacher is read from the cluster.

    Parameters
    ----------
    teacher : object
        A fitted teacher, of any kind :class:`DistilledClassifier` accepts.
    client : distributed.Client
        The client of the cluster that runs the search.

    Attributes
    ----------
    name : str
        The name the teacher is published under on the scheduler.
    nbytes : int
        Size of the teacher pickled: sent to the cluster once, rather than
        with each task.

    See Also
    --------
    DistilledClassifier : Accepts a ``ScatteredTeacher`` as ``teacher``.

    Notes
    -----
    The cluster holds the teacher until :meth:`release` is called or the
    client closes. A ``ScatteredTeacher`` unpickled away from the cluster
    cannot be fitted with; pass the teacher itself there.

    Examples
    --------
    >>> import joblib
    >>> from distributed import Client, LocalCluster  # doctest: +SKIP
    >>> cluster = LocalCluster(n_workers=2, threads_per_worker=1)  # doctest: +SKIP
    >>> client = Client(cluster)  # doctest: +SKIP
    >>> shared = ScatteredTeacher(teacher, client)  # doctest: +SKIP
    >>> estimator = DistilledClassifier(teacher=shared)  # doctest: +SKIP
    >>> search = GridSearchCV(estimator, grid)  # doctest: +SKIP
    >>> with joblib.parallel_config(backend="dask"):  # doctest: +SKIP
    ...     search.fit(X, y)
    >>> shared.release()  # doctest: +SKIP
    """

    def __init__(self, teacher, client):
        self.nbytes = len(pickle.dumps(teacher, protocol=pickle.HIGHEST_PROTOCOL))
        # In a list: scatter would split a list or dict teacher into items.
        [future] = client.scatter([teacher], broadcast=True, hash=False)
        self.name = f"skdistill-teacher-{future.key}"
        # Published, the data stays on the cluster and tasks find it by name.
        client.publish_dataset(future, name=self.name)
        self._future, self._client = future, client

    def __getstate__(self):
        # The future and client stay in the client's process.
        return {"name": self.name, "nbytes": self.nbytes}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._future = self._client = None

    def __repr__(self):
        return f"ScatteredTeacher(name={self.name!r}, nbytes={self.nbytes})"

    def release(self):
        """Remove the teacher from the cluster."""
        if self._client is not None:
            self._client.unpublish_dataset(self.name)
            self._future.release()
            self._future = self._client = None

    def resolve(self):
        """The teacher: fetched once per process, from the cluster.

        Raises
        ------
        ValueError
            Away from the cluster, or after :meth:`release`.
        """
        if self._future is not None:
            return self._future.result()
        with _LOCK:
            if self.name in _FETCHED:
                _FETCHED.move_to_end(self.name)
                return _FETCHED[self.name]
        try:
            import distributed

            # In a task, the worker's own client.
            teacher = distributed.get_client().get_dataset(self.name).result()
        except (ImportError, ValueError, KeyError) as exc:
            raise ValueError(
                f"ScatteredTeacher {self.name!r} cannot be read here: only the "
                "workers of the Dask cluster it was sent to can read it, until "
                "it is released. Pass the teacher itself to fit elsewhere."
            ) from exc
        with _LOCK:
            _FETCHED[self.name] = teacher
            while len(_FETCHED) > _FETCHED_MAX:
                _FETCHED.popitem(last=False)
        return teacher
