"""skdistill: knowledge distillation for scikit-learn.

The estimator and builders import Keras only when they build or train a model,
so ``import skdistill`` stays fast.
"""

from ._classification import DistilledClassifier
from ._regression import DistilledRegressor
from .distill._cache import TeacherOutputCache, get_teacher_cache
from .distill._transfer import ImageAugment, Munge, TransferAugmenter
from .export._onnx import to_onnx
from .students._builders import ConvNet, MLPStudent, StudentBuilder
from .students._presets import model_presets
from .teachers._distributed import ScatteredTeacher
from .teachers._precomputed import PrecomputedTeacher
from .teachers._wrappers import EnsembleTeacher, KerasTeacher
from .utils._datasets import load_mnist
from .utils._lru import clear_caches

__version__ = "0.1.0.dev0"

__all__ = [
    "ConvNet",
    "DistilledClassifier",
    "DistilledRegressor",
    "EnsembleTeacher",
    "ImageAugment",
    "KerasTeacher",
    "MLPStudent",
    "Munge",
    "PrecomputedTeacher",
    "ScatteredTeacher",
    "StudentBuilder",
    "TeacherOutputCache",
    "TransferAugmenter",
    "clear_caches",
    "get_teacher_cache",
    "load_mnist",
    "model_presets",
    "to_onnx",
    "__version__",
]
