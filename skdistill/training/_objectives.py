"""What a Keras student is trained to do: its loss, metrics and settings.

An objective is chosen by the estimator (classification or regression) and
handed to :func:`skdistill.training._trainer.train_student`, which asks it
for the loss and metrics of a new compiled model, for what part of the
compiled graph's structure depends on it, and to load its settings into a
compiled model that is reused. Importing this module imports no Keras.
"""

from dataclasses import dataclass


def loss_terms(alpha):
    """Which terms of the loss have weight: "hard only", "soft only" or "both"."""
    return {0: "soft only", 1: "hard only"}.get(alpha, "both")


@dataclass(frozen=True)
class ClassificationObjective:
    """Hinton et al.'s loss on packed class targets (see ``training._loss``).

    Attributes
    ----------
    temperature, alpha, scale_soft_loss
        The estimator's parameters.
    soft : bool
        Whether the targets hold a teacher's logits (the soft term's metric
        is recorded only then).
    """

    temperature: float
    alpha: float
    scale_soft_loss: bool
    soft: bool
    #: A student whose last layer is a softmax is trained on its log.
    outputs_log_probabilities: bool = True

    def structure(self):
        """What the compiled graph's structure depends on."""
        return {
            "task": "classification",
            "scale_soft_loss": bool(self.scale_soft_loss),
            # The loss leaves out a term of weight 0: alpha's value is a
            # variable, whether it is 0, 1 or in between is structure.
            "alpha_kind": loss_terms(self.alpha),
            "soft": self.soft,
        }

    def build(self):
        """A new loss and its metrics."""
        from ._loss import DistillationLoss, training_metrics

        loss = DistillationLoss(self.temperature, self.alpha, self.scale_soft_loss)
        metrics = training_metrics(
            self.temperature, self.scale_soft_loss, soft=self.soft
        )
        return loss, metrics

    def load(self, loss, metrics):
        """Set this objective's values in a compiled model's loss and metrics."""
        loss.temperature = self.temperature
        loss.alpha = self.alpha
        for metric in metrics:
            metric.temperature = self.temperature


@dataclass(frozen=True)
class RegressionObjective:
    """Squared errors against the labels and the teacher (see ``training._loss``)."""

    alpha: float
    soft: bool
    outputs_log_probabilities: bool = False

    def structure(self):
        """What the compiled graph's structure depends on."""
        return {
            "task": "regression",
            "alpha_kind": loss_terms(self.alpha),
            "soft": self.soft,
        }

    def build(self):
        """A new loss and its metrics."""
        from ._loss import RegressionDistillationLoss, regression_metrics

        return RegressionDistillationLoss(self.alpha), regression_metrics(self.soft)

    def load(self, loss, metrics):
        """Set this objective's values in a compiled model's loss."""
        loss.alpha = self.alpha
