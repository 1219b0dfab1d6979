"""The distillation loss against a NumPy transcription of its formula."""

import numpy as np
import pytest
from scipy.special import log_softmax, softmax

from skdistill.training._loss import DistillationLoss, distillation_terms, pack_targets

pytestmark = pytest.mark.backends


def _reference(y, labeled, t_logits, s_logits, T, alpha, scale):
    hard = -log_softmax(s_logits, axis=1)[np.arange(len(y)), y] * labeled
    p_t = softmax(t_logits / T, axis=1)
    kl = np.sum(p_t * (np.log(p_t) - log_softmax(s_logits / T, axis=1)), axis=1)
    soft = kl * (T**2 if scale else 1.0)
    return alpha * hard + (1 - alpha) * soft, hard, soft


@pytest.fixture
def batch():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, size=12)
    labeled = np.array([1.0] * 8 + [0.0] * 4)
    t_logits = rng.normal(size=(12, 4)) * 3
    s_logits = rng.normal(size=(12, 4)).astype(np.float32)
    return y, labeled, t_logits, s_logits


@pytest.mark.parametrize("temperature", [1.0, 4.0, 20.0])
@pytest.mark.parametrize("alpha", [0.0, 0.1, 1.0])
@pytest.mark.parametrize("scale", [True, False])
def test_loss_matches_formula(batch, temperature, alpha, scale):
    y, labeled, t_logits, s_logits = batch
    packed = pack_targets(y, labeled, t_logits)
    loss = DistillationLoss(temperature, alpha, scale_soft_loss=scale)
    expected, _, _ = _reference(
        y, labeled, t_logits, s_logits, temperature, alpha, scale
    )
    got = float(np.asarray(loss(packed, s_logits)))
    np.testing.assert_allclose(got, expected.mean(), rtol=1e-5)


def test_unlabeled_rows_carry_only_the_soft_term(batch):
    y, labeled, t_logits, s_logits = batch
    hard, soft, mask = distillation_terms(
        pack_targets(y, labeled, t_logits), s_logits, 2.0
    )
    hard = np.asarray(hard)
    assert np.all(hard[labeled == 0] == 0)
    assert np.all(hard[labeled == 1] > 0)
    assert np.all(np.asarray(soft)[labeled == 0] > 0)


def test_soft_term_is_zero_when_student_matches_teacher(batch):
    y, labeled, t_logits, _ = batch
    _, soft, _ = distillation_terms(
        pack_targets(y, labeled, t_logits), t_logits.astype(np.float32), 3.0
    )
    np.testing.assert_allclose(np.asarray(soft), 0.0, atol=1e-5)


def _gradient(fn, x):
    """The gradient of the scalar ``fn(x)`` at the NumPy array ``x``, on any backend."""
    import keras

    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return np.asarray(jax.grad(fn)(jax.numpy.asarray(x, dtype="float32")))
    if backend == "torch":
        import torch

        variable = torch.tensor(x, dtype=torch.float32, requires_grad=True)
        fn(variable).backward()
        return variable.grad.numpy()
    import tensorflow as tf

    variable = tf.Variable(x, dtype="float32")
    with tf.GradientTape() as tape:
        loss = fn(variable)
    return tape.gradient(loss, variable).numpy()


def test_t_squared_keeps_soft_gradient_size():
    # Hinton et al.: the soft term's gradient shrinks as 1/T^2; the T^2 factor
    # compensates, so the gradient size stays of the same order as T grows.
    rng = np.random.default_rng(1)
    t_logits = rng.normal(size=(64, 5)) * 0.5
    s_logits = rng.normal(size=(64, 5)) * 0.5
    packed = pack_targets(np.zeros(64), np.zeros(64), t_logits)

    def grad_norm(T, scale):
        loss = DistillationLoss(T, alpha=0.0, scale_soft_loss=scale)
        return np.linalg.norm(_gradient(lambda s: loss(packed, s), s_logits))

    scaled = [grad_norm(T, True) for T in (5.0, 20.0)]
    unscaled = [grad_norm(T, False) for T in (5.0, 20.0)]
    assert 0.5 < scaled[1] / scaled[0] < 2.0
    assert unscaled[1] / unscaled[0] < 0.1
    # The soft gradient is (softmax(s/T) - softmax(t/T)) / T per row, averaged
    # over the batch, times T**2 when scaled.
    T = 5.0
    expected = (softmax(s_logits / T, axis=1) - softmax(t_logits / T, axis=1)) / T
    expected *= T**2 / len(s_logits)
    np.testing.assert_allclose(
        _gradient(lambda s: DistillationLoss(T, alpha=0.0)(packed, s), s_logits),
        expected,
        rtol=1e-3,
        atol=1e-6,
    )


def test_loss_config_round_trip():
    loss = DistillationLoss(7.0, 0.3, scale_soft_loss=False)
    again = DistillationLoss.from_config(loss.get_config())
    assert (again.temperature, again.alpha, again.scale_soft_loss) == (7.0, 0.3, False)
