"""Checks that the images a split file names are on disk and can be decoded.

Run once when a dataset loads, so a missing or corrupt image is reported up front with every
offender counted, instead of as a stack trace from a data-loader worker in the middle of training.
Readability is checked by reading the image header with Pillow, which is fast enough for test sets of
thousands of images.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from PIL import Image, UnidentifiedImageError


def missing_images(paths: Iterable[str]) -> list[str]:
    """The paths that are not files, in the order given, without repeats."""
    return [p for p in dict.fromkeys(paths) if not os.path.isfile(p)]


def unreadable_images(paths: Iterable[str]) -> list[str]:
    """'path (reason)' for each path whose header Pillow cannot read, without repeats."""
    bad = []
    for path in dict.fromkeys(paths):
        try:
            with Image.open(path) as image:
                image.size  # noqa: B018  (the header is parsed on open; size proves it made sense)
        except (UnidentifiedImageError, OSError, ValueError) as exc:
            bad.append(f"{path} ({type(exc).__name__})")
    return bad
