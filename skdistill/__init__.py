"""skdistill: knowledge distillation for scikit-learn.

The estimator and builders import Keras only when they build or train a model,
so ``import skdistill`` stays fast.
"""

from ._cache import TeacherOutputCache, get_teacher_cache
from ._classification import DistilledClassifier
from ._datasets import load_mnist
from ._distributed import ScatteredTeacher
from ._lru import clear_caches
from ._precomputed import PrecomputedTeacher
from ._presets import model_presets
from ._students import ConvNet, MLPStudent, StudentBuilder
from ._teachers import EnsembleTeacher, KerasTeacher
from ._transfer import ImageAugment, Munge, TransferAugmenter

__version__ = "0.1.0.dev0"

__all__ = [
    "ConvNet",
    "DistilledClassifier",
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
    "__version__",
]
