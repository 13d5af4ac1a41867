"""Audit of the real datasets' class names: which carry appearance in their word parts, which are opaque.

The synthetic world gives a share of its classes opaque, eponym-like names (medprompt.synthetic.lexicon).
That share is set here, from the class names of the project's real datasets (every registered dataset
that is not synthetic), before any result of the world was seen:

- excluded: names of no finding or of no class (normal, healthy, other, background, an imaging modality,
  a cleanliness grade);
- appearance: a word part of the name states something visible in that class's images: a colour
  (melano- dark, cotton-wool, yellow-white, haem-/bleeding red, pigment- dark, opacity bright), a shape
  (spiculated, polyp, tortuosity, asymmetry, distortion, hole, swelling), a texture (tessellated, crystalline,
  particles, dyed), a border (circumscribed, blur), a size (large, massive) or a count (spots, flecks);
- opaque: everything else: diseases, causes, organs, tissue and cell types, grades (glaucoma, drusen,
  squamous cell carcinoma, VKH disease, osteoarthritis ...).

The judgement is in the table below, one line per name, so it can be read and argued with.

    python -m medprompt.demo.audit          # prints the table and the share
"""

from __future__ import annotations

import argparse
import re

#: name -> the word part that carries appearance (and what it says)
APPEARANCE: dict[str, str] = {
    "bietti crystalline dystrophy": "crystalline: glittering texture",
    "blur fundus with suspected proliferative diabetic retinopathy": "blur: blurry",
    "blur fundus without proliferative diabetic retinopathy": "blur: blurry",
    "brain bleeding": "bleeding: red / bright on CT",
    "preretinal hemorrhage": "haem-: red",
    "calcification": "calc-: chalk-white",
    "circumscribed masses": "circumscribed: sharp border",
    "spiculated masses": "spiculated: spiky outline",
    "architectural distortion": "distortion: irregular shape",
    "asymmetry": "asymmetry: irregular shape",
    "cotton-wool spots": "cotton-wool: white fluffy; spots",
    "yellow-white spots-flecks": "yellow-white; spots, flecks",
    "laser spots": "spots: many small round",
    "massive hard exudates": "massive: large; hard: sharp",
    "large optic cup": "large: size",
    "macular hole": "hole: dark round",
    "disc swelling and elevation": "swelling: enlarged",
    "melanoma": "melano-: dark",
    "melanocytic nevus": "melano-: dark",
    "retinitis pigmentosa": "pigment-: dark",
    "lung opacity": "opacity: bright on X-ray",
    "lung opacity lungs": "opacity: bright on X-ray",
    "tessellated fundus": "tessellated: tiled texture",
    "vessel tortuosity": "tortuosity: winding shape",
    "vitreous particles": "particles: speckled",
    "dyed lifted polyps": "dyed: blue; polyp: stalked shape",
    "dyed resection margins": "dyed: blue",
    "polyps": "polyp: stalked shape",
}

#: names that are no finding (or no class at all); they are left out of the share
EXCLUDED_PATTERNS = (r"\bnormal\b", r"\bhealthy\b", r"\bother\b", r"background", r"^non-tumorous$", r"^tumorous$",
                     r"cleanliness level", r"^(ffa|oct|retina slo|retinal fundus|slit lamp image)$",
                     r"^(benign|sick|malignant) breast$", r"^benign (breast|colonic tissue|lung tissue|tumor)$",
                     r"^(colon|lung) benign tissue$")


def real_class_names() -> list[str]:
    """Every prompt class name of the registered real datasets, deduplicated, sorted."""
    from medprompt.data.specs import DATASET_SPECS

    return sorted({n for s in DATASET_SPECS.values() if s.source != "synthetic" for n in s.classnames})


def classify(name: str) -> str:
    """excluded | appearance | opaque."""
    lower = name.lower()
    if any(re.search(p, lower) for p in EXCLUDED_PATTERNS):
        return "excluded"
    return "appearance" if lower in APPEARANCE else "opaque"


def audit() -> dict:
    """{"names": {name: kind}, "counts": {kind: n}, "opaque_share": opaque / (appearance + opaque)}."""
    names = {n: classify(n) for n in real_class_names()}
    unknown = set(APPEARANCE) - {n.lower() for n in names}
    if unknown:
        raise ValueError(f"audit table names classes no real dataset has: {sorted(unknown)}")
    counts = {k: sum(v == k for v in names.values()) for k in ("appearance", "opaque", "excluded")}
    share = counts["opaque"] / (counts["appearance"] + counts["opaque"])
    return {"names": names, "counts": counts, "opaque_share": round(share, 3)}


def main(argv: list[str] | None = None) -> None:
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args(argv)
    result = audit()
    for name, kind in result["names"].items():
        print(f"{kind:10s}  {name}" + (f"  ({APPEARANCE[name.lower()]})" if kind == "appearance" else ""))
    print(result["counts"], "opaque share", result["opaque_share"])


if __name__ == "__main__":
    from medprompt.utils.entrypoint import run_main

    run_main(main, "python -m medprompt.demo.audit")
