"""The fixed lexicon of the synthetic world's class names: real medical word parts and what they mean.

Each attribute value has two real word parts (prefixes such as erythro- or adjectives such as annular)
that say it; class names are composed from them, so one word part (leuko- = white, punctate = speckled)
recurs across base classes, new classes and every modality, as in real nomenclature (leukoplakia,
leukocoria; punctate keratitis, punctate inner choroidopathy). A share of each modality's classes gets an
opaque, invented eponym instead ("Harlan-Vesk syndrome"): the share comes from the audit of the real
datasets' class names (medprompt.demo.audit), not from any result.

`compose_name` builds a name from a chosen subset of a class's attributes; `decode_name` reads back what
the name's word parts say (nothing for an eponym). The lexicon is data; the world seed only chooses.
"""

from __future__ import annotations

import re

import numpy as np

#: attribute -> value -> (word part, word part); a part ending in "-" is a prefix joined to the head noun.
WORD_PARTS: dict[str, dict[str, tuple[str, str]]] = {
    "colour": {"red": ("erythro-", "rubro-"), "brown": ("phaeo-", "fusco-"), "black": ("melano-", "nigro-"),
               "yellow": ("xantho-", "flavo-"), "white": ("leuko-", "albo-")},
    "shape": {"round": ("nummular", "discoid"), "irregular": ("stellate", "serpiginous"),
              "ring": ("annular", "circinate"), "streak": ("linear", "fusiform")},
    "texture": {"smooth": ("homogeneous", "glabrous"), "speckled": ("punctate", "stippled"),
                "striped": ("striate", "vittate"), "mottled": ("marmorate", "reticulate")},
    "border": {"sharp": ("circumscribed", "demarcated"), "blurry": ("diffuse", "ill-defined")},
    "size": {"small": ("micro-", "parvi-"), "large": ("macro-", "mega-")},
    "count": {"single": ("solitary", "mono-"), "few": ("oligo-", "pauci-"), "many": ("poly-", "multiple")},
}
#: head nouns of composed names: they say "a disease" and nothing about appearance
HEADS = ("plakia", "osis", "opathy", "oma", "derma", "itis")
#: order of the parts in a name: adjectives (count, border, shape, texture), then prefixes (count, size, colour)
ADJECTIVE_ORDER = ("count", "border", "shape", "texture")
PREFIX_ORDER = ("count", "size", "colour")
#: how many attributes a composed name states (real names state one to three: melanoma, cotton-wool spots)
STATED = (2, 3)

# Invented surnames for eponyms: two syllables each, from letters that form no word part of the lexicon.
_ONSETS = ("b", "br", "d", "dr", "g", "h", "k", "kr", "l", "n", "r", "s", "t", "v", "w", "z", "j", "f")
_NUCLEI = ("a", "e", "i", "o", "u", "ei", "ou")
_CODAS = ("n", "rd", "sk", "ll", "rt", "m", "nd", "st", "k", "ss")
EPONYM_KINDS = ("syndrome", "disease")

PART_MEANING: dict[str, tuple[str, str]] = {
    part: (attr, value) for attr, values in WORD_PARTS.items() for value, parts in values.items() for part in parts
}


def _surname(rng: np.random.Generator) -> str:
    def syllable(coda: bool) -> str:
        s = str(rng.choice(_ONSETS)) + str(rng.choice(_NUCLEI))
        return s + str(rng.choice(_CODAS)) if coda else s

    return (syllable(False) + syllable(True)).capitalize()


def eponym(rng: np.random.Generator) -> str:
    """An invented eponym ("Harlan-Vesk syndrome") that contains no word part of the lexicon."""
    while True:
        name = f"{_surname(rng)}-{_surname(rng)} {rng.choice(EPONYM_KINDS)}"
        if not any(p.rstrip("-") in name.lower() for p in PART_MEANING):
            return name


def compose_name(values: dict[str, str], stated: tuple[str, ...], rng: np.random.Generator) -> str:
    """A name stating the attributes `stated` of a class with attribute `values`, word parts drawn by `rng`.

    At most one word part per attribute; prefixes are joined to the head noun ("poly-erythro-plakia"),
    adjectives go before it ("annular punctate poly-erythro-plakia").
    """
    parts = {a: str(rng.choice(WORD_PARTS[a][values[a]])) for a in stated}
    adjectives = [parts[a] for a in ADJECTIVE_ORDER if a in parts and not parts[a].endswith("-")]
    prefixes = [parts[a] for a in PREFIX_ORDER if a in parts and parts[a].endswith("-")]
    head = "".join(prefixes) + str(rng.choice(HEADS))
    return " ".join([*adjectives, head])


_PREFIXES = sorted((p for p in PART_MEANING if p.endswith("-")), key=len, reverse=True)


def decode_name(name: str) -> dict[str, str]:
    """What a name's word parts say: {attribute: value}; {} for an eponym (or any name without word parts)."""
    said: dict[str, str] = {}
    words = name.lower().split()
    for word in words[:-1]:  # adjectives
        if word in PART_MEANING:
            attr, value = PART_MEANING[word]
            said[attr] = value
    head = words[-1] if words else ""
    while True:  # prefixes of the head noun
        hit = next((p for p in _PREFIXES if head.startswith(p)), None)
        if hit is None:
            break
        attr, value = PART_MEANING[hit]
        said[attr] = value
        head = head[len(hit):]
    return said


def is_eponym(name: str) -> bool:
    return re.search(r"\b(" + "|".join(EPONYM_KINDS) + r")$", name) is not None
