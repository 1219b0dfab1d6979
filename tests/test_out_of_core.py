"""Fitting on memory-mapped arrays: streamed in blocks, never copied whole."""

import mmap
import os

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB

import skdistill.utils._outofcore as outofcore
from skdistill import DistilledClassifier, MLPStudent, Munge
from skdistill.distill._teacher_pass import stream_pass
from skdistill.teachers._adapters import as_teacher
from skdistill.utils._outofcore import BlockReader, release_rows, streamed_batches

pytestmark = pytest.mark.backends

FAST = dict(
    epochs=4, learning_rate=0.01, random_state=0, batch_size=32, n_iter_no_change=None
)


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of 2 KiB and chunks of 512 bytes: many blocks on small data."""
    monkeypatch.setattr(outofcore, "BLOCK_BYTES", 2048)
    monkeypatch.setattr(outofcore, "CHUNK_BYTES", 512)


@pytest.fixture
def data(tmp_path):
    X, y = make_classification(
        n_samples=600, n_features=8, n_informative=5, n_classes=3, random_state=0
    )
    X = X.astype(np.float32)
    np.save(tmp_path / "X.npy", X)
    return X, y, np.load(tmp_path / "X.npy", mmap_mode="r")


@pytest.fixture
def data_teacher(data):
    X, y, _ = data
    return LogisticRegression(max_iter=500).fit(X, y)


def _resident_bytes(array):
    """Bytes of ``array``'s data mapped into this process's page tables.

    Read from /proc/self/pagemap (Linux): a page of a memory-mapped file counts
    while this process maps it (its resident set), whether or not the page
    cache also holds it; ``release_rows`` unmaps pages, reading maps them.
    """
    if not os.path.exists("/proc/self/pagemap"):
        pytest.skip("resident pages are read from /proc/self/pagemap (Linux only)")
    page = mmap.PAGESIZE
    first = array.ctypes.data // page
    last = -(-(array.ctypes.data + array.nbytes) // page)
    with open("/proc/self/pagemap", "rb") as f:
        f.seek(first * 8)
        entries = np.frombuffer(f.read((last - first) * 8), dtype=np.uint64)
    # Bit 63 of an entry: the page is present in this process.
    return int(np.count_nonzero(entries >> np.uint64(63))) * page


def test_memmap_fit_streams_blocks(
    data, data_teacher, tiny_student, small_blocks, monkeypatch
):
    X, y, X_map = data
    seen = []
    take = BlockReader.take

    def spy(self, rows, **kwargs):
        seen.append(len(rows))
        return take(self, rows, **kwargs)

    monkeypatch.setattr(BlockReader, "take", spy)
    clf = DistilledClassifier(teacher=data_teacher, student=tiny_student, **FAST)
    clf.fit(X_map, y)
    # 2 KiB blocks of 8 float32 features: 64 rows at most per read.
    assert seen and max(seen) <= 64
    # Every row went through the teacher pass and each epoch.
    assert sum(seen) >= len(X) * (1 + FAST["epochs"])
    assert clf.score(X, y) > 0.75
    assert clf.n_features_in_ == 8 and clf.input_shape_ == (8,)


def test_memmap_fit_maps_about_a_block_of_the_file_at_a_time(tmp_path, monkeypatch):
    # 16 MiB of rows in 32 blocks of 512 KiB. Rows read are released block by
    # block, so at no point does fit hold more than a few blocks of the file;
    # a copy of the whole memmap, or rows never released, map all of it.
    block = 2**19
    monkeypatch.setattr(outofcore, "BLOCK_BYTES", block)
    monkeypatch.setattr(outofcore, "CHUNK_BYTES", block // 4)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1024, 4096)).astype(np.float32)
    y = (X[:, :8].sum(axis=1) > 0).astype(int)
    np.save(tmp_path / "wide.npy", X)
    X_map = np.load(tmp_path / "wide.npy", mmap_mode="r")
    resident = []
    take = BlockReader.take

    def spy(self, rows, **kwargs):
        out = take(self, rows, **kwargs)
        resident.append(_resident_bytes(X_map))
        return out

    monkeypatch.setattr(BlockReader, "take", spy)
    clf = DistilledClassifier(
        teacher=GaussianNB().fit(X, y),
        student=MLPStudent(hidden_units=(4,)),
        epochs=1,
        batch_size=32,
        random_state=0,
    )
    clf.fit(X_map, y)
    # The teacher pass and the epoch each read the file's 32 blocks.
    assert len(resident) >= 2 * X.nbytes // block
    # The block just read is released; what stays mapped is at most the
    # partly read page-cache folios (up to 2 MiB each) at the ends of its runs.
    assert max(resident) <= 2 * block + 2 * 2**21 < X.nbytes / 2, [
        r // 2**10 for r in resident
    ]


def test_memmap_predictions_equal_in_memory_ones(
    data, data_teacher, tiny_student, small_blocks
):
    X, y, X_map = data
    clf = DistilledClassifier(teacher=data_teacher, student=tiny_student, **FAST)
    clf.fit(X_map, y)
    np.testing.assert_allclose(
        clf.predict_proba(X_map), clf.predict_proba(X), atol=1e-6
    )
    # Streamed and in-memory fits learn equally well (batches differ).
    in_memory = DistilledClassifier(teacher=data_teacher, student=tiny_student, **FAST)
    assert abs(in_memory.fit(X, y).score(X, y) - clf.score(X, y)) < 0.05


def test_streamed_feature_statistics(data, data_teacher, small_blocks):
    X, y, X_map = data
    reader = BlockReader([X_map[:250], X_map[250:]], ["X", "X_unlabeled"])
    adapter = as_teacher(data_teacher, "classification")
    (classes, logits), (mean, std) = stream_pass(reader, adapter)
    np.testing.assert_allclose(mean, X.mean(axis=0), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(std, X.std(axis=0), rtol=1e-4)
    np.testing.assert_allclose(logits, np.log(data_teacher.predict_proba(X)), atol=1e-4)
    np.testing.assert_array_equal(classes, data_teacher.classes_)


def test_memmap_unlabeled_rows_and_validation(
    data, data_teacher, tiny_student, small_blocks
):
    X, y, X_map = data
    clf = DistilledClassifier(
        teacher=data_teacher, student=tiny_student, validation_fraction=0.2, **FAST
    )
    clf.fit(X[:200], y[:200], X_unlabeled=X_map[200:])
    assert len(clf.history_["val_loss"]) == FAST["epochs"]
    assert clf.score(X, y) > 0.7


def test_other_dtypes_are_converted_block_by_block(
    tmp_path, tiny_student, small_blocks
):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(300, 6, 6), dtype=np.uint8)
    y = (images[:, :3].mean(axis=(1, 2)) > images[:, 3:].mean(axis=(1, 2))).astype(int)
    np.save(tmp_path / "images.npy", images)
    images_map = np.load(tmp_path / "images.npy", mmap_mode="r")
    clf = DistilledClassifier(student=tiny_student, alpha=1.0, **FAST)
    clf.fit(images_map, y)
    assert clf.input_shape_ == (6, 6)
    np.testing.assert_allclose(
        clf.predict_proba(images_map),
        clf.predict_proba(images.astype(np.float32)),
        atol=1e-6,
    )


def test_nan_in_a_block_is_named(tmp_path, data, data_teacher, small_blocks):
    X, y, _ = data
    X_bad = X.copy()
    X_bad[500, 3] = np.nan
    np.save(tmp_path / "bad.npy", X_bad)
    X_map = np.load(tmp_path / "bad.npy", mmap_mode="r")
    with pytest.raises(ValueError, match="Input X contains NaN"):
        DistilledClassifier(teacher=data_teacher, **FAST).fit(X_map, y)
    with pytest.raises(ValueError, match="Input X_unlabeled contains NaN"):
        DistilledClassifier(teacher=data_teacher, **FAST).fit(
            X[:100], y[:100], X_unlabeled=X_map
        )


@pytest.mark.parametrize(
    "params", [{"augment": Munge()}, {"teacher_cv": 3}], ids=["augment", "teacher_cv"]
)
def test_options_needing_rows_in_memory_are_refused(data, params):
    X, y, X_map = data
    name = next(iter(params))
    clf = DistilledClassifier(teacher=LogisticRegression(), **params, **FAST)
    with pytest.raises(ValueError, match=f"{name}=.*numpy.memmap.*Set {name}=None"):
        clf.fit(X_map, y)


def test_memmap_is_not_modified_and_copy_on_write_is_kept(tmp_path, data):
    X, _, X_map = data
    X_copy_on_write = np.load(tmp_path / "X.npy", mmap_mode="c")
    X_copy_on_write[0, 0] = 1234.0
    # A copy-on-write mapping holds the user's private change: never released.
    release_rows(X_copy_on_write, 0, len(X))
    assert X_copy_on_write[0, 0] == 1234.0
    # A read-only mapping reads back the same after its pages are released,
    # and the released pages leave this process: none of them stay mapped.
    before = np.array(X_map)
    assert _resident_bytes(X_map) > 0
    release_rows(X_map, 0, len(X))
    assert _resident_bytes(X_map) == 0
    np.testing.assert_array_equal(X_map, before)
    np.testing.assert_array_equal(np.load(tmp_path / "X.npy"), X)


def _one_epoch(batches):
    return [batches[i] for i in range(len(batches))]


def test_streamed_batches_visit_each_row_once_in_mixed_order(tmp_path, small_blocks):
    n = 1000
    # Rows sorted by class, as files often are; feature 0 is the row number.
    X = np.repeat(np.arange(n, dtype=np.float32)[:, None], 2, axis=1)
    np.save(tmp_path / "rows.npy", X)
    reader = BlockReader([np.load(tmp_path / "rows.npy", mmap_mode="r")], ["X"])
    labels = np.arange(n) * 4 // n
    targets = labels[:, None].astype(np.float32)
    weights = np.arange(n, dtype=np.float32)
    train = np.setdiff1d(np.arange(n), np.arange(0, n, 10))
    batches = streamed_batches(
        reader, targets, weights, train, batch_size=32, shuffle=True, seed=0
    )
    epochs = []
    for _ in range(2):
        epoch = _one_epoch(batches)
        batches.on_epoch_end()
        for x, t, w in epoch:
            # Targets and weights belong to the rows they come with.
            np.testing.assert_array_equal(w, x[:, 0])
            np.testing.assert_array_equal(t[:, 0], labels[x[:, 0].astype(int)])
        rows = np.concatenate([x[:, 0] for x, _, _ in epoch]).astype(int)
        np.testing.assert_array_equal(np.sort(rows), train)
        epochs.append(rows)
        # Most batches of 32 mix classes, though the file is sorted by class.
        mixed = [len(np.unique(t)) > 1 for _, t, _ in epoch if len(t) == 32]
        assert np.mean(mixed) > 0.9
    assert not np.array_equal(epochs[0], epochs[1])
    # Without shuffling, rows come in file order.
    ordered = streamed_batches(
        reader, targets, weights, train, batch_size=32, shuffle=False, seed=0
    )
    rows = np.concatenate([x[:, 0] for x, _, _ in _one_epoch(ordered)])
    np.testing.assert_array_equal(rows, train)
