"""Feature heads on augmented views (MODEL.AUGMENTED_VIEWS): each view of each training image is encoded once
per (images, transform, seed, view) and reused by every method and seed that asks for it; views differ from
one another and from the test-time view, and come out the same whoever asks."""

from __future__ import annotations

import pytest

dassl = pytest.importorskip("dassl", reason="stock Dassl is not installed (see README)")

import torch  # noqa: E402

from medprompt.clip.augmented_views import augmented_batch, view_seed  # noqa: E402
from baseline_runs import build, train_args  # noqa: E402
from test_stacking_mpc import data  # noqa: E402,F401  (a tiny tree)

VIEWS = ("MODEL.AUGMENTED_VIEWS", "2")


def test_a_view_depends_on_seed_view_and_image_only():
    from PIL import Image
    from torchvision import transforms as T

    image = Image.new("RGB", (40, 40))
    image.putdata([(i % 256, (3 * i) % 256, (7 * i) % 256) for i in range(1600)])
    tfm = T.Compose([T.RandomResizedCrop(16), T.RandomHorizontalFlip(), T.ToTensor()])
    torch.manual_seed(123)
    state = torch.random.get_rng_state()
    a = augmented_batch([image], ["x.png"], tfm, seed=0, view=0)
    assert torch.equal(torch.random.get_rng_state(), state)  # the caller's random state is untouched
    assert torch.equal(a, augmented_batch([image], ["x.png"], tfm, seed=0, view=0))
    assert not torch.equal(a, augmented_batch([image], ["x.png"], tfm, seed=0, view=1))
    assert not torch.equal(a, augmented_batch([image], ["x.png"], tfm, seed=1, view=0))
    assert view_seed(0, 0, "x.png") != view_seed(0, 0, "y.png")


def test_each_view_is_encoded_once_across_two_methods_and_seeds(native_dir, data, tmp_path, capsys):
    cache = tmp_path / "cache"
    adapter = build(train_args("CLIPAdapter", native_dir, data, tmp_path / "a", cache, *VIEWS))
    adapter.before_train()
    first = capsys.readouterr().out
    assert "Cached 8 train image features, augmented view 0" in first
    assert "Cached 8 train image features, augmented view 1" in first
    views = adapter.train_views
    assert views.shape[0] == 2 and not torch.allclose(views[0], views[1])
    plain = adapter.split_features("train", list(adapter.dm.dataset.train_x), adapter.test_loader.dataset.transform)
    assert not torch.allclose(views[0], plain["features"])  # augmented, not the test-time view
    tip = build(train_args("TipAdapter", native_dir, data, tmp_path / "t", cache, *VIEWS, seed=2))
    second = capsys.readouterr().out
    assert "Reused 8 cached train image features, augmented view 0" in second
    assert "Reused 8 cached train image features, augmented view 1" in second
    assert "Cached 8 train image features, augmented view" not in second
    assert tip.learner is not None
    other = build(train_args("CLIPAdapter", native_dir, data, tmp_path / "o", cache, *VIEWS, "MODEL.AUGMENT_SEED", "1"))
    other.before_train()
    assert "Cached 8 train image features, augmented view 0" in capsys.readouterr().out  # another seed, other views
    assert not torch.allclose(other.train_views[0], views[0])


def test_epochs_walk_through_the_views(native_dir, data, tmp_path):
    trainer = build(train_args("CLIPAdapter", native_dir, data, tmp_path / "a", tmp_path / "cache", *VIEWS))
    trainer.before_train()
    seen = []
    for epoch in range(3):
        trainer.epoch = epoch
        trainer.before_epoch()
        seen.append(trainer.train_loader_x.dataset.tensors[0])
    assert torch.equal(seen[0], trainer.train_views[0]) and torch.equal(seen[1], trainer.train_views[1])
    assert torch.equal(seen[2], trainer.train_views[0])
