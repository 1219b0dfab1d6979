"""The private parts of Keras that skdistill relies on, each with a fallback.

Keras's public API does not offer three things skdistill needs:

* a per-thread source of default seeds, so that other threads drawing random
  numbers (a Dask worker's event loop) do not change a seeded fit
  (:func:`install_seed_source`, through ``keras.src.random.seed_generator``);
* seeding Keras on JAX or PyTorch without importing TensorFlow
  (:func:`set_random_seed`, through Keras's lazy TensorFlow module);
* every layer of a model, nested ones included, in a fixed order
  (:func:`flatten_layers`, through ``Model._flatten_layers``).

Each hook is looked up when used. Where a Keras release has moved or removed
it, the fallback keeps results correct at some cost: seeded fits are
reproducible only while no other thread draws from Python's ``random``; seeding
imports TensorFlow where it is installed; layers are walked through the public
``layers`` attribute. ``tests/test_keras_hooks.py`` fails when a hook is gone,
so that an upgrade is noticed rather than silently slower.
"""

import collections
import random
import sys
import threading

SEED_GENERATOR_MODULE = "keras.src.random.seed_generator"
LAZY_TENSORFLOW_MODULE = "keras.src.utils.module_utils"


class ThreadSeedSource:
    """Keras's source of default seeds, private to the thread that fits.

    Keras draws the seed of every initializer and ``SeedGenerator`` created
    without one from Python's global ``random`` module. Other threads of the
    process draw from it too: a Dask worker's event loop does, between the
    seeding and the student's build, and the same ``random_state`` then gave
    different weights from run to run. During a seeded ``fit``, Keras's draws
    come from a ``random.Random(seed)`` of this thread's own instead; other
    threads, and threads not fitting, use the global module as before.
    """

    local = threading.local()

    def __init__(self, fallback):
        self._fallback = fallback

    def __getattr__(self, name):
        rng = getattr(ThreadSeedSource.local, "rng", None)
        return getattr(self._fallback if rng is None else rng, name)


def seed_source_module():
    """The Keras module whose ``python_random`` gives default seeds, or None."""
    module = sys.modules.get(SEED_GENERATOR_MODULE)
    if module is None:
        try:
            module = __import__(SEED_GENERATOR_MODULE, fromlist=["python_random"])
        except ImportError:
            return None
    source = getattr(module, "python_random", None)
    if source is random or isinstance(source, ThreadSeedSource):
        return module
    return None


def install_seed_source():
    """Give Keras a per-thread seed source; False where Keras has no such hook.

    Without the hook (another Keras layout), Keras keeps drawing from the
    global ``random`` module, which ``keras.utils.set_random_seed`` seeds: a
    seeded fit is still reproducible as long as no other thread draws.
    """
    module = seed_source_module()
    if module is None:
        return False
    if module.python_random is random:
        module.python_random = ThreadSeedSource(random)
    return True


def lazy_tensorflow():
    """Keras's lazy TensorFlow module, or None where Keras has none."""
    try:
        module = __import__(LAZY_TENSORFLOW_MODULE, fromlist=["tensorflow"])
    except ImportError:
        return None
    lazy = getattr(module, "tensorflow", None)
    return lazy if hasattr(lazy, "_available") else None


def set_random_seed(keras, seed):
    """``keras.utils.set_random_seed``, without importing TensorFlow needlessly.

    Keras seeds TensorFlow whenever it is installed, importing it to find out.
    On the JAX and PyTorch backends, before anything has imported TensorFlow,
    it has no random state to seed, and importing it costs seconds and about
    300 MB of resident memory (its libraries), which matters when fitting
    out of core. Keras's lazy TensorFlow module is then told it is absent for
    the duration of the call. Without that hook, Keras seeds as it does.
    """
    lazy_tf = None
    if keras.backend.backend() != "tensorflow" and "tensorflow" not in sys.modules:
        lazy_tf = lazy_tensorflow()
    # _available is None until Keras has tried the import.
    if lazy_tf is None or lazy_tf._available is not None:
        keras.utils.set_random_seed(seed)
        return
    lazy_tf._available = False
    try:
        keras.utils.set_random_seed(seed)
    finally:
        lazy_tf._available = None


def flatten_layers(model):
    """``model`` and every layer within it, depth first, in a fixed order.

    Uses Keras's ``_flatten_layers``; without it, walks the public ``layers``
    attribute of the model and of each nested model, in the same order.
    """
    flatten = getattr(model, "_flatten_layers", None)
    if callable(flatten):
        return list(flatten(include_self=True))
    return walk_layers(model)


def walk_layers(model):
    """What ``_flatten_layers(include_self=True)`` gives, from public attributes."""
    found, seen = [model], {id(model)}
    pending = collections.deque(getattr(model, "layers", []))
    while pending:
        layer = pending.popleft()
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        found.append(layer)
        pending.extendleft(getattr(layer, "layers", []))
    return found
