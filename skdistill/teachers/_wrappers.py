"""The teacher wrappers users name: a Keras model, and several teachers as one."""

from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted


def _member_is_fitted(member):
    if isinstance(member, (list, tuple)):
        return all(_member_is_fitted(m) for m in member)
    # Keras models and scattered teachers are trained where they come from.
    if not hasattr(member, "get_params"):
        return True
    try:
        check_is_fitted(member)
    except NotFittedError:
        return False
    return True


class KerasTeacher(BaseEstimator):
    """A trained Keras model used as a teacher, with how to read its outputs.

    A plain ``keras.Model`` passed as ``teacher`` is wrapped in this class with
    its defaults; wrap it yourself to name its classes or to say whether it
    outputs logits or probabilities.

    Parameters
    ----------
    model : keras.Model
        A trained model with one output per class.
    classes : array-like of shape (n_classes,), default=None
        The label of each output column. ``None`` means ``0, 1, ..., n_classes - 1``,
        which suits integer labels such as MNIST's digits.
    output : {"auto", "logits", "probabilities"}, default="auto"
        What the model outputs. ``"auto"`` decides in this order: a softmax
        activation or ``Softmax`` layer at the end of the model means
        probabilities; otherwise, if every output row is non-negative and sums
        to 1 (within 1e-3), probabilities; else logits.
    batch_size : int, default=128
        Rows per forward pass when the teacher's outputs are computed. The
        pass's peak memory grows with it, since a large convolutional
        teacher's activations for a whole batch are held at once (the
        performance page gives figures).

    See Also
    --------
    EnsembleTeacher : Several teachers whose soft targets are combined.
    DistilledClassifier : The estimator that takes a teacher.
    DistilledRegressor : The same for regression.

    Examples
    --------
    >>> from skdistill import KerasTeacher
    >>> KerasTeacher(model=None, classes=["cat", "dog"], output="logits")
    KerasTeacher(classes=['cat', 'dog'], model=None, output='logits')
    """

    def __init__(self, model, *, classes=None, output="auto", batch_size=128):
        self.model = model
        self.classes = classes
        self.output = output
        self.batch_size = batch_size

    def __sklearn_is_fitted__(self):
        return True


class EnsembleTeacher(BaseEstimator):
    """Several teachers whose soft targets are combined into one.

    A plain list passed as ``teacher`` becomes an ``EnsembleTeacher`` with its
    defaults. Members may be of any kind ``DistilledClassifier`` accepts, fitted
    or not; all must have the same set of classes.

    Parameters
    ----------
    teachers : list
        The members.
    weights : array-like of shape (n_teachers,), default=None
        Non-negative weight of each member; ``None`` weighs them equally.
        Weights are normalised to sum to 1.
    combine : {"probabilities", "logits"}, default="probabilities"
        ``"probabilities"`` takes the weighted arithmetic mean of the members'
        probabilities, the ensemble's usual prediction (soft voting): where
        members disagree, the mixture keeps each one's view and the soft target
        stays broad. ``"logits"`` averages the members' log-probabilities, a
        normalised weighted geometric mean: it rewards agreement and is sharper,
        but a single member that is confidently wrong pulls the target far.
        Members' logits are normalised with a log-softmax first, since raw
        logits of different models carry arbitrary offsets.

    See Also
    --------
    KerasTeacher : How to read a Keras model's outputs.
    sklearn.ensemble.VotingClassifier : Soft voting, the same mean of probabilities.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from skdistill import EnsembleTeacher
    >>> members = [LogisticRegression(), GaussianNB()]
    >>> ensemble = EnsembleTeacher(members, weights=[2, 1])
    >>> ensemble.weights
    [2, 1]
    """

    def __init__(self, teachers, *, weights=None, combine="probabilities"):
        self.teachers = teachers
        self.weights = weights
        self.combine = combine

    def __sklearn_is_fitted__(self):
        return all(_member_is_fitted(member) for member in self.teachers)
