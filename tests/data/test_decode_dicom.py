"""DICOM files written by others (the test files bundled in pydicom's wheel) decode to what pydicom's
documented display pipeline gives (apply_modality_lut, then apply_voi_lut), mapped from the VOI output's
full range to 0..255, and to the DICOM standard's linear window formula (PS3.3 C.11.2.1.2.1) computed
here by hand; MONOCHROME1 is inverted; multi-frame files are refused unless a frame is chosen."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

pydicom = pytest.importorskip("pydicom", reason="pydicom is in requirements.txt")

from pydicom.data import get_testdata_file  # noqa: E402
from pydicom.pixels import apply_color_lut, apply_modality_lut, apply_voi_lut  # noqa: E402

from medprompt.data.decode import DecodeError, DecodeRule, decode_image, inspect_image  # noqa: E402
from medprompt.data.images import survey_images  # noqa: E402


def bundled(name: str) -> str:
    """A test file of the installed pydicom wheel (never downloaded: the file must be on disk)."""
    path = get_testdata_file(name, download=False)
    assert path, f"{name} is not bundled with pydicom {pydicom.__version__}"
    return path


def decoded(path, rule=DecodeRule()) -> np.ndarray:
    """The decoder's grey output (it is three equal channels)."""
    image = np.asarray(decode_image(path, rule))
    assert image.shape[2] == 3 and (image == image[..., :1]).all()
    return image[..., 0].astype(int)


def full_range(ds) -> tuple[float, float]:
    """The range of the stored values through the rescale: what a window maps to (PS3.3 C.11.2.1.2)."""
    bits, signed = int(ds.BitsStored), int(ds.PixelRepresentation) == 1
    low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)
    slope, intercept = float(ds.get("RescaleSlope", 1)), float(ds.get("RescaleIntercept", 0))
    return low * slope + intercept, high * slope + intercept


def to_255(values, low, high) -> np.ndarray:
    return np.round(np.clip((np.asarray(values, float) - low) / (high - low), 0, 1) * 255).astype(int)


def linear_window(x, center, width) -> np.ndarray:
    """PS3.3 C.11.2.1.2.1, output 0..1: below c - 0.5 - (w-1)/2 -> 0, above c - 0.5 + (w-1)/2 -> 1."""
    return np.clip((np.asarray(x, float) - (center - 0.5)) / (width - 1) + 0.5, 0, 1)


@pytest.mark.parametrize("name", ["MR_small.dcm", "examples_overlay.dcm", "MR_small_RLE.dcm"])
def test_the_files_own_window_is_pydicoms_pipeline(name):
    path = bundled(name)
    ds = pydicom.dcmread(path)
    assert "WindowCenter" in ds and ds.PhotometricInterpretation == "MONOCHROME2"
    expected = to_255(apply_voi_lut(apply_modality_lut(ds.pixel_array, ds), ds), *full_range(ds))
    got = decoded(path)
    assert np.array_equal(got, expected)
    centers, widths = ds.WindowCenter, ds.WindowWidth
    first = lambda v: float(v[0]) if ds["WindowCenter"].VM > 1 else float(v)  # noqa: E731
    by_hand = np.round(linear_window(ds.pixel_array, first(centers), first(widths)) * 255)
    assert np.abs(got - by_hand).max() <= 1
    assert len(np.unique(got)) > 50, "the window spreads the values over the 8-bit range"


def test_ct_rescale_without_a_window_maps_the_stored_bits_through_the_rescale():
    path = bundled("CT_small.dcm")
    ds = pydicom.dcmread(path)
    assert float(ds.RescaleIntercept) == -1024 and "WindowCenter" not in ds
    hu = apply_modality_lut(ds.pixel_array, ds)
    assert np.array_equal(apply_voi_lut(hu, ds), hu)  # pydicom: no VOI in the file
    assert np.array_equal(decoded(path), to_255(hu, *full_range(ds)))
    # the per-image rule stretches the file's own HU range instead
    assert np.array_equal(decoded(path, DecodeRule(high_depth="image")), to_255(hu, hu.min(), hu.max()))


def test_a_configured_window_is_applied_in_modality_units():
    path = bundled("CT_small.dcm")
    ds = pydicom.dcmread(path)
    got = decoded(path, DecodeRule(dicom_window=(40, 400)))  # a soft-tissue window in HU
    hu = apply_modality_lut(ds.pixel_array, ds)
    assert np.abs(got - np.round(linear_window(hu, 40, 400) * 255)).max() <= 1
    ds.WindowCenter, ds.WindowWidth = 40, 400
    assert np.array_equal(got, to_255(apply_voi_lut(hu, ds), *full_range(ds)))
    # and it replaces a file's own window
    mr = bundled("MR_small.dcm")
    pixels = pydicom.dcmread(mr).pixel_array
    by_hand = np.round(linear_window(pixels, 300, 200) * 255)
    assert np.abs(decoded(mr, DecodeRule(dicom_window=(300, 200))) - by_hand).max() <= 1


def test_monochrome1_is_inverted(tmp_path):
    ds = pydicom.dcmread(bundled("MR_small.dcm"))
    ds.PhotometricInterpretation = "MONOCHROME1"  # the same values, shown with 0 as white
    path = tmp_path / "mono1.dcm"
    ds.save_as(path)
    assert np.array_equal(decoded(path), 255 - decoded(bundled("MR_small.dcm")))
    assert inspect_image(path)[2].endswith("inverted (MONOCHROME1), three equal channels")


def test_multi_frame_files_are_refused_unless_a_frame_is_chosen(tmp_path):
    path = bundled("rtdose.dcm")
    ds = pydicom.dcmread(path)
    assert int(ds.NumberOfFrames) == 15
    with pytest.raises(DecodeError, match=r"holds 15 frames; multi-frame DICOM files are refused.*DICOM_FRAME"):
        decode_image(path)
    rule = DecodeRule(dicom_frame=3, high_depth="image")
    dose = apply_modality_lut(ds.pixel_array[3], ds)
    assert np.array_equal(decoded(path, rule), to_255(dose, dose.min(), dose.max()))
    with pytest.raises(DecodeError, match="DICOM_FRAME 15 is not one"):
        decode_image(path, DecodeRule(dicom_frame=15))


@pytest.mark.parametrize("name", ["SC_rgb_small_odd.dcm", "SC_ybr_full_422_uncompressed.dcm", "examples_rgb_color.dcm"])
def test_colour_files_are_pydicoms_rgb(name):
    path = bundled(name)
    assert np.array_equal(np.asarray(decode_image(path)), pydicom.dcmread(path).pixel_array)  # YBR -> RGB


def test_palette_colour_goes_through_its_tables():
    path = bundled("examples_palette.dcm")
    ds = pydicom.dcmread(path)
    bits = int(ds.RedPaletteColorLookupTableDescriptor[2])
    expected = to_255(apply_color_lut(ds.pixel_array, ds), 0, 2**bits - 1)
    assert np.array_equal(np.asarray(decode_image(path)).astype(int), expected)


def test_a_window_the_standard_forbids_is_one_error_naming_the_file(tmp_path):
    ds = pydicom.dcmread(bundled("MR_small.dcm"))
    ds.WindowWidth = 0.5  # PS3.3 C.11.2.1.2.1: a LINEAR window is at least 1 wide
    path = tmp_path / "narrow.dcm"
    ds.save_as(path)
    with pytest.raises(DecodeError, match=rf"{path}: its display values cannot be computed .*Window Width"):
        decode_image(path)


def test_a_dicom_file_without_the_suffix_is_recognised(tmp_path):
    path = tmp_path / "IM000001"
    shutil.copy(bundled("MR_small.dcm"), path)
    assert np.array_equal(decoded(path), decoded(bundled("MR_small.dcm")))


def test_the_survey_counts_dicom_kinds_and_names_each_unreadable_file(tmp_path):
    not_image = tmp_path / "plan.dcm"
    shutil.copy(bundled("rtplan.dcm"), not_image)
    broken = tmp_path / "broken.dcm"
    broken.write_bytes(b"this is not a DICOM file")
    paths = [bundled("MR_small.dcm"), bundled("MR_small_RLE.dcm"), bundled("CT_small.dcm"),
             bundled("rtdose.dcm"), str(not_image), str(broken)]
    survey = survey_images(paths)
    assert survey.lines() == [
        "2 DICOM MONOCHROME2 16-bit: modality LUT, then the file's VOI window, three equal channels",
        "1 DICOM MONOCHROME2 16-bit: modality LUT, then no window: stored -32768..32767 -> 0..255 (through the "
        "rescale), three equal channels",
    ]
    assert [b.split(" (")[0] for b in survey.bad] == paths[3:]
    assert "holds 15 frames" in survey.bad[0] and "without an image" in survey.bad[1]
    assert "not a readable DICOM file" in survey.bad[2]
