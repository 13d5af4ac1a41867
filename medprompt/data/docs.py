"""Render docs/DATASETS.md from the spec table, so the documentation cannot drift from the code.

Run `python -m medprompt.data.docs > docs/DATASETS.md` after editing medprompt/data/specs.py; a test
compares the file with this output.
"""

from __future__ import annotations

from tabulate import tabulate

from medprompt.data.specs import DATASET_SPECS, DatasetSpec

INTRO = """\
# Datasets

Every dataset below is registered in Dassl under its name; run with
`--root $DATA --dataset-config-file configs/datasets/<name>.yaml`. Keep the data in the layout you
downloaded it in; nothing needs converting. Generated from `medprompt/data/specs.py` by
`python -m medprompt.data.docs > docs/DATASETS.md`.

## How a dataset is found

- Dataset folder: `<root>/<folder>/`. Images: the same folder in the **medpromptclip** layout; in the
  **biomedcoop** layout `<root>/<folder>/<folder>/<class>/<image>`; in the **vip** layout the sub-folder
  ViP's own code reads (`Pneumonia/chest_xray/`, `Derm7pt/image/`). Paths in a split file are relative
  to the image folder. The table below lists, per dataset, the split file name its published code reads
  and the image folder.
- Split file (CoOp format `{"train"|"val"|"test": [[path, label, class name], ...]}`): `DATASET.SPLIT_FILE`
  if set (absolute, or relative to `<root>/<folder>/`), else the first of the names listed per dataset,
  looked for in `<root>/<folder>/` and then in the image folder.
- No split file: where the layout has class folders, one is built from them once (per class: images
  sorted, shuffled with `DATASET.SPLIT_SEED` (default 1), cut by `DATASET.SPLIT_TRAIN_RATIO` (0.7) and
  `DATASET.SPLIT_VAL_RATIO` (0.15), the rest test), saved atomically as `<root>/<folder>/split_<folder>.json`,
  and the log says so. Layouts without class folders need their split file.
- The split file's class names must match the label order below (published, prompt or folder form);
  a file with another order is refused rather than trained on with wrong labels.
- Few-shot (`DATASET.NUM_SHOTS` K >= 1, seed `SEED`): K images per class for training and min(K, 4) for
  validation, drawn with a local random generator and cached as JSON in
  `<root>/<folder>/split_fewshot/shot_<K>-seed_<S>.json`; K = -1 uses everything. The cache records the
  split file's SHA-256 and is redrawn if the split file changes.
- Base-to-new (`DATASET.SUBSAMPLE_CLASSES` all|base|new): labels sorted, the first ceil(n/2) are base,
  the rest new, relabelled from 0 in each group.
- Checks at load time, each one error naming the dataset, the file, the first offending entries and
  their count: missing root or folders, missing split file, malformed entries, labels whose class name
  disagrees, missing images (training images are allowed to be missing with
  `DATASET.REQUIRE_TRAIN_IMAGES False`, for text-only methods), and images that cannot be read, from
  their headers (`DATASET.VERIFY_IMAGES`, default True). The same pass logs the formats and modes found,
  with counts and how each is read (next section), e.g. `36 PNG I;16: 16-bit uint grey: 0..65535 -> 0..255`.
- Prompt class names are the published names with underscores and repeated spaces normalised and
  lower-cased, except where the table says otherwise; description files may be keyed by either form.

## How an image file is read

Every image goes through `medprompt/data/decode.py` (training, evaluation, the feature cache,
`explain_vip.py`), never through Pillow's plain `convert("RGB")`, which clips 16-bit grey above 255 so
that a 16-bit X-ray becomes almost all white. A split file may name any of these files, DICOM included.
The rule is set by the `INPUT.DECODE.*` keys, and the image-feature cache keys on them, so changing
the rule never reuses features read the other way.

| file | how it becomes the 8-bit RGB the encoder sees |
|---|---|
| any | EXIF orientation applied first; multi-page TIFF/GIF: the first page; grey becomes three equal channels |
| 8-bit grey `L`, 1-bit `1` | as stored (1-bit: 0 and 255) |
| palette `P`, `PA` | the palette's colours; alpha dropped |
| `LA`, `RGBA` | alpha dropped, the stored grey/colour kept (what Pillow's `convert("RGB")` gives) |
| `RGB`; 16-bit-per-channel colour PNG | as stored; Pillow reads 16-bit colour by its top byte (scaled, not clipped) |
| `CMYK` | Pillow's formula, channel = (255 - ink) x (255 - black) / 255; no colour profile |
| 16-bit grey PNG/TIFF (`I;16`), 32-bit integer TIFF (`I`) | linearly from a range to 0..255 by `INPUT.DECODE.HIGH_DEPTH` (below); outside values clip |
| 32-bit float TIFF (`F`) | 0..1 -> 0..255 (clipped), or each image's min..max with `HIGH_DEPTH image` |
| DICOM (`.dcm`, `.dicom`, or any file with the `DICM` marker), grey | pydicom: the modality LUT (RescaleSlope/Intercept, or a Modality LUT Sequence), then the VOI stage: `INPUT.DECODE.DICOM_WINDOW` [center, width] in modality units (e.g. HU, linear function) if set, else the file's first VOI LUT or window (its VOILUTFunction honoured); the VOI output's full range -> 0..255 (for a window: the stored bits through the rescale, as pydicom computes it; for a VOI LUT: 0..2^n-1, n its bits). No window anywhere: the `HIGH_DEPTH` rule on the rescaled values. MONOCHROME1 inverted (white is always high) |
| DICOM colour | RGB as stored, YBR converted to RGB by pydicom, PALETTE COLOR through its tables; samples above 8 bits scaled by their bits |
| multi-frame DICOM | refused with a message naming the file (`INPUT.DECODE.DICOM_FRAME -1`, the default: which frame stands for the image is yours to choose), or frame N of every such file with `DICOM_FRAME N` |

The high-bit-depth rule, `INPUT.DECODE.HIGH_DEPTH`, one per run:

- `bits` (default): integer samples map from the range of their significant bits: `INPUT.DECODE.BITS`
  when set (e.g. 12 for 12-bit detector data kept in 16-bit files: 0..4095 -> 0..255), else as the file
  declares them (DICOM BitsStored; PNG/TIFF bits per sample, so a 16-bit PNG maps 0..65535). Signed
  samples (TIFF SampleFormat 2, DICOM PixelRepresentation 1) use the signed range. The same mapping for
  every image, so intensities compare across images.
  A CT file without a window thus maps its whole stored range (e.g. -33792..31743 HU for 16 signed bits
  and intercept -1024), where tissue spans a few grey levels: give CT a window, e.g.
  `INPUT.DECODE.DICOM_WINDOW [40, 400]` (soft tissue) or `[-600, 1500]` (lung).
- `dtype`: the range of the sample type the file stores (DICOM BitsAllocated), ignoring `BITS`.
- `image`: each image's own minimum..maximum (contrast stretched per image; absolute intensity lost,
  a flat image is black).

An image that cannot be read (a file Pillow or pydicom does not recognise, a DICOM without pixel data,
a refused multi-frame DICOM) is named with the reason in one error when the dataset loads.

Where two published splits share a name, both are registered: `COVID_19` is the medpromptclip split
(classes COVID, Lung_Opacity, Normal_lung, Viral_pneumonia) and `COVID_19_BiomedCoOp` the biomedcoop
one (classes covid lungs, lung opacity lungs, viral pneumonia lungs, normal lungs). Both live in a
folder named `COVID_19`, so keep them under different roots.
"""


def image_folder(spec: DatasetSpec) -> str:
    """The folder split-file paths are relative to, as a path pattern."""
    return f"<root>/{spec.folder}/" + (f"{spec.image_subdir}/" if spec.image_subdir else "")


def layout_line(spec: DatasetSpec) -> str:
    """Where the images of `spec` are, in words."""
    image_dir = image_folder(spec)
    if spec.class_folders is not None:
        return f"`{image_dir}<class folder>/...`; split paths relative to `{image_dir}`"
    return f"split paths relative to `{image_dir}` (no class folders)"


def render_spec(spec: DatasetSpec) -> str:
    """The section of one dataset."""
    folders = spec.class_folders or ("",) * spec.num_classes
    rows = [
        (label, prompt, raw, folder)
        for label, (prompt, raw, folder) in enumerate(zip(spec.classnames, spec.raw_classnames, folders))
    ]
    table = tabulate(rows, headers=["label", "prompt class name", "published name", "class folder"], tablefmt="github")
    lines = [
        f"### {spec.name}",
        "",
        f"- Source: {spec.origin}",
        f"- Modality: {spec.modality}; layout: {spec.source}",
        f"- Folder: {layout_line(spec)}",
        f"- Split file: {', '.join(f'`{n}`' for n in spec.split_file_names)}",
    ]
    if spec.note:
        lines.append(f"- Note: {spec.note}")
    return "\n".join(lines + ["", table, ""])


def render_datasets_md() -> str:
    """The whole of docs/DATASETS.md."""
    summary = tabulate(
        [(s.name, s.source, s.modality, s.num_classes, f"`{s.default_split_file}`", f"`{image_folder(s)}`", s.origin)
         for s in DATASET_SPECS.values()],
        headers=["name", "layout", "modality", "classes", "published split file", "image folder", "source"],
        tablefmt="github",
    )
    sections = [render_spec(s) for s in DATASET_SPECS.values()]
    return "\n".join([INTRO, "## Summary", "", summary, "", "## Datasets", "", *sections])


if __name__ == "__main__":
    print(render_datasets_md(), end="")
