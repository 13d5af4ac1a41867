"""Cache keys cover everything that changes the cached content (the issue's stale-cache cases)."""

from __future__ import annotations

import contextlib
from types import SimpleNamespace

import torch
from e2e import needs_dassl
from medprompt.data.decode import DecodeRule
from medprompt.run.feature_cache import content_key

needs_dassl()

from trainers.base import PromptTrainerBase  # noqa: E402


class _Recorder:
    def __init__(self):
        self.keys = []

    def get_or_compute(self, kind, parts, compute, label=""):
        self.keys.append(content_key(parts))
        return {"features": torch.zeros(1, 2), "labels": torch.zeros(1)}


def _fake_trainer(precision: str):
    encoder = SimpleNamespace(fits=lambda text: True, encode_texts=lambda texts: torch.zeros(len(texts), 2))
    return SimpleNamespace(text_encoder=encoder, backbone=SimpleNamespace(identity={"name": "m", "digest": "d"}),
                           effective_precision=precision, autocast=contextlib.nullcontext, cache=_Recorder(),
                           decode_rule=DecodeRule(),
                           device=torch.device("cpu"), cfg=SimpleNamespace(MODEL=SimpleNamespace(PRECISION=precision)))


def test_text_feature_key_covers_precision():
    keys = []
    for precision in ("fp32", "fp16"):
        fake = _fake_trainer(precision)
        PromptTrainerBase.frozen_text_features(fake, ["a lesion"], source="test")
        keys += fake.cache.keys
    assert keys[0] != keys[1]


def test_image_labels_come_from_the_split_not_the_cache(tmp_path, monkeypatch):
    """Same images, two label orders (a corrected split file; COVID_19 vs COVID_19_BiomedCoOp): the features
    are encoded once and reused, the labels always follow the split file of the run."""
    import trainers.base as base
    from medprompt.run.feature_cache import FeatureCache

    encoded = []
    monkeypatch.setattr(base, "build_data_loader", lambda *args, data_source, **kw: data_source)
    monkeypatch.setattr(base, "encode_loader", lambda _encode, items, *a, **kw: (
        encoded.extend(items) or {"features": torch.arange(len(items) * 2.0).view(len(items), 2)}))
    images = [tmp_path / "a.png", tmp_path / "b.png"]
    for path in images:
        path.write_bytes(b"x")
    fake = _fake_trainer("fp32")
    fake.cache = FeatureCache(tmp_path / "cache")
    fake.clip = SimpleNamespace(encode_image=None)
    fake.cfg = SimpleNamespace(DATASET=SimpleNamespace(NAME="COVID_19"),
                               DATALOADER=SimpleNamespace(NUM_WORKERS=0, TEST=SimpleNamespace(BATCH_SIZE=2)))
    fake.split_features = lambda *a: PromptTrainerBase.split_features(fake, *a)
    got = []
    for labels in ([0, 1], [1, 0]):
        items = [SimpleNamespace(impath=str(p), label=lab) for p, lab in zip(images, labels)]
        loader = SimpleNamespace(dataset=SimpleNamespace(data_source=items, transform="T"))
        got.append(PromptTrainerBase.image_features(fake, "test", loader))
    assert len(encoded) == 2  # the second split reused both images' features
    assert got[0]["labels"].tolist() == [0, 1] and got[1]["labels"].tolist() == [1, 0]
    assert torch.equal(got[0]["features"], got[1]["features"])
