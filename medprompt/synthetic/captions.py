"""Words for the synthetic world: training captions for the tiny CLIP and class descriptions.

Both only ever state visual attributes; no disease name appears in either. Captions (for training the
image tower) name every attribute in one sentence with a few word orders. Descriptions (one file per
modality, the stand-in for LLM descriptions) use other sentence frames, one to three attributes per
sentence, as plain-words findings do.
"""

from __future__ import annotations

import string

import numpy as np

from medprompt.synthetic.diseases import ATTRIBUTE_VALUES, MODALITY_BY_KEY, Attributes, Disease
from medprompt.synthetic.lexicon import decode_name

SHAPE_WORDS = {"round": "round", "irregular": "irregular", "ring": "ring-shaped", "streak": "streak-like"}
TEXTURE_WORDS = {"smooth": "smooth", "speckled": "speckled", "striped": "striped", "mottled": "mottled"}
COLOUR_WORDS = {"red": "red", "brown": "brown", "black": "dark", "yellow": "yellow", "white": "white"}
COUNT_WORDS = {"single": "a single", "few": "a few", "many": "many"}
#: what a lesion is called on each modality: (singular, plural)
NOUNS = {"derm": ("patch", "patches"), "fundus": ("spot", "spots"), "xray": ("opacity", "opacities"),
         "endo": ("lesion", "lesions")}
SURFACES = {"derm": "skin", "fundus": "retina", "xray": "lung fields", "endo": "mucosa"}

CAPTION_FRAMES = (
    "a {modality} showing {count} {size} {colour} {shape} {noun} with {texture} texture and {border} borders",
    "{count} {size} {colour} {shape} {noun} with {border} borders and {texture} texture in a {modality}",
    "a {modality} with {count} {colour} {noun}, {size}, {shape}, {texture} and {border}-edged",
)


def _noun(modality: str, count: str) -> str:
    singular, plural = NOUNS[modality]
    return singular if count == "single" else plural


def words(modality: str, a: Attributes) -> dict[str, str]:
    """The attribute words of one pattern on one modality, for filling sentence frames."""
    return {
        "modality": MODALITY_BY_KEY[modality].words,
        "count": COUNT_WORDS[a.count],
        "size": a.size,
        "colour": COLOUR_WORDS[a.colour],
        "shape": SHAPE_WORDS[a.shape],
        "texture": TEXTURE_WORDS[a.texture],
        "border": a.border,
        "noun": _noun(modality, a.count),
        "surface": SURFACES[modality],
    }


def caption(modality: str, a: Attributes, rng: np.random.Generator | None = None) -> str:
    """A training caption naming every attribute (frame drawn from `rng`, the first frame without)."""
    frame = CAPTION_FRAMES[0 if rng is None else int(rng.integers(len(CAPTION_FRAMES)))]
    return frame.format(**words(modality, a))


# Description frames: per attribute two single-fact sentences, then sentences that join facts.
SINGLE_FRAMES = {
    "colour": ("The {noun} {look} {colour} against the {surface}.", "The colour of the findings is {colour}."),
    "shape": ("The outline of each {noun1} is {shape}.", "The findings are {shape} in shape."),
    "texture": ("Inside, the {noun} {are} {texture}.", "The surface of each {noun1} appears {texture}."),
    "border": ("The edges are {border}.", "Each {noun1} has a {border} margin with the {surface}."),
    "size": ("The {noun} {are} {size} compared with the image.", "Each {noun1} is {size}."),
    "count": ("The {modality} shows {count} {noun}.", "There {are} {count} such {noun} in view."),
}
JOINT_FRAMES = (
    "{colour} {shape} {noun} on the {surface}.",
    "{size} {colour} {noun} with {border} edges.",
    "{texture} {shape} {noun} with {border} edges.",
    "{count} {size} {noun} of {colour} colour.",
    "A {modality} with {count} {colour} {shape} {noun}.",
    "{size}, {texture}, {colour} {noun} on the {surface}.",
    "{count} {colour} {noun} that {are} {size}, {shape}, {texture} and {border}-edged.",
    "In this {modality} the {surface} carries {count} {size} {colour} {noun} with a {texture} fill.",
)


def class_descriptions(disease: Disease) -> list[str]:
    """Plain-words visual findings of one class, built from its attribute table row (no class name)."""
    w = words(disease.modality, disease.attributes)
    one = disease.attributes.count == "single"
    w.update(noun1=NOUNS[disease.modality][0], are="is" if one else "are", look="looks" if one else "look")
    sentences = [frame.format(**w) for frames in SINGLE_FRAMES.values() for frame in frames]
    sentences += [frame.format(**w) for frame in JOINT_FRAMES]
    return [s[0].upper() + s[1:] for s in sentences]


#: frame fields that name no attribute
_FREE_FIELDS = {"modality", "noun", "noun1", "surface", "are", "look"}
#: what a name that says nothing gives (an eponym)
NOTHING_FRAMES = ("The {modality} shows a finding on the {surface}.", "A finding in a {modality}.")


def _fields(frame: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(frame) if f}


def name_descriptions(modality: str, name: str) -> list[str]:
    """Plain-words findings of only what a class name's word parts say (medprompt.synthetic.lexicon).

    The frames of `class_descriptions` whose attributes the name states; an eponym, which states
    nothing, gets NOTHING_FRAMES. This is the "name information" classifier: untrained, and as good as
    a perfect reader of the word parts could be.
    """
    said = decode_name(name)
    known = dict.fromkeys(ATTRIBUTE_VALUES, "")
    known.update(said)
    w = {k: v for k, v in words(modality, Attributes(**{k: v or ATTRIBUTE_VALUES[k][0] for k, v in known.items()})).items()}
    one = said.get("count") == "single"
    w.update(noun=NOUNS[modality][0 if one else 1], noun1=NOUNS[modality][0], are="is" if one else "are",
             look="looks" if one else "look")
    frames = [f for key, fs in SINGLE_FRAMES.items() if key in said for f in fs]
    frames += [f for f in JOINT_FRAMES if _fields(f) - _FREE_FIELDS <= set(said)]
    frames = frames or list(NOTHING_FRAMES)
    sentences = [f.format(**w) for f in frames]
    return [s[0].upper() + s[1:] for s in sentences]
