"""Dassl-free dataset layer: the spec table, CoOp split files, few-shot samples, loading from disk.

`datasets/` (repository root) wraps this for Dassl; everything here runs without Dassl.
"""

from medprompt.data.errors import DatasetError
from medprompt.data.loader import LoadedDataset, LoadOptions, load_dataset
from medprompt.data.specs import DATASET_SPECS, DatasetSpec, get_spec
from medprompt.data.splits import Item, read_split, subsample_classes

__all__ = [
    "DATASET_SPECS",
    "DatasetError",
    "DatasetSpec",
    "Item",
    "LoadOptions",
    "LoadedDataset",
    "get_spec",
    "load_dataset",
    "read_split",
    "subsample_classes",
]
