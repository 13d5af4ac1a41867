"""Every published split file, read as users have it: small image trees built from it load correctly.

For each file in ../shared/splits/: the Dassl-free parser reads the whole file (counts, label order,
class names); then a few entries per class and split are written as tiny images in the dataset's own
layout, with a split file of just those entries, and loaded through the loader and the registered
Dassl dataset, including the base/new class groups.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import pytest
from shared_splits import (
    SHARED_SPLITS,
    is_ignored,
    published,
    shared_split_files,
    spec_for_file,
    write_tree,
)

from medprompt.data.loader import LoadOptions, load_dataset
from medprompt.data.splits import SPLITS, read_split

pytestmark = pytest.mark.skipif(not SHARED_SPLITS.is_dir(), reason=f"{SHARED_SPLITS} is absent (published split files)")
FILES = shared_split_files()
IDS = [f"{p.parent.name}/{p.stem}" for p in FILES]


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_parser_reads_the_whole_published_file(path, tmp_path):
    spec = spec_for_file(path)
    data = published(path)
    splits = read_split(path, spec, tmp_path, log=lambda *_: None)
    for key in SPLITS:
        kept = [e for e in data[key] if not is_ignored(spec, e[0])]
        assert len(splits[key]) == len(kept)
        assert [it.label for it in splits[key]] == [e[1] for e in kept]
        assert [it.classname for it in splits[key]] == [spec.classnames[e[1]] for e in kept]
        assert all(Path(it.impath).is_relative_to(tmp_path) for it in splits[key])
    assert sorted({it.label for it in splits["test"]}) == list(range(spec.num_classes))


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_tiny_tree_loads_through_the_loader(path, tmp_path):
    spec, small = write_tree(path, tmp_path)
    for subsample in ("all", "base", "new"):
        loaded = load_dataset(spec, tmp_path, LoadOptions(subsample=subsample), log=lambda *_: None)
        cut = math.ceil(spec.num_classes / 2)
        kept = {"all": range(spec.num_classes), "base": range(cut), "new": range(cut, spec.num_classes)}[subsample]
        assert loaded.classnames == [spec.classnames[i] for i in kept]
        for key, items in zip(SPLITS, (loaded.train, loaded.val, loaded.test)):
            expected = [
                (str(spec.image_dir(tmp_path) / rel), kept.index(label))
                for rel, label, _ in small[key]
                if label in kept
            ]
            assert [(it.impath, it.label) for it in items] == expected
            assert all(it.classname == loaded.classnames[it.label] for it in items)


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_tiny_tree_loads_through_dassl(path, tmp_path):
    pytest.importorskip("dassl", reason="stock Dassl is not installed (see README)")
    from dassl.data.datasets import build_dataset
    from test_data_registry import dassl_cfg

    spec, small = write_tree(path, tmp_path)

    for subsample in ("all", "base"):
        cfg = dassl_cfg(tmp_path, spec.name, SUBSAMPLE_CLASSES=subsample)
        ds = build_dataset(cfg)
        n = spec.num_classes if subsample == "all" else math.ceil(spec.num_classes / 2)
        assert ds.classnames == list(spec.classnames[:n])
        assert ds.lab2cname == dict(enumerate(spec.classnames[:n]))
        assert ds.num_classes == n and ds.modality == spec.modality and ds.spec is spec
        counts = Counter(label for _, label, _ in small["test"] if label < n)
        assert Counter(d.label for d in ds.test) == counts
        assert len(ds.train_x) == sum(1 for e in small["train"] if e[1] < n)
        assert all(d.classname == ds.lab2cname[d.label] for d in ds.train_x + ds.val + ds.test)
