"""The least-recently-used store behind every cache, and clear_caches."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import skdistill
from skdistill import DistilledClassifier, MLPStudent, get_teacher_cache
from skdistill.teachers._distributed import FETCHED
from skdistill.training._trainer import TRAINERS
from skdistill.utils._lru import LRUCache


def test_least_recently_used_goes_first():
    cache = LRUCache(max_entries=2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "b" is now the least recently used
    cache.put("c", 3)
    assert "b" not in cache and cache.get("a") == 1 and cache.get("c") == 3


def test_bytes_bound_and_oversized_values():
    cache = LRUCache(max_bytes=10, sizeof=len)
    assert cache.put("a", "xxxx") and cache.put("b", "yyyy")
    assert cache.nbytes == 8
    cache.put("c", "zzzz")
    assert "a" not in cache and cache.nbytes == 8
    assert not cache.put("big", "x" * 11), "larger than the bound on its own"
    assert "big" not in cache and len(cache) == 2


def test_replacing_a_key_recounts_its_bytes():
    cache = LRUCache(max_bytes=100, sizeof=len)
    cache.put("a", "x" * 40)
    cache.put("a", "x" * 10)
    assert cache.nbytes == 10 and len(cache) == 1


def test_a_zero_bound_stores_nothing_and_bounds_can_change():
    cache = LRUCache(max_entries=0)
    assert not cache.put("a", 1) and len(cache) == 0
    cache.max_entries = 3
    for key in "abcd":
        cache.put(key, key)
    assert [k for k, _ in cache.items()] == ["b", "c", "d"]
    assert cache.pop("c") == "c" and cache.pop("c", "gone") == "gone"


def test_clear_caches_empties_every_cache(small_data):
    X, y = small_data
    skdistill.clear_caches()  # what earlier tests left
    clf = DistilledClassifier(
        teacher=LogisticRegression(),  # unfitted: its fit is cached too
        student=MLPStudent(hidden_units=(8,)),
        epochs=1,
        random_state=0,
    ).fit(X, y)
    FETCHED.put("skdistill-teacher-test", object())
    cache = get_teacher_cache()
    assert len(cache) > 0 and cache.nbytes > 0 and cache.misses > 0
    assert len(cache._teachers) == 1
    import keras

    if keras.backend.backend() == "tensorflow":
        assert len(TRAINERS) == 1
    skdistill.clear_caches()
    assert len(cache) == 0 and cache.nbytes == 0 and cache.misses == 0
    assert len(cache._teachers) == 0 and len(TRAINERS) == 0 and len(FETCHED) == 0
    # Later fits work and recompute what they need.
    again = clf.fit(X, y)
    assert cache.rows_computed == len(X)
    np.testing.assert_array_equal(again.classes_, np.unique(y))


def test_clear_caches_is_public():
    assert "clear_caches" in skdistill.__all__
    with pytest.raises(TypeError):
        skdistill.clear_caches("everything")
