"""DICOM files (read with pydicom) as 8-bit pictures, following the display pipeline of DICOM PS3.3 C.11.

Grey (MONOCHROME1/2): the stored values go through the modality LUT (RescaleSlope/RescaleIntercept or
a Modality LUT Sequence; pydicom's `apply_modality_lut`), then the VOI stage: the window of
INPUT.DECODE.DICOM_WINDOW ([center, width] in modality units, e.g. HU; linear function) when set, else
the file's own first VOI LUT or window (pydicom's `apply_voi` / `apply_windowing`, which honour
VOILUTFunction). The VOI output is mapped from its full range to 0..255: for a window the modality
output range (the stored bits through the rescale, as pydicom computes it), for a VOI LUT 0..2^n-1 with
n its descriptor's bits. A file with no VOI and no configured window is mapped by the high-bit-depth
rule (medprompt.data.decode: the stored bits through the rescale, the allocated bits, or the image's
own min..max). MONOCHROME1 (0 is white) is inverted so that white is always high.

Colour: RGB and YBR files as pydicom returns them (YBR converted to RGB); PALETTE COLOR through its
lookup tables (`apply_color_lut`); samples above 8 bits are scaled by their bits.

Frames: a multi-frame file is refused (INPUT.DECODE.DICOM_FRAME -1, the default: which frame stands
for the image is the user's choice), or frame N of every multi-frame file is read (DICOM_FRAME N).
"""

from __future__ import annotations

import os

import numpy as np

from medprompt.data.decode import DecodeError, DecodeRule, Sample, describe_sample, image_range, to_uint8, value_range

GREY = ("MONOCHROME1", "MONOCHROME2")


def read_dataset(path: str | os.PathLike[str], pixels: bool = True):
    """The pydicom dataset of a DICOM file (without its pixel data unless `pixels`)."""
    import pydicom

    try:
        return pydicom.dcmread(path, stop_before_pixels=not pixels)
    except Exception as err:  # pydicom raises several types for a file that is not DICOM
        raise DecodeError(path, f"not a readable DICOM file: {err}") from err


def frame_count(ds) -> int:
    return int(ds.get("NumberOfFrames", 1) or 1)


def chosen_frame(path: str | os.PathLike[str], ds, rule: DecodeRule) -> int | None:
    """The frame index to read from a multi-frame file, None for a single frame; refuses as the rule says."""
    frames = frame_count(ds)
    if frames == 1:
        return None
    if rule.dicom_frame < 0:
        raise DecodeError(path, f"holds {frames} frames; multi-frame DICOM files are refused (which frame "
                          "stands for the image is yours to choose: set INPUT.DECODE.DICOM_FRAME to a frame "
                          "index, or export one frame per file)")
    if rule.dicom_frame >= frames:
        raise DecodeError(path, f"holds {frames} frames; INPUT.DECODE.DICOM_FRAME {rule.dicom_frame} is not one")
    return rule.dicom_frame


def modality_range(ds, bits: int | None = None) -> tuple[float, float]:
    """(y_min, y_max): the range of the modality LUT's output for stored values of `bits` bits
    (default BitsStored), computed as pydicom's `apply_windowing` does (not sorted: a negative slope
    gives y_min > y_max, and a window maps below-window values to y_min)."""
    if ds.get("ModalityLUTSequence"):
        return 0.0, float(2 ** int(ds.ModalityLUTSequence[0].LUTDescriptor[2]) - 1)
    bits = int(bits or ds.BitsStored)
    signed = int(ds.get("PixelRepresentation", 0)) == 1
    low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)
    slope, intercept = ds.get("RescaleSlope"), ds.get("RescaleIntercept")
    if slope is not None and intercept is not None:
        low, high = low * float(slope) + float(intercept), high * float(slope) + float(intercept)
    return float(low), float(high)


def voi_source(ds, rule: DecodeRule) -> str:
    """Which VOI stage applies: 'config' window, the file's 'lut' or 'window', or '' (none)."""
    if rule.dicom_window:
        return "config"
    item = (ds.get("VOILUTSequence") or [None])[0]
    if item is not None and item.get("LUTDescriptor") is not None and item.get("LUTData") is not None:
        return "lut"
    if ds.get("WindowCenter") is not None and ds.get("WindowWidth") is not None:
        return "window"
    return ""


def grey(pixels: np.ndarray, ds, rule: DecodeRule) -> np.ndarray:
    """[H, W] uint8 of a MONOCHROME frame: modality LUT, VOI, full range of the VOI output -> 0..255."""
    from pydicom.pixels import apply_modality_lut, apply_voi, apply_windowing

    if np.issubdtype(pixels.dtype, np.floating):  # Float Pixel Data: no modality LUT, no stored bits
        low, high = image_range(pixels) if rule.high_depth == "image" else (0.0, 1.0)
        out = to_uint8(pixels, low, high)
    else:
        values = apply_modality_lut(pixels, ds)
        source = voi_source(ds, rule)
        if source == "config":
            ds.WindowCenter, ds.WindowWidth = rule.dicom_window
            for name in ("VOILUTFunction", "VOILUTSequence"):
                if name in ds:
                    delattr(ds, name)
        if source == "lut":
            depth = int(ds.VOILUTSequence[0].LUTDescriptor[2])
            out = to_uint8(apply_voi(np.rint(values).astype(np.int64), ds), 0.0, float(2**depth - 1))
        elif source:
            out = to_uint8(apply_windowing(values, ds), *modality_range(ds))
        elif rule.high_depth == "image":
            out = to_uint8(values, *image_range(np.asarray(values)))
        else:
            stored = int(ds.BitsStored)
            bits = int(ds.BitsAllocated) if rule.high_depth == "dtype" else (rule.bits if rule.bits and stored > 8
                                                                             else stored)
            out = to_uint8(values, *sorted(modality_range(ds, bits)))
    return 255 - out if ds.PhotometricInterpretation == "MONOCHROME1" else out


def colour(pixels: np.ndarray, ds, rule: DecodeRule) -> np.ndarray:
    """[H, W, 3] uint8 of a colour frame."""
    from pydicom.pixels import apply_color_lut

    if ds.PhotometricInterpretation == "PALETTE COLOR":
        depth = int(ds.RedPaletteColorLookupTableDescriptor[2])
        return to_uint8(apply_color_lut(pixels, ds), 0.0, float(2**depth - 1))
    if pixels.dtype == np.uint8:
        return pixels
    sample = Sample("int" if int(ds.get("PixelRepresentation", 0)) == 1 else "uint", int(ds.BitsAllocated))
    low, high = image_range(pixels) if rule.high_depth == "image" else value_range(sample, rule, int(ds.BitsStored))
    return to_uint8(pixels, low, high)


def describe_dicom(path: str | os.PathLike[str], rule: DecodeRule) -> tuple[str, str, str]:
    """("DICOM", mode, how it is read) from the header; DecodeError for a file the rule refuses."""
    ds = read_dataset(path, pixels=False)
    kind = ds.get("PhotometricInterpretation")
    if kind is None:
        raise DecodeError(path, "a DICOM file without an image (no Photometric Interpretation)")
    chosen_frame(path, ds, rule)
    allocated, stored = int(ds.get("BitsAllocated", 0)), int(ds.get("BitsStored", 0))
    mode = f"{kind} {allocated}-bit" + (f" ({stored} stored)" if stored and stored != allocated else "")
    if frame_count(ds) > 1:
        mode += f", frame {rule.dicom_frame} of many"
    if kind not in GREY:
        return "DICOM", mode, "colour as stored (palette through its tables, YBR to RGB)"
    source = voi_source(ds, rule)
    if source == "config":
        how = f"window {rule.dicom_window[0]:g}/{rule.dicom_window[1]:g} (INPUT.DECODE.DICOM_WINDOW)"
    elif source:
        how = "the file's VOI " + ("LUT" if source == "lut" else "window")
    else:
        sample = Sample("int" if int(ds.get("PixelRepresentation", 0)) == 1 else "uint", allocated)
        how = "no window: stored " + describe_sample(sample, rule, stored) + (
            " (through the rescale)" if ds.get("RescaleSlope") is not None else "")
    how = "modality LUT, then " + how + (", inverted (MONOCHROME1)" if kind == "MONOCHROME1" else "")
    return "DICOM", mode, how + ", three equal channels"


def read_dicom(path: str | os.PathLike[str], rule: DecodeRule) -> np.ndarray:
    """[H, W] (grey) or [H, W, 3] (colour) uint8 pixels of a DICOM file under `rule`."""
    ds = read_dataset(path)
    kind = ds.get("PhotometricInterpretation")
    if "PixelData" not in ds and "FloatPixelData" not in ds and "DoubleFloatPixelData" not in ds:
        raise DecodeError(path, "a DICOM file without an image (no Pixel Data)")
    frame = chosen_frame(path, ds, rule)
    try:
        pixels = ds.pixel_array
    except Exception as err:  # a missing codec plug-in, a truncated file
        raise DecodeError(path, f"pydicom cannot decode its pixels ({kind}, transfer syntax "
                          f"{ds.file_meta.get('TransferSyntaxUID', '?')}): {err}") from err
    if frame is not None:
        pixels = pixels[frame]
    try:
        return grey(pixels, ds, rule) if kind in GREY else colour(pixels, ds, rule)
    except (ValueError, NotImplementedError, AttributeError) as err:  # e.g. a window width below 1
        raise DecodeError(path, f"its display values cannot be computed ({kind}): {err}") from err
