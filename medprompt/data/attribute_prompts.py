"""Attribute prompts for zero-shot classification (after Qin et al., ICLR 2023, on medical VLMs).

An attribute file describes each class by what a lay viewer sees:
`{class: {"color": [...], "shape": [...], "texture": [...], "location": [...]}}`. Templates such as
"{color} color, {shape} shape {class} in {location}." are filled with every combination of the values of
the attributes they use (plus `{class}` and `{modality}`); the class vector is the mean of those prompts'
features. Lay words ("white patchy") served the study better than jargon ("consolidation").
"""

from __future__ import annotations

import itertools
import string
from pathlib import Path
from typing import Mapping, Sequence

from medprompt.data.descriptions import DescriptionError, read_class_file

ATTRIBUTES = ("color", "shape", "texture", "location")
FIELDS = (*ATTRIBUTES, "class", "modality")
DEFAULT_TEMPLATES = (
    "{color} color, {shape} shape {class} in {location}.",
    "a {modality} of {class}: {texture} texture, {color} color, in {location}.",
)

ClassAttributes = dict[str, list[str]]


def _first(items: list[str], n: int = 5) -> str:
    """'3: a; b; c' -- the count and the first n entries."""
    return f"{len(items)}: " + "; ".join(items[:n]) + (" ..." if len(items) > n else "")


def load_attributes(path: str | Path) -> dict[str, ClassAttributes]:
    """Read and check an attribute file: {class: {attribute: [non-empty strings]}}, attributes from ATTRIBUTES."""
    data = read_class_file(path, "Attribute file", "{class: {attribute: [words]}}")
    not_objects = [repr(k) for k, v in data.items() if not isinstance(v, dict) or not v]
    if not_objects:
        raise DescriptionError(f"Attribute file {path}: classes whose value is not a non-empty object "
                               f"{{attribute: [words]}} ({_first(not_objects)})")
    unknown = [f"{k}.{a}" for k, v in data.items() for a in v if a not in ATTRIBUTES]
    if unknown:
        raise DescriptionError(f"Attribute file {path}: unknown attributes ({_first(unknown)}); "
                               f"allowed: {list(ATTRIBUTES)}")
    bad = [f"{k}.{a}" for k, v in data.items() for a, words in v.items()
           if not isinstance(words, list) or not words or not all(isinstance(w, str) and w.strip() for w in words)]
    if bad:
        raise DescriptionError(f"Attribute file {path}: entries that are not non-empty lists of non-empty "
                               f"strings ({_first(bad)})")
    return {k: {a: [w.strip() for w in words] for a, words in v.items()} for k, v in data.items()}


def template_fields(template: str) -> list[str]:
    """The named fields of a template, in order ('{color} {class}' -> ['color', 'class'])."""
    try:
        return [field for _, field, _, _ in string.Formatter().parse(template) if field is not None]
    except ValueError as err:
        raise DescriptionError(f"Attribute template {template!r} is malformed: {err}") from err


def check_templates(templates: Sequence[str]) -> None:
    """Every template names only known fields, and at least one of them names the class."""
    if not templates:
        raise DescriptionError("TRAINER.ZEROSHOT.ATTRIBUTE_TEMPLATES is empty; give at least one template.")
    bad = [f"{t!r} uses {{{f}}}" for t in templates for f in template_fields(t) if f not in FIELDS]
    if bad:
        raise DescriptionError(f"Attribute templates use unknown fields ({_first(bad)}); "
                               f"allowed: {' '.join('{' + f + '}' for f in FIELDS)}")
    if not any("class" in template_fields(t) for t in templates):
        raise DescriptionError(f"No attribute template names the class with {{class}}: {list(templates)}")


def render_attribute_prompts(classname: str, attributes: Mapping[str, Sequence[str]], templates: Sequence[str],
                             modality: str = "", source: str = "attributes") -> list[str]:
    """Every prompt of one class: each template filled with each combination of the values of the
    attributes it uses (templates that use none give one prompt)."""
    check_templates(templates)
    prompts = []
    for template in templates:
        used = list(dict.fromkeys(f for f in template_fields(template) if f in ATTRIBUTES))
        missing = [a for a in used if a not in attributes]
        if missing:
            raise DescriptionError(f"{source}: class {classname!r} has no {missing} for template {template!r}")
        for values in itertools.product(*(attributes[a] for a in used)):
            prompts.append(template.format(**{"class": classname, "modality": modality, **dict(zip(used, values))}))
    return prompts


def render_all(classnames: Sequence[str], per_class: Sequence[Mapping[str, Sequence[str]]], templates: Sequence[str],
               modality: str = "", source: str = "attributes") -> list[list[str]]:
    """The prompts of every class, in class order; one error lists every class lacking an attribute."""
    check_templates(templates)
    needed = {f for t in templates for f in template_fields(t) if f in ATTRIBUTES}
    lacking = [f"{name!r} lacks {', '.join(sorted(needed - set(attrs)))}" for name, attrs in zip(classnames, per_class)
               if needed - set(attrs)]
    if lacking:
        raise DescriptionError(f"{source}: classes lacking attributes the templates use ({_first(lacking)})")
    return [render_attribute_prompts(name, attrs, templates, modality, source)
            for name, attrs in zip(classnames, per_class)]
