"""Dassl dataset plug-in: importing this package registers every medical dataset spec by name.

See medprompt/data/specs.py for the table and docs/DATASETS.md for layouts and classes.
"""

from datasets.config import add_dataset_config
from datasets.medical import MedicalDataset, make_dataset_class, register_all

DATASET_CLASSES = register_all()

__all__ = ["DATASET_CLASSES", "MedicalDataset", "add_dataset_config", "make_dataset_class"]
