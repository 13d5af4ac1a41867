"""The table of supported medical datasets: names, folders, layouts, modalities and class names.

One frozen `DatasetSpec` per dataset takes the place of a hand-written dataset class per dataset
(the registry idea of Dassl, with the differences kept as data). Facts come from the published split files
(label order, class names as written, first path component) and from the folder layouts of the three
code bases users download their data for: "medpromptclip", "biomedcoop" and "vip".

Prompt class names are `normalize_classname` of the published names, except where the spec overrides
them (misspellings such as "...differentiatedd", acronyms that read better upper-case). The published
names stay in `raw_classnames` and the folder names in `class_folders`, so paths and description files
keyed by either form keep working.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from medprompt.data.classnames import closest_names, normalize_classname

#: Layout families: where images live below <root>/<folder>, and the split file name a built split gets.
#: "synthetic" (the generated world of medprompt.synthetic) has the medpromptclip layout.
SOURCES = ("medpromptclip", "biomedcoop", "vip", "synthetic")


@dataclass(frozen=True)
class DatasetSpec:
    """Everything the dataset plug-in needs to know about one dataset."""

    name: str  # registry name, also configs/datasets/<name>.yaml
    folder: str  # the dataset lives in <root>/<folder>
    source: str  # layout family, one of SOURCES
    origin: str  # the public data set, by name
    modality: str  # for modality templates: "a {modality} of {classname}."
    classnames: tuple[str, ...]  # prompt class names, label order
    raw_classnames: tuple[str, ...]  # class names as written in the split file (or folder names)
    class_folders: tuple[str, ...] | None  # per label, relative to image_dir; None: no class folders
    image_subdir: str = ""  # images live in <root>/<folder>/<image_subdir>
    published_split_file: str = ""  # the split file name the dataset's own code base reads, if not split_<folder>.json
    ignored_suffixes: tuple[str, ...] = ()  # published split entries that are not images
    note: str = ""  # anything a user should know (shown in docs/DATASETS.md)

    @property
    def num_classes(self) -> int:
        """Number of classes."""
        return len(self.classnames)

    def dataset_dir(self, root: str | os.PathLike[str]) -> Path:
        """<root>/<folder>: where split files and the few-shot cache live."""
        return Path(root).expanduser() / self.folder

    def image_dir(self, root: str | os.PathLike[str]) -> Path:
        """The folder that split-file paths are relative to."""
        base = self.dataset_dir(root)
        return base / self.image_subdir if self.image_subdir else base

    @property
    def split_file_names(self) -> tuple[str, ...]:
        """Split file names recognised for this dataset, in search order."""
        stems = dict.fromkeys((self.folder, self.name))  # ordered, without duplicates
        names = [f"split_{s}.json" for s in stems] + [f"split_zhou_{s}.json" for s in stems]
        published = (self.published_split_file,) if self.published_split_file else ()
        return (*published, *names, "data_split.json")

    @property
    def default_split_file(self) -> str:
        """The name a split built from class folders is saved under (in dataset_dir)."""
        return self.published_split_file or f"split_{self.folder}.json"

    def label_of(self, name: str) -> int:
        """Label of a class given in any of its forms (prompt, published, folder, or normalised)."""
        wanted = normalize_classname(name)
        for label, forms in enumerate(
            zip(self.classnames, self.raw_classnames, self.class_folders or self.raw_classnames)
        ):
            if name in forms or wanted in {normalize_classname(f) for f in forms}:
                return label
        close = closest_names(name, list(self.classnames) + list(self.raw_classnames))
        raise KeyError(f"{self.name}: no class {name!r}; closest: {close}")


def _spec(
    name: str,
    source: str,
    origin: str,
    modality: str,
    raw: tuple[str, ...],
    *,
    folder: str | None = None,
    prompt: dict[str, str] | None = None,
    class_folders: tuple[str, ...] | None | str = "auto",
    image_subdir: str | None = None,
    published_split_file: str = "",
    ignored_suffixes: tuple[str, ...] = (),
    note: str = "",
) -> DatasetSpec:
    """Fill the fields that follow from the layout family; `prompt` overrides prompt names by raw name."""
    folder = folder or name
    prompt = prompt or {}
    if class_folders == "auto":
        # biomedcoop writes class names with spaces but folders with underscores.
        class_folders = tuple(r.replace(" ", "_") for r in raw) if source == "biomedcoop" else raw
    return DatasetSpec(
        name=name,
        folder=folder,
        source=source,
        origin=origin,
        modality=modality,
        classnames=tuple(prompt.get(r, normalize_classname(r)) for r in raw),
        raw_classnames=raw,
        class_folders=class_folders,
        # biomedcoop keeps images in <root>/<folder>/<folder>/; other layouts say so per dataset
        image_subdir=(folder if source == "biomedcoop" else "") if image_subdir is None else image_subdir,
        published_split_file=published_split_file,
        ignored_suffixes=ignored_suffixes,
        note=note,
    )


HISTO = "H&E histopathology slide"
CXR = "chest X-ray"
FUNDUS = "fundus photograph"
OCT = "optical coherence tomography scan"
_M, _B, _V, _S = SOURCES

_SPECS = [
    # --- medpromptclip layout: paths relative to <root>/<Name>/ ---
    _spec(
        "Br35H",
        _M,
        "Br35H brain tumor detection 2020",
        "brain MRI scan",
        ("Non_tumorous", "Tumorous"),
        prompt={"Non_tumorous": "non-tumorous"},
    ),
    _spec(
        "BreakHis",
        _M,
        "BreakHis breast cancer histopathological database",
        HISTO,
        ("benign_breast", "malignant_breast"),
    ),
    _spec(
        "Breast_MRI",
        _M,
        "breast MRI (healthy vs sick) images",
        "breast MRI scan",
        ("Health_breast", "Sick_breast"),
        prompt={"Health_breast": "healthy breast"},
    ),
    _spec(
        "Breast_Ultrasound",
        _M,
        "Breast Ultrasound Images (BUSI), Al-Dhabyani et al.",
        "breast ultrasound image",
        ("Benign_breast", "Malignant_breast_cancer", "Normal_breast_tissue"),
        ignored_suffixes=(".zip",),
        note="the published split lists one .zip archive per class; those entries are skipped",
    ),
    _spec(
        "COVID_19",
        _M,
        "COVID-19 Radiography Database",
        CXR,
        ("COVID", "Lung_Opacity", "Normal_lung", "Viral_pneumonia"),
        prompt={"COVID": "COVID-19"},
        note="the medpromptclip split (21165 images, classes COVID/Lung_Opacity/...); "
        "COVID_19_BiomedCoOp is the biomedcoop one",
    ),
    _spec(
        "Chest_CT",
        _M,
        "Chest CT-scan images (lung cancer types)",
        "chest CT scan",
        ("Adenocarcinoma_chest", "Large_cell_carcinoma_chest", "Squamous_cell_carcinoma_chest", "normal_chest"),
    ),
    _spec(
        "Chest_Xray",
        _M,
        "chest X-ray images (COVID-19, pneumonia, normal)",
        CXR,
        ("covid", "normal", "pneumonia"),
        prompt={"covid": "COVID-19"},
    ),
    _spec(
        "FFA",
        _M,
        "fundus fluorescein angiography images (5 retinal conditions)",
        "fundus fluorescein angiography image",
        (
            "age-related_macular_degeneration",
            "central_serous_retinopathy",
            "diabetic_retinopathy",
            "normal",
            "retinal_vein_occlusion",
        ),
    ),
    _spec(
        "Head_CT",
        _M,
        "Head CT hemorrhage images",
        "head CT scan",
        ("Normal_brain", "Brain_bleeding"),
        class_folders=None,
        note="images lie flat in <root>/Head_CT/ (no class folders)",
    ),
    _spec(
        "Knee",
        _M,
        "knee osteoarthritis X-rays with Kellgren-Lawrence severity grades",
        "knee X-ray",
        (
            "Doubtful_knee_osteoarthritis",
            "Mild_knee_osteoarthritis",
            "Moderate__knee_osteoarthritis",
            "Normal_knee_osteoarthritis",
            "Severe_knee_osteoarthritis",
        ),
    ),
    _spec(
        "LC2500",
        _M,
        "LC25000 lung and colon histopathology images",
        HISTO,
        (
            "Benign_colonic_tissue",
            "Benign_lung_tissue",
            "Colon _adenocarcinoma",
            "Lung_adenocarcinoma",
            "Lung_squamous_cell_carcinoma",
        ),
    ),
    _spec(
        "LungHist700",
        _M,
        "LungHist700 lung histopathology images",
        HISTO,
        (
            "Moderately_differentiated_adenocarcinoma",
            "Normal",
            "Poorly_differentiated_adenocarcinoma",
            "Pulmonary_squamous_cell_carcinoma_moderately_differentiatedd",
            "Pulmonary_squamous_cell_carcinoma_poorly_differentiatedd",
            "Pulmonary_squamous_cell_carcinoma_well_differentiatd",
            "Well-differentiated_adenocarcinoma",
        ),
        prompt={
            "Pulmonary_squamous_cell_carcinoma_moderately_differentiatedd": (
                "moderately differentiated pulmonary squamous cell carcinoma"
            ),
            "Pulmonary_squamous_cell_carcinoma_poorly_differentiatedd": (
                "poorly differentiated pulmonary squamous cell carcinoma"
            ),
            "Pulmonary_squamous_cell_carcinoma_well_differentiatd": (
                "well differentiated pulmonary squamous cell carcinoma"
            ),
        },
    ),
    _spec(
        "MIAS",
        _M,
        "mini-MIAS mammography database",
        "mammogram",
        (
            "Circumscribed masses",
            "Normal mammography scans",
            "Other",
            "Asymmetry",
            "Architectural distortion",
            "Spiculated masses",
            "Calcification",
        ),
        class_folders=None,
        note="images (.pgm) lie flat in <root>/MIAS/; a few images appear in more than one split",
    ),
    _spec(
        "OCTDL",
        _M,
        "OCTDL optical coherence tomography dataset",
        OCT,
        (
            "age-related_macular_degeneration",
            "diabetic_macular_edema",
            "epiretinal_membrane",
            "normal",
            "retinal_artery_occlusion",
            "retinal_vein_occlusion",
            "vitreomacular_interface_disease",
        ),
    ),
    _spec(
        "OCT_C8",
        _M,
        "retinal OCT images, 8 classes (OCT-C8)",
        OCT,
        (
            "age-related_macular_degeneration",
            "central_serous_retinopathy",
            "choroidal_neovascularization",
            "diabetic_macular_edema",
            "diabetic_retinopathy",
            "drusen",
            "macular_hole",
            "normal",
        ),
        class_folders=None,
        note="images in <root>/OCT_C8/{train,val,test}/<class>/",
    ),
    _spec(
        "ODIR",
        _M,
        "ODIR-5K ocular disease intelligent recognition",
        FUNDUS,
        (
            "normal",
            "diabetes",
            "glaucoma",
            "cataract",
            "age-related_macular_degeneration",
            "hypertension",
            "myopia",
            "other_diseases_or_abnormalities",
        ),
        note="the published split repeats some images within and across splits; they are kept as published",
    ),
    _spec(
        "ODIR_3x200",
        _M,
        "ODIR-5K subset: 200 images each of normal, myopia, cataract",
        FUNDUS,
        ("normal", "myopia", "cataract"),
    ),
    _spec(
        "SLID_E",
        _M,
        "slit-lamp images graded by severity (SLID_E)",
        "slit lamp photograph",
        ("normal", "mild_epiphype", "moderate_epiphype", "severe_epiphype"),
        class_folders=None,
        note="images in <root>/SLID_E/{train,val,test}/ without class folders",
    ),
    _spec(
        "SLO",
        _M,
        "scanning laser ophthalmoscopy images (4 conditions)",
        "scanning laser ophthalmoscopy image",
        ("diabetic_retinopathy", "macular_edema", "glaucoma", "normal"),
        class_folders=None,
        note="images in <root>/SLO/Eye_<id>/ (one folder per eye, not per class)",
    ),
    _spec(
        "f1000images",
        _M,
        "fundus images of 39 categories (1000 fundus images, JSIEC)",
        FUNDUS,
        (
            "Maculopathy",
            "Bietti crystalline dystrophy",
            "Massive hard exudates",
            "Blur fundus without Proliferative Diabetic Retinopathy",
            "macular_hole",
            "Blur fundus with suspected Proliferative Diabetic Retinopathy",
            "Myelinated nerve fiber",
            "Branch Retinal Vein Occlusion",
            "normal",
            "Chorioretinal atrophy-coloboma",
            "Optic atrophy",
            "Congenital disc abnormality",
            "Pathological myopia",
            "Cotton-wool spots",
            "Peripheral retinal degeneration and break",
            "Central Retinal Vein Occlusion",
            "Possible glaucoma",
            "central_serous_chorioretinopathy",
            "Preretinal hemorrhage",
            "Disc swelling and elevation",
            "retinal_artery_occlusion",
            "diabetic_retinopathy Stage 1",
            "Retinitis pigmentosa",
            "diabetic_retinopathy Stage 2",
            "Rhegmatogenous Retinal Detachment",
            "diabetic_retinopathy Stage 3",
            "Severe hypertensive retinopathy",
            "Dragged Disc",
            "Silicon oil in eye",
            "epiretinal_membrane",
            "Tessellated fundus",
            "Fibrosis",
            "Vessel tortuosity",
            "Fundus neoplasm",
            "Vitreous particles",
            "VKH disease",
            "Large optic cup",
            "Yellow-white spots-flecks",
            "Laser Spots",
        ),
        prompt={
            "Bietti crystalline dystrophy": "Bietti crystalline dystrophy",
            "VKH disease": "VKH disease",
            "Silicon oil in eye": "silicone oil in eye",
        },
    ),
    _spec(
        "modaldiff",
        _M,
        "ophthalmic images of five imaging modalities",
        "ophthalmic image",
        ("oct", "Retinal_Fundus", "Slit_Lamp_Image", "Retina_SLO", "FFA"),
        prompt={"oct": "OCT", "Retina_SLO": "retina SLO", "FFA": "FFA"},
    ),
    _spec(
        "nerthus",
        _M,
        "Nerthus bowel preparation quality videos (Boston scale)",
        "colonoscopy image",
        ("Cleanliness_Level_0", "Cleanliness_Level_1", "Cleanliness_Level_2", "Cleanliness_Level_3"),
    ),
    _spec(
        "NCT",
        _M,
        "NCT-CRC-HE-100K colorectal cancer histology (Kather et al.)",
        HISTO,
        ("ADI", "BACK", "DEB", "LYM", "MUC", "MUS", "NORM", "STR", "TUM"),
        prompt={
            "ADI": "adipose tissue",
            "BACK": "background",
            "DEB": "debris",
            "LYM": "lymphocytes",
            "MUC": "mucus",
            "MUS": "smooth muscle",
            "NORM": "normal colon mucosa",
            "STR": "cancer-associated stroma",
            "TUM": "colorectal adenocarcinoma epithelium",
        },
        note="no split file is published: one is built from the class folders on first use",
    ),
    _spec(
        "SkinCancer",
        _M,
        "skin histopathology: anatomical tissue structures and neoplasms (Kriegsmann et al.)",
        HISTO,
        (
            "nontumor_skin_chondraltissue_chondraltissue",
            "nontumor_skin_dermis_dermis",
            "nontumor_skin_elastosis_elastosis",
            "nontumor_skin_epidermis_epidermis",
            "nontumor_skin_hairfollicle_hairfollicle",
            "nontumor_skin_muscle_skeletal",
            "nontumor_skin_necrosis_necrosis",
            "nontumor_skin_nerves_nerves",
            "nontumor_skin_sebaceousglands_sebaceousglands",
            "nontumor_skin_subcutis_subcutis",
            "nontumor_skin_sweatglands_sweatglands",
            "nontumor_skin_vessel_vessel",
            "tumor_skin_epithelial_bcc",
            "tumor_skin_epithelial_sqcc",
            "tumor_skin_melanoma_melanoma",
            "tumor_skin_naevus_naevus",
        ),
        prompt={
            "nontumor_skin_chondraltissue_chondraltissue": "chondral tissue",
            "nontumor_skin_dermis_dermis": "dermis",
            "nontumor_skin_elastosis_elastosis": "elastosis",
            "nontumor_skin_epidermis_epidermis": "epidermis",
            "nontumor_skin_hairfollicle_hairfollicle": "hair follicle",
            "nontumor_skin_muscle_skeletal": "skeletal muscle",
            "nontumor_skin_necrosis_necrosis": "necrosis",
            "nontumor_skin_nerves_nerves": "nerves",
            "nontumor_skin_sebaceousglands_sebaceousglands": "sebaceous glands",
            "nontumor_skin_subcutis_subcutis": "subcutis",
            "nontumor_skin_sweatglands_sweatglands": "sweat glands",
            "nontumor_skin_vessel_vessel": "vessels",
            "tumor_skin_epithelial_bcc": "basal cell carcinoma",
            "tumor_skin_epithelial_sqcc": "squamous cell carcinoma",
            "tumor_skin_melanoma_melanoma": "melanoma",
            "tumor_skin_naevus_naevus": "naevus",
        },
        note="no split file is published: one is built from the class folders on first use",
    ),
    # --- biomedcoop layout: images in <root>/<Name>/<Name>/<class>/, paths relative to that folder ---
    _spec(
        "BTMRI",
        _B,
        "Brain Tumor MRI dataset (glioma, meningioma, pituitary, no tumor)",
        "brain MRI scan",
        ("glioma tumor", "meningioma tumor", "pituitary tumor", "normal brain"),
    ),
    _spec(
        "BUSI",
        _B,
        "Breast Ultrasound Images (BUSI), Al-Dhabyani et al.",
        "breast ultrasound image",
        ("benign tumor", "malignant tumor", "normal scan"),
    ),
    _spec(
        "CHMNIST",
        _B,
        "Kather colorectal histology texture images (Kather 2016)",
        HISTO,
        (
            "adipose tissue",
            "complex stroma",
            "debris",
            "empty background",
            "immune cells",
            "normal mucosal glands",
            "simple stroma",
            "tumour epithelium",
        ),
    ),
    _spec(
        "COVID_19_BiomedCoOp",
        _B,
        "COVID-19 Radiography Database",
        CXR,
        ("covid lungs", "lung opacity lungs", "viral pneumonia lungs", "normal lungs"),
        folder="COVID_19",
        note="the biomedcoop split (classes 'covid lungs', ...; images in <root>/COVID_19/COVID_19/); "
        "COVID_19 is the medpromptclip one",
    ),
    _spec(
        "CTKidney",
        _B,
        "CT kidney dataset: normal, cyst, tumor, stone",
        "kidney CT scan",
        ("cyst kidney", "kidney stone", "kidney tumor", "normal kidney"),
    ),
    _spec(
        "DermaMNIST",
        _B,
        "DermaMNIST (MedMNIST, from HAM10000)",
        "dermoscopy image",
        (
            "actinic keratosis",
            "basal cell carcinoma",
            "benign keratosis",
            "dermatofibroma",
            "melanoma",
            "melanocytic nevus",
            "vascular lesion",
        ),
    ),
    _spec(
        "KneeXray",
        _B,
        "knee osteoarthritis X-rays with Kellgren-Lawrence grades",
        "knee X-ray",
        (
            "healthy knee",
            "doubtful osteoarthritis",
            "minimal osteoarthritis",
            "moderate osteoarthritis",
            "severe osteoarthritis",
        ),
    ),
    _spec(
        "Kvasir",
        _B,
        "Kvasir v2 gastrointestinal endoscopy images",
        "endoscopy image",
        (
            "dyed lifted polyps",
            "dyed resection margins",
            "esophagitis",
            "normal cecum",
            "normal pylorus",
            "normal z line",
            "polyps",
            "ulcerative colitis",
        ),
    ),
    _spec(
        "LungColon",
        _B,
        "LC25000 lung and colon histopathology images",
        HISTO,
        (
            "colon adenocarcinoma",
            "colon benign tissue",
            "lung adenocarcinoma",
            "lung benign tissue",
            "lung squamous cell carcinoma",
        ),
    ),
    _spec(
        "RETINA",
        _B,
        "retinal fundus images: diabetic retinopathy, glaucoma, cataract, normal",
        FUNDUS,
        ("diabetic retinopathy", "glaucoma", "cataract", "normal retina"),
    ),
    _spec(
        "OCTMNIST",
        _B,
        "OCTMNIST (MedMNIST, from Kermany et al. retinal OCT)",
        OCT,
        ("CNV", "DME", "DRUSEN", "NORMAL"),
        prompt={
            "CNV": "choroidal neovascularization",
            "DME": "diabetic macular edema",
            "DRUSEN": "drusen",
            "NORMAL": "normal retina",
        },
        note="no split file is published: one is built from the class folders on first use",
    ),
    # --- vip layout: <root>/<Name>/{train,val,test}/<class>/, paths relative to <root>/<Name>/ ---
    _spec(
        "Derm7pt",
        _V,
        "Derm7pt seven-point checklist dermoscopy (Kawahara et al.)",
        "dermoscopy image",
        ("melanoma", "nevus"),
        class_folders=None,
        image_subdir="image",  # ViP's code: <root>/Derm7pt/split_skin.json, images in <root>/Derm7pt/image/
        published_split_file="split_skin.json",
    ),
    _spec(
        "Pneumonia",
        _V,
        "pediatric chest X-ray pneumonia (Kermany et al.)",
        CXR,
        ("normal lung", "pneumonia"),
        class_folders=None,
        image_subdir="chest_xray",  # ViP's code: <root>/Pneumonia/split_pneumonia.json, images in chest_xray/
        published_split_file="split_pneumonia.json",
    ),
]



def synthetic_spec(dataset: str, world_seed: int = 0) -> DatasetSpec:
    """The spec of one modality's dataset of the synthetic world of `world_seed` (no images needed)."""
    from medprompt.synthetic.diseases import MODALITIES, diseases_of
    from medprompt.synthetic.world import class_folder

    m = next(m for m in MODALITIES if m.dataset == dataset)
    return _spec(
        m.dataset,
        _S,
        f"synthetic {m.words}s drawn by medprompt.synthetic (python -m medprompt.synthetic.world)",
        m.words,
        tuple(class_folder(d.name) for d in diseases_of(m.key, world_seed)),
        note="generated, not downloaded: classes are visual attribute patterns with word-part or eponym names "
             "(see docs/WORLD.md); registered with world seed 0's classes, a written world's seed is read "
             "from <root>/world.json",
    )


def _synthetic_specs() -> list[DatasetSpec]:
    """One dataset per modality of the synthetic world of seed 0."""
    from medprompt.synthetic.diseases import MODALITIES

    return [synthetic_spec(m.dataset) for m in MODALITIES]


def spec_for_root(spec: DatasetSpec, root: str | os.PathLike[str]) -> DatasetSpec:
    """`spec`, or for a synthetic dataset the spec of the world written in `root` (its seed chooses the classes)."""
    if spec.source != _S:
        return spec
    from medprompt.synthetic.world import world_seed_of

    seed = world_seed_of(root) if str(root) else None
    return spec if seed in (None, 0) else synthetic_spec(spec.name, seed)


_SPECS += _synthetic_specs()

DATASET_SPECS: dict[str, DatasetSpec] = {s.name: s for s in _SPECS}


def get_spec(name: str) -> DatasetSpec:
    """The spec registered under `name`; a KeyError naming the closest names otherwise."""
    try:
        return DATASET_SPECS[name]
    except KeyError:
        close = closest_names(name, list(DATASET_SPECS))
        raise KeyError(f"unknown dataset {name!r}; closest: {close}; all: {sorted(DATASET_SPECS)}") from None


def synthetic_descriptions(dataset: str, root: str | os.PathLike[str]) -> str | None:
    """The description file a synthetic world written in `root` keeps beside `dataset`; None for any other
    dataset or when there is none."""
    spec = DATASET_SPECS.get(dataset)
    if spec is None or spec.source != _S or not str(root):
        return None
    from medprompt.synthetic.world import descriptions_beside

    path = descriptions_beside(root, spec.folder)
    return None if path is None else str(path)
