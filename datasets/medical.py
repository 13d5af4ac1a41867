"""One generic Dassl dataset for every medical dataset spec, and the factory that registers them.

Rather than one dataset class per dataset, `MedicalDataset` reads any spec through the Dassl-free
loader (medprompt.data), and `make_dataset_class` derives one subclass per spec, named as the spec,
for Dassl's DATASET_REGISTRY.
"""

from __future__ import annotations

from dassl.data.datasets import DATASET_REGISTRY, DatasetBase
from yacs.config import CfgNode

from datasets.config import DATASET_DEFAULTS
from datasets.datum import LazyDatum
from medprompt.data.decode import rule_from_cfg
from medprompt.data.loader import LoadedDataset, LoadOptions, load_dataset
from medprompt.data.specs import DATASET_SPECS, DatasetSpec, spec_for_root
from medprompt.data.splits import Item


def options_from_cfg(cfg: CfgNode) -> LoadOptions:
    """LoadOptions from cfg.DATASET, cfg.INPUT.DECODE and cfg.SEED; the plug-in's keys missing from cfg take their
    defaults."""
    ds = cfg.DATASET

    def get(key: str):
        return ds.get(key, DATASET_DEFAULTS[key])

    return LoadOptions(
        num_shots=int(ds.NUM_SHOTS),
        seed=int(cfg.SEED),
        subsample=str(get("SUBSAMPLE_CLASSES")),
        split_file=str(get("SPLIT_FILE")),
        require_train_images=bool(get("REQUIRE_TRAIN_IMAGES")),
        verify_images=bool(get("VERIFY_IMAGES")),
        decode=rule_from_cfg(cfg),
        split_train_ratio=float(get("SPLIT_TRAIN_RATIO")),
        split_val_ratio=float(get("SPLIT_VAL_RATIO")),
        split_seed=int(get("SPLIT_SEED")),
    )


def _datums(items: list[Item]) -> list[LazyDatum]:
    return [LazyDatum(impath=it.impath, label=it.label, classname=it.classname) for it in items]


class MedicalDataset(DatasetBase):
    """A Dassl dataset read from a CoOp split file as described by the class attribute `spec`."""

    spec: DatasetSpec

    def __init__(self, cfg: CfgNode) -> None:
        self.spec = spec_for_root(self.spec, cfg.DATASET.ROOT)  # a synthetic world's seed chooses its classes
        loaded: LoadedDataset = load_dataset(self.spec, cfg.DATASET.ROOT, options_from_cfg(cfg))
        self.loaded = loaded
        self.modality = self.spec.modality
        self.dataset_dir = str(loaded.dataset_dir)
        self.image_dir = str(loaded.image_dir)
        self.split_path = str(loaded.split_path)
        super().__init__(train_x=_datums(loaded.train), val=_datums(loaded.val), test=_datums(loaded.test))
        # Take classes from the spec, not from train_x: a class absent from train_x must still exist.
        self._num_classes = len(loaded.classnames)
        self._lab2cname = dict(enumerate(loaded.classnames))
        self._classnames = list(loaded.classnames)


def make_dataset_class(spec: DatasetSpec) -> type[MedicalDataset]:
    """A MedicalDataset subclass named `spec.name`, bound to `spec`."""
    doc = f"{spec.name}: {spec.origin} ({spec.modality}, {spec.num_classes} classes)."
    return type(spec.name, (MedicalDataset,), {"spec": spec, "__doc__": doc, "__module__": __name__})


def register_all() -> dict[str, type[MedicalDataset]]:
    """Register one class per spec in Dassl's DATASET_REGISTRY; returns them by name."""
    classes = {}
    for name, spec in DATASET_SPECS.items():
        cls = make_dataset_class(spec)
        DATASET_REGISTRY.register(cls)
        classes[name] = cls
    return classes
