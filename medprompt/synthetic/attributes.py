"""The attribute table of the synthetic medical world: modalities, visual attributes and disease classes.

Every disease of the world is nothing but a tuple of visual attributes (colour, shape, texture, border,
size, count) drawn on one imaging modality, in the spirit of attribute-based zero-shot learning (Lampert et
al., 2009) and of the attribute prompts of Qin et al. (ICLR 2023). Several attribute values are shared
across modalities (a ring, many small round spots, a blurry large patch), so knowledge of an attribute can
carry from one modality to another. The class names are real medical words whose real appearance resembles
the attributes, so that a pretrained text encoder has some language knowledge to bring; the images never
show anything beyond the attributes.
"""

from __future__ import annotations

from dataclasses import dataclass

COLOURS = ("red", "brown", "black", "yellow", "white")
SHAPES = ("round", "irregular", "ring", "streak")
TEXTURES = ("smooth", "speckled", "striped", "mottled")
BORDERS = ("sharp", "blurry")
SIZES = ("small", "large")
COUNTS = ("single", "few", "many")

ATTRIBUTE_VALUES: dict[str, tuple[str, ...]] = {
    "colour": COLOURS,
    "shape": SHAPES,
    "texture": TEXTURES,
    "border": BORDERS,
    "size": SIZES,
    "count": COUNTS,
}


@dataclass(frozen=True)
class Attributes:
    """One lesion pattern: the visual facts an image of it shows."""

    colour: str
    shape: str
    texture: str
    border: str
    size: str
    count: str

    def __post_init__(self) -> None:
        for key, allowed in ATTRIBUTE_VALUES.items():
            value = getattr(self, key)
            if value not in allowed:
                raise ValueError(f"attribute {key}={value!r} is not one of {allowed}")

    def key(self) -> tuple[str, ...]:
        """The attribute values in table order."""
        return tuple(getattr(self, k) for k in ATTRIBUTE_VALUES)


@dataclass(frozen=True)
class Modality:
    """One imaging modality of the world and the lesion colours it can show."""

    key: str  # short id: derm | fundus | xray
    dataset: str  # registered dataset name
    words: str  # how captions and prompts name it ("dermoscopy image")
    colours: tuple[str, ...]  # lesion colours this modality can render


@dataclass(frozen=True)
class Disease:
    """A disease class: a name and the attributes that define its look on one modality."""

    name: str
    modality: str
    attributes: Attributes


MODALITIES: tuple[Modality, ...] = (
    Modality("derm", "SynthDerm", "dermoscopy image", COLOURS),
    Modality("fundus", "SynthFundus", "fundus photograph", ("red", "yellow", "white", "black")),
    # a radiograph has no hue: only bright (white) and dark (black) findings
    Modality("xray", "SynthXray", "chest radiograph", ("white", "black")),
)
MODALITY_BY_KEY = {m.key: m for m in MODALITIES}


def _d(name: str, modality: str, *values: str) -> Disease:
    return Disease(name, modality, Attributes(*values))


#: Label order per modality is table order; the first half of each modality is its base classes.
DISEASES: tuple[Disease, ...] = (
    #   name                        modality  colour    shape        texture     border    size     count
    _d("melanoma",                  "derm",   "black",  "irregular", "mottled",  "blurry", "large", "single"),
    _d("nevus",                     "derm",   "brown",  "round",     "smooth",   "sharp",  "small", "single"),
    _d("petechiae",                 "derm",   "red",    "round",     "smooth",   "sharp",  "small", "many"),
    _d("seborrheic keratosis",      "derm",   "yellow", "irregular", "striped",  "sharp",  "large", "single"),
    _d("vitiligo",                  "derm",   "white",  "irregular", "smooth",   "blurry", "large", "few"),
    _d("hemangioma",                "derm",   "red",    "round",     "speckled", "sharp",  "large", "single"),
    _d("retinal hemorrhage",        "fundus", "red",    "irregular", "smooth",   "blurry", "large", "few"),
    _d("hard exudates",             "fundus", "yellow", "round",     "smooth",   "sharp",  "small", "many"),
    _d("cotton wool spots",         "fundus", "white",  "irregular", "mottled",  "blurry", "small", "few"),
    _d("drusen",                    "fundus", "yellow", "round",     "speckled", "blurry", "large", "few"),
    _d("choroidal nevus",           "fundus", "black",  "round",     "smooth",   "sharp",  "large", "single"),
    _d("laser scars",               "fundus", "black",  "ring",      "smooth",   "sharp",  "small", "many"),
    _d("lung nodule",               "xray",   "white",  "round",     "smooth",   "sharp",  "small", "single"),
    _d("lung mass",                 "xray",   "white",  "irregular", "mottled",  "blurry", "large", "single"),
    _d("cavitary lesion",           "xray",   "white",  "ring",      "smooth",   "sharp",  "large", "single"),
    _d("calcified granulomas",      "xray",   "white",  "round",     "smooth",   "sharp",  "small", "many"),
    _d("emphysematous bullae",      "xray",   "black",  "round",     "smooth",   "sharp",  "large", "few"),
    _d("interstitial fibrosis",     "xray",   "white",  "streak",    "striped",  "blurry", "small", "many"),
)


def diseases_of(modality: str) -> list[Disease]:
    """The classes of one modality (by key or dataset name), in label order."""
    wanted = {m.key for m in MODALITIES if modality in (m.key, m.dataset)}
    if not wanted:
        raise KeyError(f"unknown synthetic modality {modality!r}; known: {[m.key for m in MODALITIES]}")
    return [d for d in DISEASES if d.modality in wanted]


def check_table() -> None:
    """Refuse a table with clashing classes: two classes of one modality must differ in some attribute."""
    seen: dict[tuple, str] = {}
    bad = []
    for d in DISEASES:
        if d.attributes.colour not in MODALITY_BY_KEY[d.modality].colours:
            bad.append(f"{d.name}: colour {d.attributes.colour!r} cannot be drawn on {d.modality}")
        key = (d.modality, d.attributes.key())
        if key in seen:
            bad.append(f"{d.name} looks exactly like {seen[key]}")
        seen[key] = d.name
    if bad:
        raise ValueError(f"synthetic attribute table: {len(bad)} problems: {bad[:5]}")


check_table()
