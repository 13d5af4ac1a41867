"""Every Pillow mode a medical image file comes in decodes to the RGB the rule promises
(medprompt/data/decode.py): 8-bit modes as Pillow's own conversion, grey above 8 bits by the
high-bit-depth rule with its full range, EXIF orientation applied, grey as three equal channels."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from medprompt.data.decode import DecodeRule, decode_image, inspect_image
from medprompt.utils.errors import ConfigError

GREY8 = np.array([[0, 1, 127], [128, 254, 255]], dtype=np.uint8)


def saved(tmp_path, image: Image.Image, fmt: str = "PNG", **kw) -> str:
    path = tmp_path / f"image.{fmt.lower()}"
    image.save(path, fmt, **kw)
    return str(path)


def rgb(path, rule=DecodeRule()) -> np.ndarray:
    image = decode_image(path, rule)
    assert image.mode == "RGB"
    return np.asarray(image)


def three(grey: np.ndarray) -> np.ndarray:
    return np.repeat(np.asarray(grey, dtype=np.uint8)[..., None], 3, axis=2)


@pytest.mark.parametrize("fmt", ["PNG", "TIFF"])
def test_8_bit_grey_becomes_three_equal_channels(tmp_path, fmt):
    assert np.array_equal(rgb(saved(tmp_path, Image.fromarray(GREY8), fmt)), three(GREY8))


def test_1_bit_is_black_and_white(tmp_path):
    bits = np.array([[0, 1, 1], [1, 0, 0]], dtype=bool)
    assert np.array_equal(rgb(saved(tmp_path, Image.fromarray(bits))), three(bits * 255))


@pytest.mark.parametrize("mode,fmt", [("P", "PNG"), ("PA", "TIFF")])
def test_palette_gives_its_colours_and_drops_alpha(tmp_path, mode, fmt):
    colours = [(200, 10, 30), (0, 128, 255), (17, 17, 17)]
    index = np.array([[0, 1, 2], [2, 1, 0]], dtype=np.uint8)
    image = Image.fromarray(index, mode="P")
    image.putpalette([c for colour in colours for c in colour])
    if mode == "PA":
        image = image.convert("PA")
        image.putalpha(Image.fromarray(np.array([[0, 60, 255], [255, 0, 9]], dtype=np.uint8)))
    path = saved(tmp_path, image, fmt)
    assert Image.open(path).mode == mode
    assert np.array_equal(rgb(path), np.array(colours, dtype=np.uint8)[index])


@pytest.mark.parametrize("mode", ["LA", "RGBA"])
def test_alpha_is_dropped_and_the_stored_values_kept(tmp_path, mode):
    alpha = np.array([[0, 10, 255], [255, 0, 128]], dtype=np.uint8)
    if mode == "LA":
        image, expected = Image.merge("LA", [Image.fromarray(GREY8), Image.fromarray(alpha)]), three(GREY8)
    else:
        colour = np.stack([GREY8, 255 - GREY8, GREY8 // 2], axis=2)
        image, expected = Image.fromarray(np.dstack([colour, alpha]), mode="RGBA"), colour
    path = saved(tmp_path, image)
    assert Image.open(path).mode == mode
    assert np.array_equal(rgb(path), expected)


def test_cmyk_uses_the_subtractive_formula(tmp_path):
    cmyk = np.array([[[0, 0, 0, 0], [255, 0, 0, 0], [0, 0, 0, 255]],
                     [[0, 255, 255, 0], [100, 50, 0, 40], [255, 255, 255, 255]]], dtype=np.uint8)
    path = saved(tmp_path, Image.fromarray(cmyk, mode="CMYK"), "TIFF")
    assert Image.open(path).mode == "CMYK"
    c, k = cmyk[..., :3].astype(float), cmyk[..., 3:].astype(float)
    expected = (255 - c) * (255 - k) / 255  # each channel: what neither its ink nor black absorbs
    assert np.abs(rgb(path).astype(float) - expected).max() <= 1


def test_exif_orientation_is_applied(tmp_path):
    colour = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3) * 14
    exif = Image.Exif()
    exif[0x0112] = 6  # EXIF Orientation 6: the picture is shown turned 90 degrees clockwise
    path = saved(tmp_path, Image.fromarray(colour), exif=exif)
    assert np.array_equal(rgb(path), np.rot90(colour, k=-1))


@pytest.mark.parametrize("fmt", ["PNG", "TIFF"])
def test_16_bit_grey_keeps_its_range(tmp_path, fmt):
    values = np.array([[0, 257, 4095], [32768, 60000, 65535]], dtype=np.uint16)
    path = saved(tmp_path, Image.fromarray(values), fmt)
    assert Image.open(path).mode == "I;16"
    assert np.array_equal(rgb(path), three(np.round(values / 65535 * 255)))  # default: 16 bits
    twelve = np.minimum(values, 4095)
    path = saved(tmp_path, Image.fromarray(twelve), fmt)
    assert np.array_equal(rgb(path, DecodeRule(bits=12)), three(np.round(twelve / 4095 * 255)))
    per_image = rgb(path, DecodeRule(high_depth="image"))
    assert np.array_equal(per_image, three(np.round(twelve / 4095 * 255)))  # its own min 0, max 4095


def test_32_bit_signed_integer_tiff_maps_its_signed_range(tmp_path):
    values = np.array([[-(2**31), -1, 0], [2**20, 2**30, 2**31 - 1]], dtype=np.int32)
    path = saved(tmp_path, Image.fromarray(values), "TIFF")
    assert Image.open(path).mode == "I"
    expected = np.round((values.astype(float) + 2**31) / (2**32 - 1) * 255)
    assert np.array_equal(rgb(path), three(expected))
    assert inspect_image(path)[2].startswith("32-bit int grey: -2.14748e+09..2.14748e+09 -> 0..255")


def test_float_grey_is_read_as_0_to_1_or_per_image(tmp_path):
    values = np.array([[-1.0, 0.0, 0.25], [0.5, 1.0, 3.0]], dtype=np.float32)
    path = saved(tmp_path, Image.fromarray(values), "TIFF")
    assert Image.open(path).mode == "F"
    assert np.array_equal(rgb(path), three(np.round(np.clip(values, 0, 1) * 255)))
    assert np.array_equal(rgb(path, DecodeRule(high_depth="image")), three(np.round((values + 1) / 4 * 255)))


def test_a_flat_image_under_the_per_image_rule_is_black(tmp_path):
    path = saved(tmp_path, Image.fromarray(np.full((3, 3), 1000, dtype=np.uint16)))
    assert not rgb(path, DecodeRule(high_depth="image")).any()


def test_inspect_says_how_each_mode_is_read(tmp_path):
    assert inspect_image(saved(tmp_path, Image.fromarray(GREY8))) == ("PNG", "L", "8-bit grey, three equal channels")
    path = saved(tmp_path, Image.fromarray(np.zeros((2, 2), dtype=np.uint16)))
    assert inspect_image(path) == ("PNG", "I;16", "16-bit uint grey: 0..65535 -> 0..255, three equal channels")
    assert inspect_image(path, DecodeRule(bits=12))[2] == "16-bit uint grey: 0..4095 -> 0..255, three equal channels"


@pytest.mark.parametrize("field,value,key", [("high_depth", "minmax", "HIGH_DEPTH"), ("bits", 40, "BITS"),
                                             ("dicom_window", (40.0, 0.0), "DICOM_WINDOW"),
                                             ("dicom_frame", -2, "DICOM_FRAME")])
def test_a_bad_rule_is_refused_naming_its_key(field, value, key):
    with pytest.raises(ConfigError, match=f"INPUT.DECODE.{key}"):
        DecodeRule(**{field: value})
