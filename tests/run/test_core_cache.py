"""Feature cache: a hit for the same content, a miss when anything that changes the content changes."""

import os

import torch

from medprompt.run.feature_cache import FeatureCache, file_id


def test_hit_miss_and_invalidation(tmp_path):
    image = tmp_path / "img.png"
    image.write_bytes(b"one")
    cache = FeatureCache(tmp_path / "cache")
    calls = []

    def compute():
        calls.append(1)
        return {"features": torch.randn(2, 4)}

    parts = {"backbone": {"digest": "abc"}, "images": file_id(str(image)), "transform": "T"}
    first = cache.get_or_compute("image_features", parts, compute)
    second = cache.get_or_compute("image_features", parts, compute)
    assert len(calls) == 1 and cache.hits == 1 and cache.misses == 1
    assert torch.equal(first["features"], second["features"])

    cache.get_or_compute("image_features", {**parts, "backbone": {"digest": "other"}}, compute)
    cache.get_or_compute("image_features", {**parts, "transform": "T2"}, compute)
    image.write_bytes(b"changed image")
    os.utime(image, ns=(1, 1))
    cache.get_or_compute("image_features", {**parts, "images": file_id(str(image))}, compute)
    assert len(calls) == 4


def test_no_partial_files_and_corrupt_entries_are_recomputed(tmp_path):
    cache = FeatureCache(tmp_path)
    parts = {"k": 1}
    cache.get_or_compute("x", parts, lambda: {"features": torch.ones(1)})
    [entry] = list((tmp_path / "x").iterdir())
    assert entry.suffix == ".pt"  # only the final file, no temporary left behind
    entry.write_bytes(b"garbage")
    out = cache.get_or_compute("x", parts, lambda: {"features": torch.zeros(1)})
    assert torch.equal(out["features"], torch.zeros(1))


def test_disabled_cache_always_computes():
    cache = FeatureCache(None)
    calls = []
    for _ in range(2):
        cache.get_or_compute("x", {}, lambda: calls.append(1) or {"features": torch.ones(1)})
    assert len(calls) == 2


def _compute_in_process(root, log):
    """One of several processes asking for the same missing entry at once."""
    import time

    def compute():
        with open(log, "a") as handle:
            handle.write("computed\n")
        time.sleep(0.5)  # long enough that the other process asks while this one computes
        return {"features": torch.ones(3)}

    FeatureCache(root).get_or_compute("image_features", {"k": "shared"}, compute, label="test")


def test_concurrent_runs_compute_a_missing_entry_once(tmp_path):
    import multiprocessing

    log = tmp_path / "computed.txt"
    ctx = multiprocessing.get_context("fork")
    workers = [ctx.Process(target=_compute_in_process, args=(tmp_path / "cache", log)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert [w.exitcode for w in workers] == [0, 0, 0]
    assert log.read_text().splitlines() == ["computed"]
    [entry] = (tmp_path / "cache" / "image_features").iterdir()
    assert torch.equal(torch.load(entry)["features"], torch.ones(3))
