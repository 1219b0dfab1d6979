"""Several teachers as one: their outputs combined, members of any kind."""

import joblib
import numpy as np
from scipy.special import log_softmax, softmax
from sklearn.base import clone

from ._base import REGRESSION, Teacher
from ._checks import check_choice, probabilities_to_logits
from ._wrappers import EnsembleTeacher

_COMBINE_KINDS = ("probabilities", "logits")


def ensemble_members(teacher):
    """The members of a list or an :class:`EnsembleTeacher`, checked non-empty."""
    members = teacher.teachers if isinstance(teacher, EnsembleTeacher) else teacher
    if not isinstance(members, (list, tuple)) or len(members) == 0:
        raise ValueError(
            "An ensemble of teachers must be a non-empty list; "
            f"got {type(members).__name__}."
        )
    return list(members)


def _ensemble_weights(ensemble, n_members):
    if ensemble.weights is None:
        return np.full(n_members, 1.0 / n_members)
    weights = np.asarray(ensemble.weights, dtype=np.float64)
    if weights.shape != (n_members,):
        raise ValueError(
            f"EnsembleTeacher weights must have one entry per teacher "
            f"({n_members}); got shape {weights.shape}."
        )
    if not np.all(np.isfinite(weights)) or np.any(weights < 0) or weights.sum() <= 0:
        raise ValueError(
            "EnsembleTeacher weights must be finite, non-negative and not all "
            f"zero; got {ensemble.weights!r}."
        )
    return weights / weights.sum()


class EnsembleAdapter(Teacher):
    """Several teachers, a list or an :class:`EnsembleTeacher`, as one."""

    def __init__(self, teacher, task, members):
        super().__init__(teacher, task)
        ensemble = (
            teacher
            if isinstance(teacher, EnsembleTeacher)
            else EnsembleTeacher(teacher)
        )
        check_choice("EnsembleTeacher combine", ensemble.combine, _COMBINE_KINDS)
        self.ensemble = ensemble
        self.members = members
        if task is not None:
            self.weights = _ensemble_weights(ensemble, len(self.members))

    def is_fitted(self):
        return all(member.is_fitted() for member in self.members)

    def fit(self, X, y, sample_weight=None):
        fitted = [member.fit(X, y, sample_weight) for member in self.members]
        if all(f is m for f, m in zip(fitted, self.members, strict=True)):
            return self
        ensemble = EnsembleTeacher(
            [f.teacher for f in fitted],
            weights=self.ensemble.weights,
            combine=self.ensemble.combine,
        )
        return type(self)(ensemble, self.task, fitted)

    def clone(self):
        if self.is_fitted():
            return self.teacher
        members = [member.clone() for member in self.members]
        if not isinstance(self.teacher, EnsembleTeacher):
            return type(self.teacher)(members)
        return EnsembleTeacher(
            members,
            weights=clone(self.ensemble.weights, safe=False),
            combine=self.ensemble.combine,
        )

    def fingerprint(self):
        members = tuple(member.fingerprint() for member in self.members)
        return (
            "ensemble",
            members,
            joblib.hash(self.ensemble.weights),
            self.ensemble.combine,
        )

    def outputs(self, X):
        if self.task == REGRESSION:
            return None, self._mean_prediction(X)
        return self._combined_logits(X)

    def _mean_prediction(self, X):
        combined = None
        for member, weight in zip(self.members, self.weights, strict=True):
            predictions = member.outputs(X)[1]
            if combined is not None and predictions.shape != combined.shape:
                raise ValueError(
                    "All teachers of an ensemble must predict the same number "
                    f"of outputs; got {combined.shape[1]} and {predictions.shape[1]}."
                )
            term = weight * predictions
            combined = term if combined is None else combined + term
        return combined

    def _combined_logits(self, X):
        classes = combined = None
        by_probabilities = self.ensemble.combine == "probabilities"
        for member, weight in zip(self.members, self.weights, strict=True):
            member_classes, logits = member.outputs(X)
            order = np.argsort(member_classes)
            member_classes, logits = member_classes[order], logits[:, order]
            if classes is None:
                classes = member_classes
            elif len(member_classes) != len(classes) or np.any(
                member_classes != classes
            ):
                raise ValueError(
                    "All teachers of an ensemble must have the same classes; got "
                    f"{list(classes)} and {list(member_classes)}."
                )
            if by_probabilities:
                term = weight * softmax(logits, axis=1)
            else:
                term = weight * log_softmax(logits, axis=1)
            combined = term if combined is None else combined + term
        if by_probabilities:
            combined = probabilities_to_logits(combined)
        return classes, combined
