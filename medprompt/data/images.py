"""Checks that the images a split file names are on disk and can be decoded, and says how they are read.

Run once when a dataset loads, so a missing or corrupt image is reported up front with every
offender counted, instead of as a stack trace from a data-loader worker in the middle of training.
Readability is checked from each file's header (Pillow, or pydicom without the pixel data), which is
fast enough for test sets of thousands of images; the same pass counts the formats and modes found and
describes how medprompt.data.decode reads each.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from PIL import UnidentifiedImageError

from medprompt.data.decode import DecodeError, DecodeRule, inspect_image


def missing_images(paths: Iterable[str]) -> list[str]:
    """The paths that are not files, in the order given, without repeats."""
    return [p for p in dict.fromkeys(paths) if not os.path.isfile(p)]


@dataclass
class ImageSurvey:
    """What a pass over image headers found: (format, mode, how it is read) -> count, and the
    'path (reason)' of each image that cannot be read."""

    kinds: Counter = field(default_factory=Counter)
    bad: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """One line per format and mode, most frequent first: 'N FORMAT MODE: how it is read'."""
        return [f"{n} {fmt} {mode}: {how}" for (fmt, mode, how), n in self.kinds.most_common()]


def survey_images(paths: Iterable[str], rule: DecodeRule = DecodeRule()) -> ImageSurvey:
    """Read each image's header once (without repeats) under `rule`."""
    survey = ImageSurvey()
    for path in dict.fromkeys(paths):
        try:
            survey.kinds[inspect_image(path, rule)] += 1
        except DecodeError as exc:
            survey.bad.append(f"{path} ({exc.reason})")
        except (UnidentifiedImageError, OSError, ValueError) as exc:
            survey.bad.append(f"{path} ({type(exc).__name__})")
    return survey
