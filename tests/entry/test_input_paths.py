"""Input mistakes about paths and names end in one message (no traceback): a file where a folder is
expected, and an unknown backbone name offline."""

from __future__ import annotations

import pytest

from medprompt.utils.errors import UserError


def test_sweep_output_that_is_a_file(tmp_path):
    from medprompt.sweep import cli

    (tmp_path / "out").write_text("x")
    (tmp_path / "data").mkdir()
    with pytest.raises(UserError, match="--output .*out is a file, not a folder"):
        cli.main(["fewshot", "--methods", "CoOp", "--configs", "vit_b16", "--datasets", "BTMRI",
                  "--data", str(tmp_path / "data"), "--output", str(tmp_path / "out"), "--dry-run"])


def test_demo_output_or_data_that_is_a_file(tmp_path):
    import demo

    (tmp_path / "afile").write_text("x")
    for flag in ("--output", "--data"):
        with pytest.raises(UserError, match=f"{flag} .*afile is a file, not a folder"):
            demo.make_plan(demo.build_parser().parse_args([flag, str(tmp_path / "afile")]))


def test_cache_dir_that_is_a_file(tmp_path, monkeypatch):
    from medprompt.utils.paths import cache_root

    (tmp_path / "afile").write_text("x")
    with pytest.raises(UserError, match="MODEL.CACHE_DIR .*afile is a file"):
        cache_root(str(tmp_path / "afile"))
    monkeypatch.setenv("MEDPROMPT_CACHE", str(tmp_path / "afile"))
    with pytest.raises(UserError, match=r"\$MEDPROMPT_CACHE .*afile is a file"):
        cache_root("")


def test_unknown_backbone_name_says_so_first(monkeypatch):
    """Not 'set WEIGHTS random', which would only end in the same mistake one step later."""
    from medprompt.clip.backbones import load_backbone

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for weights in ("", "random"):
        with pytest.raises(UserError) as err:
            load_backbone("vit-b61", weights)
        assert "not an open_clip model name" in str(err.value) and "'random'" not in str(err.value)
