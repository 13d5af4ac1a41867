"""Words for the synthetic world: training captions for the tiny CLIP and class descriptions.

Both only ever state visual attributes; no disease name appears in either. Captions (for training the
image tower) name every attribute in one sentence with a few word orders. Descriptions (one file per
modality, the stand-in for LLM descriptions) use other sentence frames, one to three attributes per
sentence, as plain-words findings do.
"""

from __future__ import annotations

import numpy as np

from medprompt.synthetic.attributes import MODALITY_BY_KEY, Attributes, Disease

SHAPE_WORDS = {"round": "round", "irregular": "irregular", "ring": "ring-shaped", "streak": "streak-like"}
TEXTURE_WORDS = {"smooth": "smooth", "speckled": "speckled", "striped": "striped", "mottled": "mottled"}
COLOUR_WORDS = {"red": "red", "brown": "brown", "black": "dark", "yellow": "yellow", "white": "white"}
COUNT_WORDS = {"single": "a single", "few": "a few", "many": "many"}
#: what a lesion is called on each modality: (singular, plural)
NOUNS = {"derm": ("patch", "patches"), "fundus": ("spot", "spots"), "xray": ("opacity", "opacities")}
SURFACES = {"derm": "skin", "fundus": "retina", "xray": "lung fields"}

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
