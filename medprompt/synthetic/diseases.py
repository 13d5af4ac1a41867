"""The attribute table of the synthetic medical world: modalities, visual attributes and disease classes.

Every disease of the world is nothing but a tuple of visual attributes (colour, shape, texture, border,
size, count) drawn on one imaging modality, in the spirit of attribute-based zero-shot learning (Lampert et
al., 2009) and of the attribute prompts of Qin et al. (ICLR 2023). Several attribute values are shared
across modalities (a ring, many small round spots, a blurry large patch), so knowledge of an attribute can
carry from one modality to another. The images never show anything beyond the attributes.

Which attribute rows a modality's classes have, and their names, are a seeded function of the world seed:
`world_diseases(seed)` draws NUM_CLASSES distinct rows per modality and names each one either from the
word-part lexicon (medprompt.synthetic.lexicon: "annular punctate erythro-plakia" states ring, speckled,
red) or, for the audited share OPAQUE_SHARE of the classes, with an invented eponym that says nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import product

import numpy as np

from medprompt.synthetic.lexicon import STATED, compose_name, decode_name, eponym

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

    key: str  # short id: derm | fundus | xray | endo
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
    # on pink mucosa a red finding would not show
    Modality("endo", "SynthEndo", "endoscopy image", ("brown", "black", "yellow", "white")),
)
MODALITY_BY_KEY = {m.key: m for m in MODALITIES}
NUM_CLASSES = 24  # per modality; the first half are the base classes
#: share of classes with an opaque eponym, from medprompt.demo.audit (opaque / (appearance + opaque)
#: over the real datasets' class names); tests check it still matches the audit
OPAQUE_SHARE = 0.791


def _rows(modality: Modality, rng: np.random.Generator) -> list[Attributes]:
    """NUM_CLASSES distinct attribute rows the modality can draw."""
    values = [modality.colours if k == "colour" else v for k, v in ATTRIBUTE_VALUES.items()]
    combos = list(product(*values))
    picked = rng.choice(len(combos), size=NUM_CLASSES, replace=False)
    return [Attributes(*combos[i]) for i in picked]


def _names(rows: list[Attributes], rng: np.random.Generator, taken: set[str]) -> list[str]:
    """One name per row: an eponym for a seeded OPAQUE_SHARE of them, word parts for the others.

    Composed names of one modality state different things where the draws allow (a few tries), so the
    name's information can tell its classes apart; every name of the world is distinct.
    """
    n_opaque = round(OPAQUE_SHARE * len(rows))
    opaque = set(rng.choice(len(rows), size=n_opaque, replace=False).tolist())
    said: set[tuple] = set()
    names = []
    for i, row in enumerate(rows):
        values = dict(zip(ATTRIBUTE_VALUES, row.key()))
        for attempt in range(50):
            if i in opaque:
                name = eponym(rng)
            else:
                k = int(rng.choice(STATED))
                stated = tuple(str(a) for a in rng.choice(list(ATTRIBUTE_VALUES), size=k, replace=False))
                name = compose_name(values, stated, rng)
            meaning = tuple(sorted(decode_name(name).items()))
            if name not in taken and (i in opaque or meaning not in said or attempt == 49):
                break
        taken.add(name)
        said.add(meaning)
        names.append(name)
    return names


@lru_cache(maxsize=16)
def world_diseases(world_seed: int = 0) -> tuple[Disease, ...]:
    """Every class of the world of `world_seed`, modality by modality, each in label order."""
    taken: set[str] = set()
    diseases = []
    for index, m in enumerate(MODALITIES):
        rng = np.random.default_rng([world_seed, 7919, index])
        rows = _rows(m, rng)
        diseases += [Disease(n, m.key, a) for n, a in zip(_names(rows, rng, taken), rows)]
    world = tuple(diseases)
    check_table(world)
    return world


def diseases_of(modality: str, world_seed: int = 0) -> list[Disease]:
    """The classes of one modality (by key or dataset name) in the world of `world_seed`, in label order."""
    wanted = {m.key for m in MODALITIES if modality in (m.key, m.dataset)}
    if not wanted:
        raise KeyError(f"unknown synthetic modality {modality!r}; known: {[m.key for m in MODALITIES]}")
    return [d for d in world_diseases(world_seed) if d.modality in wanted]


def check_table(diseases: tuple[Disease, ...]) -> None:
    """Refuse a world with clashing classes: two classes of one modality must differ in some attribute."""
    seen: dict[tuple, str] = {}
    bad = []
    for d in diseases:
        if d.attributes.colour not in MODALITY_BY_KEY[d.modality].colours:
            bad.append(f"{d.name}: colour {d.attributes.colour!r} cannot be drawn on {d.modality}")
        key = (d.modality, d.attributes.key())
        if key in seen:
            bad.append(f"{d.name} looks exactly like {seen[key]}")
        seen[key] = d.name
    if bad:
        raise ValueError(f"synthetic attribute table: {len(bad)} problems: {bad[:5]}")


#: the world of seed 0: the classes of the registered Synth* datasets and the shipped descriptions
DISEASES: tuple[Disease, ...] = world_diseases(0)
