"""A teacher sent once to a Dask cluster, then referred to by name."""

import pickle

from ..utils._lru import LRUCache, register_cache

#: Teachers fetched by this process (a Dask worker), by dataset name: each
#: worker fetches a teacher once, whatever the number of tasks that use it.
FETCHED = register_cache(LRUCache(max_entries=4))


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
    A search whose tasks run on a Dask cluster (here a small one inside this
    process; ``LocalCluster(n_workers=4)`` starts worker processes):

    >>> import joblib
    >>> from distributed import Client, LocalCluster
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skdistill import DistilledClassifier, MLPStudent, ScatteredTeacher
    >>> X, y = load_digits(return_X_y=True)
    >>> teacher = LogisticRegression(max_iter=2000).fit(X, y)
    >>> cluster = LocalCluster(
    ...     n_workers=2, processes=False, dashboard_address=None
    ... )
    >>> client = Client(cluster)
    >>> shared = ScatteredTeacher(teacher, client)
    >>> shared.name.startswith("skdistill-teacher-")
    True
    >>> estimator = DistilledClassifier(
    ...     teacher=shared, student=MLPStudent((32,)), epochs=10,
    ...     learning_rate=0.01, random_state=0,
    ... )
    >>> search = GridSearchCV(estimator, {"alpha": [0.1, 0.5]}, cv=2)
    >>> with joblib.parallel_config(backend="dask"):
    ...     search = search.fit(X, y)
    >>> bool(search.best_score_ > 0.8)
    True
    >>> shared.release()
    >>> client.close()
    >>> cluster.close()
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
        teacher = FETCHED.get(self.name)
        if teacher is not None:
            return teacher
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
        FETCHED.put(self.name, teacher)
        return teacher
