"""16-bit grey trees whose four classes differ only in intensity, as X-ray/CT/MRI exports come: Dassl's
stock reading (Pillow's convert("RGB")) makes every image the same white picture, so any classifier is
at chance; through train.py the linear probe on the tiny backbone separates them. DICOM files named by
a split file load and train too, and the dataset check says what it found and how it reads it."""

from __future__ import annotations

import pytest

dassl = pytest.importorskip("dassl", reason="stock Dassl is not installed (see README)")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import tiny_data  # noqa: E402
from baseline_runs import restored_stdout, run_train_py, train_args  # noqa: E402

LEVELS = (9000, 24000, 39000, 54000)  # class intensities, all far above 255


def write_grey16(path, label, size, rng, suffix=".png"):
    """A 16-bit grey image of the class's level with seeded noise (same for PNG and TIFF)."""
    noise = np.asarray([rng.gauss(0, 1500) for _ in range(size * size)]).reshape(size, size)
    values = np.clip(LEVELS[label] + noise, 0, 65535).astype(np.uint16)
    Image.fromarray(values).save(path)


def write_dicom(path, label, size, rng):
    """A real CT file of pydicom's test set with its pixels replaced by the class level in HU, and a
    window that shows them (as CT exports carry)."""
    import pydicom
    from pydicom.data import get_testdata_file

    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))  # signed 16-bit, rescale intercept -1024
    hu = np.asarray([rng.gauss(0, 20) for _ in range(size * size)]).reshape(size, size) + (-600 + 300 * label)
    ds.Rows = ds.Columns = size
    ds.PixelData = (hu + 1024).astype(np.int16).tobytes()
    ds.WindowCenter, ds.WindowWidth = -150, 1400
    ds.save_as(path)


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_stock_reading_whitens_16_bit_grey(tmp_path, suffix):
    from dassl.utils import read_image

    tiny_data.write_tiny_dataset(tmp_path, "BTMRI", per_class=1, writer=write_grey16, suffix=suffix)
    paths = sorted(tmp_path.rglob(f"*{suffix}"))
    assert len(paths) == 12
    stock = {read_image(str(p)).tobytes() for p in paths}
    assert len(stock) == 1 and set(next(iter(stock))) == {255}  # one all-white picture: chance for any model


@pytest.mark.parametrize("suffix,writer", [(".png", write_grey16), (".tif", write_grey16), (".dcm", write_dicom)])
def test_linear_probe_separates_classes_that_differ_only_in_intensity(suffix, writer, native_dir, tmp_path, capsys):
    from medprompt.results import read_run

    data = tmp_path / "data"
    tiny_data.write_tiny_dataset(data, "BTMRI", per_class=3, writer=writer, suffix=suffix)
    out = tmp_path / "out"
    with restored_stdout():
        run_train_py(train_args("LinearProbe", native_dir, data, out, tmp_path / "cache"))
    run = read_run(out)
    assert run.finished, run.reason
    assert run.metrics["accuracy"] >= 90.0, run.metrics  # chance is 25%
    log = (out / "log.txt").read_text()
    fmt = {".png": "PNG I;16", ".tif": "TIFF I;16", ".dcm": "DICOM MONOCHROME2 16-bit"}[suffix]
    assert f"36 {fmt}" in log, log  # the dataset check counted every image and says how it reads them
