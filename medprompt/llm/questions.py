"""Question sets for description generation, kept as YAML data files under configs/questions/.

A set holds the system text (sent as the system message of every request), the question templates with
the placeholders {classname} and {modality}, suggested sampling settings, and the shape of the output:
`descriptions` sets give `{class: [sentence, ...]}`; `attributes` sets (attribute prompts after Qin et
al.) map attribute names to questions and give `{class: {attribute: [phrase, ...]}}`. A set may list
its own imaging modalities (the multi-modality eye set): each question is then asked once per modality.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from medprompt.utils.errors import FileFormatError, InputFileError
from medprompt.utils.paths import CONFIGS

QUESTIONS_DIR = CONFIGS / "questions"
PLACEHOLDERS = frozenset({"classname", "modality"})
KINDS = ("descriptions", "attributes")
_KEYS = {
    "name", "kind", "about", "system", "questions", "modalities", "defaults", "forbid_classname", "output_subdir",
}


@dataclass(frozen=True)
class QuestionSet:
    """One question set as loaded from its YAML file."""

    name: str
    kind: str
    system: str
    questions: dict[str, list[str]]  # output key -> templates; "descriptions" sets use the single key ""
    modalities: tuple[str, ...] = ()
    defaults: dict = field(default_factory=dict)
    forbid_classname: bool = False
    output_subdir: str = ""
    source: str = ""

    def question_list(self) -> list[str]:
        """All templates as recorded in provenance: a set's own modalities filled in, {classname} kept,
        attribute questions as 'attribute: template'."""
        modalities = self.modalities or ("{modality}",)
        return [
            (f"{key}: " if key else "") + q.format(classname="{classname}", modality=m)
            for m in modalities
            for key, qs in self.questions.items()
            for q in qs
        ]

    def prompts(self, classname: str, modality: str | None) -> list[tuple[str, str]]:
        """(output key, user message) for every request one class needs, in a fixed order."""
        modalities = self.modalities or (modality,)
        if any(m is None for m in modalities) and self.uses_modality():
            raise FileFormatError(f"question set {self.name!r} ({self.source}) needs a modality; none was given")
        return [
            (key, template.format(classname=classname, modality=m))
            for m in modalities
            for key, templates in self.questions.items()
            for template in templates
        ]

    def uses_modality(self) -> bool:
        """True when some template has a {modality} placeholder."""
        return any("modality" in _fields(t) for ts in self.questions.values() for t in ts)


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def available_question_sets(directory: Path = QUESTIONS_DIR) -> list[str]:
    """Names of the question sets shipped in `directory`."""
    return sorted(p.stem for p in directory.glob("*.yaml"))


def _as_templates(value: object, where: str) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(q, str) and q.strip() for q in items):
        raise FileFormatError(f"{where}: expected a question or a non-empty list of questions, got {value!r}")
    return [" ".join(q.split()) for q in items]


def load_question_set(name_or_path: str | Path, directory: Path = QUESTIONS_DIR) -> QuestionSet:
    """Load a set by name (configs/questions/<name>.yaml) or by path, validating it fully."""
    path = Path(name_or_path)
    if path.suffix not in (".yaml", ".yml"):
        path = directory / f"{name_or_path}.yaml"
        if not path.is_file():
            raise InputFileError(
                f"no question set {str(name_or_path)!r} in {directory}; available: "
                + ", ".join(available_question_sets(directory))
            )
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise FileFormatError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise FileFormatError(f"{path}: expected a mapping at the top level")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise FileFormatError(f"{path}: unknown keys {unknown}; allowed: {sorted(_KEYS)}")
    for key in ("name", "system", "questions"):
        if not raw.get(key):
            raise FileFormatError(f"{path}: missing or empty key {key!r}")
    kind = raw.get("kind", "descriptions")
    if kind not in KINDS:
        raise FileFormatError(f"{path}: key 'kind' must be one of {KINDS}, got {kind!r}")
    if kind == "attributes":
        if not isinstance(raw["questions"], dict):
            raise FileFormatError(f"{path}: an attributes set maps attribute names to questions")
        questions = {str(k): _as_templates(v, f"{path}: questions.{k}") for k, v in raw["questions"].items()}
    else:
        questions = {"": _as_templates(raw["questions"], f"{path}: questions")}
    bad = [
        (t, sorted(_fields(t) - PLACEHOLDERS)) for ts in questions.values() for t in ts if _fields(t) - PLACEHOLDERS
    ]
    if bad:
        raise FileFormatError(
            f"{path}: {len(bad)} question(s) use unknown placeholders (allowed: {sorted(PLACEHOLDERS)}); "
            f"first: {bad[:3]}"
        )
    modalities = raw.get("modalities") or []
    if not isinstance(modalities, list) or not all(isinstance(m, str) and m.strip() for m in modalities):
        raise FileFormatError(f"{path}: key 'modalities' must be a list of names, got {modalities!r}")
    defaults = raw.get("defaults") or {}
    if not isinstance(defaults, dict) or set(defaults) - {"temperature", "n"}:
        raise FileFormatError(f"{path}: key 'defaults' may hold only 'temperature' and 'n', got {defaults!r}")
    return QuestionSet(
        name=str(raw["name"]),
        kind=kind,
        system=str(raw["system"]).strip(),
        questions=questions,
        modalities=tuple(modalities),
        defaults=dict(defaults),
        forbid_classname=bool(raw.get("forbid_classname", False)),
        output_subdir=str(raw.get("output_subdir") or ""),
        source=str(path),
    )
