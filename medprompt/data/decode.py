"""Read one image file as the 8-bit RGB picture an encoder sees, with the file's real range.

Dassl's `read_image` calls Pillow's `convert("RGB")`, which clips every grey value above 255 (a 16-bit
X-ray becomes almost all white) and cannot read DICOM. `decode_image` replaces it (datasets/wrapper.py
plugs it into Dassl's loaders); the rule is documented in docs/DATASETS.md ("How an image file is read"):

- EXIF orientation is applied first (Pillow's `ImageOps.exif_transpose`); multi-page TIFF/GIF: page 1.
- 8-bit modes (1, L, P, PA, LA, RGB, RGBA, CMYK, YCbCr, ...) go through Pillow's own `convert("RGB")`,
  so an 8-bit dataset gives exactly the pixels the published code saw: alpha is dropped (the stored
  colour is kept), a palette gives its colours, CMYK uses Pillow's formula (no colour profile).
  Pillow itself reads 16-bit-per-channel colour PNGs by their top byte (scaled, not clipped).
- Grey samples of more than 8 bits (PNG/TIFF modes I;16*, I, F) and DICOM grey without a window are
  mapped linearly to 0..255 by one rule, `DecodeRule.high_depth` (config key INPUT.DECODE.HIGH_DEPTH):
  "bits" (default) from the range of the significant bits: INPUT.DECODE.BITS when set (e.g. 12 for
  12-bit data kept in 16-bit files), else as the file declares them (DICOM BitsStored, PNG/TIFF bits per
  sample); "dtype" from the range of the sample type the file stores (DICOM BitsAllocated); "image"
  each image's own minimum..maximum. Signed samples use the signed range; float samples are read as
  0..1 under "bits" and "dtype". Values outside the range are clipped; a flat image under "image" is black.
- DICOM: medprompt.data.dicom (modality LUT, VOI window, MONOCHROME1, frames).
- Grey becomes three equal channels.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageOps

from medprompt.utils.errors import ConfigError

HIGH_DEPTH_RULES = ("bits", "dtype", "image")
DICOM_SUFFIXES = (".dcm", ".dicom")

#: The config keys of the rule (INPUT.DECODE.<key>) and their defaults; datasets/config.py adds them.
DECODE_DEFAULTS = {
    "HIGH_DEPTH": "bits",  # bits | dtype | image: how grey samples of more than 8 bits map to 0..255
    "BITS": 0,  # with "bits": significant bits of integer samples above 8 bits (e.g. 12); 0 = as the file declares
    "DICOM_WINDOW": [],  # [center, width] in modality units (e.g. HU) for every DICOM; [] = the file's VOI
    "DICOM_FRAME": -1,  # multi-frame DICOM: -1 refuses such files, N >= 0 reads frame N (0-based)
}


class DecodeError(ValueError):
    """An image file that the decoding rule cannot read: '<path>: <reason>'."""

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = str(path), reason


@dataclass(frozen=True)
class DecodeRule:
    """How image files become 8-bit RGB (see the module docstring); one per run."""

    high_depth: str = "bits"
    bits: int = 0
    dicom_window: tuple[float, float] | None = None
    dicom_frame: int = -1

    def __post_init__(self) -> None:
        if self.high_depth not in HIGH_DEPTH_RULES:
            raise ConfigError(f"INPUT.DECODE.HIGH_DEPTH must be one of {', '.join(HIGH_DEPTH_RULES)}, "
                              f"got {self.high_depth!r}")
        if not 0 <= self.bits <= 32:
            raise ConfigError(f"INPUT.DECODE.BITS must be 0 (as the file declares) or 1..32, got {self.bits}")
        if self.dicom_window is not None and (len(self.dicom_window) != 2 or self.dicom_window[1] <= 0):
            raise ConfigError("INPUT.DECODE.DICOM_WINDOW must be [] or [center, width] with width > 0, "
                              f"got {list(self.dicom_window)}")
        if self.dicom_frame < -1:
            raise ConfigError(f"INPUT.DECODE.DICOM_FRAME must be -1 (refuse multi-frame files) or a frame "
                              f"index >= 0, got {self.dicom_frame}")

    def key(self) -> dict:
        """What the feature cache keys on: every field, JSON-able."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    def describe(self) -> str:
        """The rule in words, with its config keys."""
        depth = {"bits": "the range of the significant bits" + (f" ({self.bits})" if self.bits else
                                                                 " the file declares"),
                 "dtype": "the range of the stored sample type", "image": "each image's own min..max"}
        window = f"window {list(self.dicom_window)}" if self.dicom_window else "the file's own VOI window"
        frames = "refused" if self.dicom_frame < 0 else f"frame {self.dicom_frame}"
        return (f"grey above 8 bits from {depth[self.high_depth]} (INPUT.DECODE.HIGH_DEPTH {self.high_depth}, "
                f"BITS {self.bits}); DICOM by {window}, multi-frame {frames}")


def rule_from_cfg(cfg) -> DecodeRule:
    """The rule of a (yacs) config; keys missing from cfg.INPUT.DECODE take their defaults."""
    node = cfg.get("INPUT", {}).get("DECODE", {})
    get = lambda key: node.get(key, DECODE_DEFAULTS[key])  # noqa: E731
    window = [float(v) for v in get("DICOM_WINDOW")]
    return DecodeRule(high_depth=str(get("HIGH_DEPTH")), bits=int(get("BITS")),
                      dicom_window=tuple(window) if window else None, dicom_frame=int(get("DICOM_FRAME")))


class Sample(NamedTuple):
    """The sample type a file stores: 'uint', 'int' or 'float', and its bits."""

    kind: str
    bits: int


def value_range(sample: Sample, rule: DecodeRule, stored_bits: int = 0) -> tuple[float, float]:
    """(low, high) mapped to 0 and 255 under "bits"/"dtype"; `stored_bits` is what the file declares as
    significant (DICOM BitsStored), 0 when it declares only the sample size."""
    if sample.kind == "float":
        return 0.0, 1.0
    bits = sample.bits
    if rule.high_depth == "bits":
        bits = rule.bits or stored_bits or sample.bits
    if sample.kind == "int":
        return float(-(2 ** (bits - 1))), float(2 ** (bits - 1) - 1)
    return 0.0, float(2**bits - 1)


def to_uint8(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """`values` mapped linearly from low..high to 0..255, clipped and rounded (NaN -> 0)."""
    if not high > low:
        return np.zeros(values.shape, dtype=np.uint8)
    scaled = (np.asarray(values, dtype=np.float64) - low) / (high - low)
    return np.round(np.clip(np.nan_to_num(scaled), 0.0, 1.0) * 255.0).astype(np.uint8)


def image_range(values: np.ndarray) -> tuple[float, float]:
    """The "image" rule's range: the finite minimum and maximum of `values`."""
    finite = values[np.isfinite(values)] if np.issubdtype(values.dtype, np.floating) else values
    return (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)


def grey_to_rgb(grey: np.ndarray) -> Image.Image:
    """An 8-bit grey array [H, W] as an RGB image with three equal channels."""
    return Image.fromarray(np.ascontiguousarray(grey), mode="L").convert("RGB")


def pillow_sample(image: Image.Image) -> Sample | None:
    """The sample type of a Pillow image of more than 8 bits per grey sample; None for 8-bit modes."""
    mode = image.mode
    if mode.startswith("I;16"):
        return Sample("int" if mode.endswith("S") else "uint", 16)
    if mode == "F":
        return Sample("float", 32)
    if mode != "I":
        return None
    tags = getattr(image, "tag_v2", None)
    if tags is not None:  # TIFF: BitsPerSample (258) and SampleFormat (339: 1 unsigned, 2 signed)
        bits = int(tags.get(258, (32,))[0])
        signed = int(tags.get(339, (1,))[0]) == 2
        return Sample("int" if signed else "uint", bits)
    if image.format == "PNG":  # older Pillow reads 16-bit grey PNG as "I"
        return Sample("uint", 16)
    return Sample("int", 32)


def is_dicom(path: str | os.PathLike[str]) -> bool:
    """True for a .dcm/.dicom file, or a file without an image suffix Pillow knows that carries the
    DICOM preamble's 'DICM' marker (DICOM exports are often named IM000001)."""
    suffix = os.path.splitext(str(path))[1].lower()
    if suffix in DICOM_SUFFIXES:
        return True
    if suffix in Image.registered_extensions():
        return False
    try:
        with open(path, "rb") as f:
            f.seek(128)
            return f.read(4) == b"DICM"
    except OSError:
        return False


def read_pillow(path: str | os.PathLike[str], rule: DecodeRule) -> Image.Image:
    """A Pillow-readable file as 8-bit RGB under `rule`."""
    with Image.open(path) as opened:
        sample = pillow_sample(opened)  # before the transpose: a copy loses the TIFF tags
        image = ImageOps.exif_transpose(opened)
    if sample is None:
        return image.convert("RGB")
    values = np.asarray(image)
    low, high = image_range(values) if rule.high_depth == "image" else value_range(sample, rule)
    return grey_to_rgb(to_uint8(values, low, high))


MODE_NOTES = {
    "1": "1-bit: black and white",
    "L": "8-bit grey, three equal channels",
    "LA": "8-bit grey, alpha dropped, three equal channels",
    "P": "palette: its colours",
    "PA": "palette: its colours, alpha dropped",
    "RGB": "as stored",
    "RGBA": "alpha dropped",
    "CMYK": "Pillow's CMYK formula (no colour profile)",
}


def describe_sample(sample: Sample, rule: DecodeRule, stored_bits: int = 0) -> str:
    """How samples of this type map to 0..255 under `rule`, in words."""
    if rule.high_depth == "image":
        return "each image's min..max -> 0..255"
    low, high = value_range(sample, rule, stored_bits)
    return f"{low:g}..{high:g} -> 0..255"


def describe_pillow(image: Image.Image, rule: DecodeRule) -> str:
    """How `decode_image` reads an opened Pillow image, in words."""
    sample = pillow_sample(image)
    if sample is None:
        return MODE_NOTES.get(image.mode, f"Pillow's conversion of mode {image.mode} to RGB")
    return f"{sample.bits}-bit {sample.kind} grey: {describe_sample(sample, rule)}, three equal channels"


def inspect_image(path: str | os.PathLike[str], rule: DecodeRule = DecodeRule()) -> tuple[str, str, str]:
    """(format, mode, how it is read) from the file's header, without decoding its pixels; raises
    DecodeError (or Pillow's error) for a file that `decode_image` would not read."""
    if is_dicom(path):
        from medprompt.data.dicom import describe_dicom

        return describe_dicom(path, rule)
    with Image.open(path) as image:
        image.size  # noqa: B018  (the header is parsed on open; size proves it made sense)
        return image.format or "?", image.mode, describe_pillow(image, rule)


def decode_image(path: str | os.PathLike[str], rule: DecodeRule = DecodeRule()) -> Image.Image:
    """The image at `path` as 8-bit RGB under `rule` (module docstring); DecodeError names a file the
    rule refuses."""
    if is_dicom(path):
        from medprompt.data.dicom import read_dicom

        return grey_to_rgb(pixels) if (pixels := read_dicom(path, rule)).ndim == 2 else Image.fromarray(pixels)
    return read_pillow(path, rule)
