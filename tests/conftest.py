"""Shared fixtures: tiny random backbones on disk, offline hub, and the Dassl marker."""

from __future__ import annotations

import os

# Every hub look-up must fail at once: the tests never reach the network.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import pytest  # noqa: E402
import tiny_models  # noqa: E402


def pytest_sessionstart(session):
    """CI sets MEDPROMPT_REQUIRE_DASSL=1: there the Dassl path is the product, so a missing or broken
    Dassl stops the run instead of letting every Dassl test skip."""
    if os.environ.get("MEDPROMPT_REQUIRE_DASSL") != "1":
        return
    try:
        import dassl.engine  # noqa: F401
    except Exception as err:  # noqa: BLE001  (any import failure means the product is untested)
        pytest.exit(f"MEDPROMPT_REQUIRE_DASSL=1 but the stock Dassl does not import: {err!r}", returncode=3)


@pytest.fixture(scope="session")
def native_dir(tmp_path_factory):
    """A local-dir tiny CLIP with open_clip's own text transformer."""
    return tiny_models.write_local_dir(tmp_path_factory.mktemp("native") / "model", "native")


@pytest.fixture(scope="session")
def hf_dir(tmp_path_factory):
    """A local-dir tiny CLIP with a BERT text tower (BiomedCLIP's text side)."""
    return tiny_models.write_local_dir(tmp_path_factory.mktemp("hf") / "model", "hf")


@pytest.fixture(scope="session")
def btmri_data(tmp_path_factory):
    """A data root holding a tiny BTMRI tree (2 images per class and split, 8-bit colour PNGs), shared:
    tests must not change its files."""
    import tiny_data

    root = tmp_path_factory.mktemp("btmri")
    tiny_data.write_tiny_dataset(root, "BTMRI", per_class=2)
    return root


@pytest.fixture(params=["native", "hf"])
def any_dir(request, native_dir, hf_dir):
    return native_dir if request.param == "native" else hf_dir


@pytest.fixture(autouse=True)
def _undo_dassl_logging_disable():
    """Importing Dassl's data package calls logging.disable(WARNING) for the whole process; tests that
    read log records must not depend on whether an earlier test imported Dassl."""
    import logging

    logging.disable(logging.NOTSET)
    yield


@pytest.fixture
def no_proxy(monkeypatch):
    """No proxy between the openai client and a test server on 127.0.0.1."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
