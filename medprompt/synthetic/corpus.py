"""The "literature" corpus of the synthetic world: figure-caption-like sentences where the lexicon's word
parts stand beside plain attribute words, the way a medical CLIP's text side meets them in papers.

Each sentence captions one image of a random attribute pattern (never a class of any world): some of
its attributes are said with word parts, joined to a plain noun ("annular punctate erythro-patches"),
in half of the sentences followed by their plain gloss ("(ring-shaped, speckled, red)"); the others in
plain words. No class name can appear: names end in a head noun of `lexicon.HEADS` (or are eponyms),
which the corpus never uses; `check_no_class_names` checks it against the worlds of many seeds.

    python -m medprompt.synthetic.corpus --out corpus.txt --n 1000     # write a sample with provenance
"""

from __future__ import annotations

import argparse
import hashlib
import re
import time
from pathlib import Path

import numpy as np

from medprompt.utils.atomic import write_json, write_text
from medprompt.synthetic.diseases import ATTRIBUTE_VALUES, MODALITIES, Attributes, world_diseases
from medprompt.synthetic.captions import NOUNS, words
from medprompt.synthetic.lexicon import ADJECTIVE_ORDER, PREFIX_ORDER, WORD_PARTS

GLOSS_SHARE = 0.5
#: the plain word of each attribute value, as a gloss or a finding
PLAIN = {"count": {"single": "single", "few": "few", "many": "many"}}
CHECKED_SEEDS = range(100)  # worlds whose class names the corpus is checked against


def _plain(modality: str, attr: str, a: Attributes) -> str:
    w = words(modality, a)
    if attr == "count":
        return PLAIN["count"][a.count]
    if attr == "border":
        return f"{a.border}-edged"
    return w[attr]


def literature_caption(modality: str, a: Attributes, rng: np.random.Generator) -> str:
    """One corpus sentence for one image of pattern `a` on `modality` (choices drawn from `rng`)."""
    values = dict(zip(ATTRIBUTE_VALUES, a.key()))
    k = int(rng.integers(1, 4))
    stated = [str(s) for s in rng.choice(list(ATTRIBUTE_VALUES), size=k, replace=False)]
    parts = {s: str(rng.choice(WORD_PARTS[s][values[s]])) for s in stated}
    noun = NOUNS[modality][0 if a.count == "single" else 1]
    adjectives = [parts[s] for s in ADJECTIVE_ORDER if s in parts and not parts[s].endswith("-")]
    prefixes = [parts[s] for s in PREFIX_ORDER if s in parts and parts[s].endswith("-")]
    phrase = " ".join([*adjectives, "".join(prefixes) + noun])
    if rng.random() < GLOSS_SHARE:
        phrase += " (" + ", ".join(_plain(modality, s, a) for s in stated) + ")"
    rest = [_plain(modality, s, a) for s in ATTRIBUTE_VALUES if s not in stated]
    modality_words = next(m.words for m in MODALITIES if m.key == modality)
    article = "an" if modality_words[0] in "aeiou" else "a"
    return f"{article} {modality_words} showing {phrase}; the findings are {', '.join(rest)}."


def class_names(seeds=CHECKED_SEEDS) -> set[str]:
    """Every class name of the worlds of `seeds`, lower-cased."""
    return {d.name.lower() for s in seeds for d in world_diseases(s)}


def check_no_class_names(sentences: list[str], seeds=CHECKED_SEEDS) -> None:
    """Raise ValueError naming the first sentence that contains a class name of a world of `seeds`."""
    by_last_word: dict[str, list[str]] = {}
    for name in class_names(seeds):
        by_last_word.setdefault(name.split()[-1], []).append(name)
    for sentence in sentences:
        text = sentence.lower()
        for word in set(re.findall(r"[\w-]+", text)):
            hit = next((n for n in by_last_word.get(word, ()) if n in text), None)
            if hit:
                raise ValueError(f"corpus sentence names class {hit!r}: {sentence!r}")


def digest(sentences: list[str]) -> str:
    return hashlib.blake2b("\n".join(sentences).encode(), digest_size=16).hexdigest()


def main(argv: list[str] | None = None) -> None:
    from medprompt.synthetic.world import image_rng, random_attributes

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="text file, one sentence a line (provenance beside it)")
    p.add_argument("--n", type=int, default=1000, help="sentences per modality")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    sentences = []
    for mi, m in enumerate(MODALITIES):
        for i in range(args.n):
            rng = image_rng(args.seed, 200 + mi, i)
            sentences.append(literature_caption(m.key, random_attributes(m.key, rng), rng))
    check_no_class_names(sentences)
    out = Path(args.out)
    write_text(out, "\n".join(sentences) + "\n")
    write_json(out.with_suffix(".provenance.json"), {
        "written_by": "python -m medprompt.synthetic.corpus", "seed": args.seed, "n_per_modality": args.n,
        "digest": digest(sentences), "checked_world_seeds": [CHECKED_SEEDS.start, CHECKED_SEEDS.stop],
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}, indent=2)
    print(f"wrote {len(sentences)} sentences to {out}")


if __name__ == "__main__":
    from medprompt.utils.entrypoint import run_main

    run_main(main, "python -m medprompt.synthetic.corpus")
