"""Transfer sets: synthetic rows for the teacher to label, and out-of-fold targets.

A student learns the teacher's function from the rows it is shown. Where few
labeled rows exist, more rows help even without labels, since the teacher
labels them. This module makes rows when none are at hand:

* :class:`Munge` for tables, after Bucila, Caruana and Niculescu-Mizil (2006),
  "Model Compression": each synthetic row starts from a training row and takes,
  for a random subset of its features, values drawn near its nearest
  neighbour's;
* :class:`ImageAugment` for images, through Keras's random preprocessing layers
  (shifts, rotations, zooms).

Synthetic rows carry only the teacher's soft targets, like ``X_unlabeled``.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.neighbors import NearestNeighbors
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_scalar

from ..utils._frames import is_frame
from ._munge_frames import categorical_mask, munge_frame


class TransferAugmenter(BaseEstimator):
    """Base class of the makers of synthetic transfer rows.

    Subclasses set their parameters in ``__init__`` (so that ``get_params``,
    ``set_params``, ``clone`` and ``GridSearchCV``'s ``augment__<name>`` work)
    and implement :meth:`generate`.
    """

    def generate(self, X, random_state=None):  # pragma: no cover - interface
        """Return synthetic rows made from the rows of ``X``.

        Parameters
        ----------
        X : ndarray of shape (n_samples, ...)
            The rows to start from.
        random_state : int, RandomState instance or None, default=None
            Seeds the generation.

        Returns
        -------
        X_new : ndarray of shape (n_new, ...)
            Synthetic rows of the same shape and dtype as ``X``'s rows.
        """
        raise NotImplementedError

    def _n_new(self, n_rows):
        check_scalar(self.size, "size", Real, min_val=0, include_boundaries="neither")
        return max(1, int(round(self.size * n_rows)))


class Munge(TransferAugmenter):
    """Synthetic table rows near the training rows, in the spirit of MUNGE.

    For each synthetic row, a training row ``e`` is drawn and paired with its
    nearest neighbour ``e'`` (Euclidean distance on standardised features).
    Each feature is then, with probability ``p``, replaced by a value drawn
    from a normal distribution centred on the neighbour's value with standard
    deviation ``|e_a - e'_a| / s``; categorical features are swapped for the
    neighbour's value without noise. The new rows therefore lie between close
    training rows, where the teacher's function matters, rather than anywhere
    in the feature space.

    This differs from the original procedure (Bucila et al., 2006) in one way:
    the original walks through the training set and modifies both rows of each
    pair in place, so later pairs start from already-modified rows; here every
    synthetic row is made independently from an unmodified pair, which keeps
    the generation vectorised and the result independent of the row order.

    Parameters
    ----------
    size : float, default=2.0
        Synthetic rows per training row; ``round(size * n_samples)`` rows are
        made (at least one).
    p : float, default=0.5
        Probability that a feature takes the neighbour-based value.
    s : float, default=1.0
        Shrinks the noise: the standard deviation is the distance between the
        two rows' values divided by ``s``. Larger ``s`` stays closer to the
        neighbour's value.
    categorical_features : array-like of int, str or bool, default=None
        Indices (or a boolean mask) of features whose values are swapped, not
        perturbed. In an array they must be encoded as numbers. In a data
        frame, every non-numeric column is nominal already, and this names
        more (by column label or position), such as integer codes.

    Notes
    -----
    On a data frame the nearest neighbour is found with the distance of
    Bucila et al.: standardised differences on numeric columns (a missing
    value counts as the column's mean), and 0 or 1 on nominal ones as the two
    values agree or not (a missing value is one more value). A numeric value
    missing in either row of a pair is swapped rather than perturbed; integer
    columns are rounded back to integers.

    See Also
    --------
    ImageAugment : Synthetic rows for images.
    DistilledClassifier : Takes ``augment=Munge(...)`` or ``augment="munge"``.
    DistilledRegressor : Takes them too.

    Examples
    --------
    >>> import numpy as np
    >>> from skdistill import Munge
    >>> X = np.array([[0.0, 0.0], [1.0, 1.0], [5.0, 5.0], [6.0, 6.0]])
    >>> Munge(size=2.0).generate(X, random_state=0).shape
    (8, 2)
    """

    def __init__(self, size=2.0, p=0.5, s=1.0, categorical_features=None):
        self.size = size
        self.p = p
        self.s = s
        self.categorical_features = categorical_features

    def generate(self, X, random_state=None):
        """Return ``round(size * len(X))`` synthetic rows made from ``X``.

        Parameters
        ----------
        X : ndarray or DataFrame of shape (n_samples, n_features)
            Training rows, at least two. In a data frame, the non-numeric
            columns (category, string, object, bool) are nominal, and missing
            values are allowed.
        random_state : int, RandomState instance or None, default=None
            Seeds the choice of rows, of features and the noise.

        Returns
        -------
        X_new : ndarray or DataFrame of shape (n_new, n_features)
            Synthetic rows, of ``X``'s dtype, or a frame with ``X``'s columns
            and dtypes.
        """
        check_scalar(self.p, "p", Real, min_val=0, max_val=1)
        check_scalar(self.s, "s", Real, min_val=0, include_boundaries="neither")
        if is_frame(X):
            if len(X) < 2:
                raise ValueError("Munge needs at least 2 rows to find neighbours.")
            return munge_frame(
                X,
                n_new=self._n_new(len(X)),
                p=self.p,
                s=self.s,
                categorical_features=self.categorical_features,
                rng=check_random_state(random_state),
            )
        X = np.asarray(X)
        if X.ndim != 2:
            raise ValueError(
                f"Munge makes table rows and needs 2-D X; got shape {X.shape}. "
                "For images use augment=ImageAugment()."
            )
        if len(X) < 2:
            raise ValueError("Munge needs at least 2 rows to find neighbours.")
        categorical = categorical_mask(self.categorical_features, X.shape[1])
        rng = check_random_state(random_state)
        n_new = self._n_new(len(X))

        scale = X.std(axis=0)
        scale[scale == 0] = 1.0
        X_scaled = (X - X.mean(axis=0)) / scale
        # The nearest neighbour other than the row itself: ask for two.
        neighbours = NearestNeighbors(n_neighbors=2).fit(X_scaled)
        index = neighbours.kneighbors(X_scaled, return_distance=False)
        nearest = np.where(index[:, 0] == np.arange(len(X)), index[:, 1], index[:, 0])

        start = rng.randint(len(X), size=n_new)
        rows, partners = X[start], X[nearest[start]]
        take = rng.random_sample(rows.shape) < self.p
        spread = np.abs(rows - partners) / self.s
        near_partner = partners + spread * rng.standard_normal(rows.shape)
        near_partner[:, categorical] = partners[:, categorical]
        return np.where(take, near_partner, rows).astype(X.dtype, copy=False)


class ImageAugment(TransferAugmenter):
    """Randomly shifted, rotated and zoomed copies of training images.

    Copies are made once per ``fit`` with Keras's preprocessing layers
    (``RandomTranslation``, ``RandomRotation``, ``RandomZoom``), labelled by the
    teacher in its single pass and then used at every epoch like any other
    transfer rows. They are held in memory: ``size`` copies of the training
    images, so with ``size=2`` the rows the student trains on take three times
    the memory of ``X`` (60,000 MNIST images as float32 take 188 MB, so 376 MB
    more). The teacher's cache keeps their logits like any other rows', so
    repeated fits with the same ``random_state`` reuse them.

    Parameters
    ----------
    size : float, default=1.0
        Augmented copies per training image; ``round(size * n_samples)``
        images are made.
    shift : float, default=0.1
        Largest shift, as a fraction of the height and width.
    rotation : float, default=0.05
        Largest rotation, as a fraction of a full turn (0.05 is 18 degrees).
    zoom : float, default=0.0
        Largest zoom in or out, as a fraction of the size; 0 disables it.
    batch_size : int, default=512
        Images transformed per call.

    See Also
    --------
    Munge : Synthetic rows for tables.

    Examples
    --------
    >>> from skdistill import ImageAugment
    >>> ImageAugment(size=2.0, shift=0.1, rotation=0.05)
    ImageAugment(size=2.0)
    """

    def __init__(self, size=1.0, shift=0.1, rotation=0.05, zoom=0.0, batch_size=512):
        self.size = size
        self.shift = shift
        self.rotation = rotation
        self.zoom = zoom
        self.batch_size = batch_size

    def generate(self, X, random_state=None):
        """Return ``round(size * len(X))`` augmented copies of images in ``X``.

        Parameters
        ----------
        X : ndarray of shape (n_samples, height, width[, channels])
            Images, channels last.
        random_state : int, RandomState instance or None, default=None
            Seeds which images are copied and the transformations.

        Returns
        -------
        X_new : ndarray of the shape of ``X``'s rows
            Augmented images, float32.
        """
        for name in ("shift", "rotation", "zoom"):
            check_scalar(getattr(self, name), name, Real, min_val=0, max_val=1)
        check_scalar(self.batch_size, "batch_size", Integral, min_val=1)
        X = np.asarray(X, dtype=np.float32)
        if X.ndim not in (3, 4):
            raise ValueError(
                "ImageAugment needs images of shape (n_samples, height, width) or "
                f"(n_samples, height, width, channels); got shape {X.shape}. "
                "For tables use augment=Munge()."
            )
        rng = check_random_state(random_state)
        n_new = self._n_new(len(X))
        start = rng.randint(len(X), size=n_new)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        layers = self._layers(seed)
        images = X[start] if X.ndim == 4 else X[start][..., None]
        out = np.empty_like(images)
        for first in range(0, n_new, int(self.batch_size)):
            batch = images[first : first + int(self.batch_size)]
            for layer in layers:
                batch = layer(batch, training=True)
            out[first : first + len(batch)] = np.asarray(batch)
        return out if X.ndim == 4 else out[..., 0]

    def _layers(self, seed):
        from ..utils._keras import import_keras

        keras = import_keras()
        layers = []
        if self.shift:
            layers.append(
                keras.layers.RandomTranslation(
                    self.shift, self.shift, fill_mode="constant", seed=seed
                )
            )
        if self.rotation:
            layers.append(
                keras.layers.RandomRotation(
                    self.rotation, fill_mode="constant", seed=seed + 1
                )
            )
        if self.zoom:
            layers.append(
                keras.layers.RandomZoom(self.zoom, fill_mode="constant", seed=seed + 2)
            )
        return layers


_AUGMENT_NAMES = {"munge": Munge, "image": ImageAugment}


def check_augment(augment):
    """The augmenter ``augment`` names, a clone of the one it is, or None."""
    if augment is None:
        return None
    if isinstance(augment, str):
        if augment not in _AUGMENT_NAMES:
            raise ValueError(
                f"augment={augment!r} is not known: use None, 'munge' (tables), "
                "'image' (images), or an instance such as Munge(size=4.0)."
            )
        return _AUGMENT_NAMES[augment]()
    if not callable(getattr(augment, "generate", None)):
        raise TypeError(
            "augment must be None, 'munge', 'image' or an object with a "
            f"generate(X, random_state) method such as Munge(); got "
            f"{type(augment).__name__}."
        )
    return clone(augment) if isinstance(augment, BaseEstimator) else augment
