"""A Dassl `Datum` that does not assert its image exists.

Stock Dassl's `Datum.__init__` asserts `check_isfile(impath)`. Text-only methods never read training
images and users may not have them, so the dataset plug-in checks existence itself (one error listing every
missing file, see medprompt.data.loader) and builds its data with this subclass.
"""

from __future__ import annotations

from dassl.data.datasets import Datum


class LazyDatum(Datum):
    """Datum without the file-existence assertion; same attributes and properties."""

    def __init__(self, impath: str = "", label: int = 0, domain: int = 0, classname: str = "") -> None:
        # Deliberately not calling Datum.__init__: its only extra work is the assertion we skip.
        self._impath = impath
        self._label = label
        self._domain = domain
        self._classname = classname
