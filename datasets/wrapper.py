"""Dassl's DatasetWrapper with images read by medprompt.data.decode instead of dassl.utils.read_image.

Stock `read_image` is Pillow's `convert("RGB")`: it clips 16-bit grey above 255 and cannot read DICOM.
Dassl's `build_data_loader` and `DataManager` take a `dataset_wrapper` class; the project's trainers
pass this one (trainers/base.py). Everything but the reading is Dassl's: the same output dict (label,
domain, impath, index, img / img2.. for a list of transforms, img0 with RETURN_IMG0), K_TRANSFORMS
augmentations through Dassl's own `_transform_image`, and `to_tensor` for img0.
"""

from __future__ import annotations

from dassl.data.data_manager import DatasetWrapper

from medprompt.data.decode import decode_image, rule_from_cfg


class DecodingDatasetWrapper(DatasetWrapper):
    """A DatasetWrapper whose images come from `decode_image` under the config's INPUT.DECODE rule."""

    def __init__(self, cfg, data_source, transform=None, is_train=False):
        super().__init__(cfg, data_source, transform=transform, is_train=is_train)
        self.decode_rule = rule_from_cfg(cfg)

    def __getitem__(self, idx):
        item = self.data_source[idx]
        output = {"label": item.label, "domain": item.domain, "impath": item.impath, "index": idx}
        img0 = decode_image(item.impath, self.decode_rule)
        if self.transform is None:
            output["img"] = img0
        else:
            many = isinstance(self.transform, (list, tuple))
            for i, tfm in enumerate(self.transform if many else [self.transform]):
                output["img" + (str(i + 1) if i else "")] = self._transform_image(tfm, img0)
        if self.return_img0:
            output["img0"] = self.to_tensor(img0)
        return output
