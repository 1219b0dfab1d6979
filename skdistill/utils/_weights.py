"""Sample weights into estimators that take them, meta-estimators included.

``has_fit_parameter(est, "sample_weight")`` is False for a Pipeline, whose
``fit`` takes ``**params``, though its last step may weight rows. The helpers
here find the estimator that uses the weights and the keyword arguments that
reach it, with scikit-learn's metadata routing off (``<step>__sample_weight``)
or on (requests set on the caller's clone).
"""

from sklearn import get_config
from sklearn.multioutput import MultiOutputRegressor
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import has_fit_parameter


def _unwrap(student):
    """The estimator a Pipeline (its last step) or MultiOutputRegressor fits."""
    while isinstance(student, (Pipeline, MultiOutputRegressor)):
        student = (
            student.steps[-1][1] if isinstance(student, Pipeline) else student.estimator
        )
    return student


def takes_sample_weight(student):
    """Whether ``student``'s fit can weight rows (a Pipeline: its last step)."""
    return has_fit_parameter(_unwrap(student), "sample_weight")


def _request_weights_for_last_step(student):
    # Routing refuses weights that some step could take but has not been told
    # about: the steps before the last (a StandardScaler in a
    # ColumnTransformer, say) are told not to take them, unless the user
    # said otherwise; the expansion's weights are for the final estimator.
    last = _unwrap(student)
    for value in student.get_params(deep=True).values():
        if value is last or not hasattr(value, "set_fit_request"):
            continue
        requests = value.get_metadata_routing().fit.requests
        if requests.get("sample_weight", False) is None:
            value.set_fit_request(sample_weight=False)
    last.set_fit_request(sample_weight=True)


def weight_arguments(student, weights):
    """The keyword arguments of ``student.fit`` that carry ``weights``.

    A plain estimator takes ``sample_weight=``. A Pipeline passes them to its
    last step as ``<step>__sample_weight=`` (a MultiOutputRegressor forwards
    them so to the Pipeline it wraps). With scikit-learn's metadata routing
    on, they go as ``sample_weight=`` once the estimator that uses them
    requests them, which this sets on ``student``, a clone: the user's
    estimator is left as it is.
    """
    wrapped = isinstance(student, (Pipeline, MultiOutputRegressor))
    if wrapped and get_config().get("enable_metadata_routing", False):
        _request_weights_for_last_step(student)
        return {"sample_weight": weights}
    if isinstance(student, MultiOutputRegressor):
        # It forwards its fit parameters to its estimator's fit.
        student = student.estimator
    names = []
    while isinstance(student, Pipeline):
        name, student = student.steps[-1]
        names.append(name)
    return {"__".join([*names, "sample_weight"]): weights}
