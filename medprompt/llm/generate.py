"""Generate a description file class by class, resumable, with a provenance record beside it.

For each class, every question of the set (per modality) is asked through a ChatAsker; the answers are
cleaned (medprompt.llm.parsing), de-duplicated within the class, and the class is written to the output
as soon as it is finished. Classes already in the file are skipped, so a killed or failed run is resumed
by running the same command again. The provenance file (see store.py) is written before the description
file at each step, so it always covers every class the description file holds.
"""

from __future__ import annotations

import datetime
import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from medprompt.data.classnames import normalize_classname
from medprompt.utils.errors import ConfigError
from medprompt.llm.client import ChatAsker, GenerationError
from medprompt.llm.parsing import dedupe_key, parse_answer
from medprompt.llm.questions import QuestionSet
from medprompt.llm.store import provenance_path, read_descriptions, read_json, write_json_atomic

log = logging.getLogger(__name__)

WRITTEN_BY = "generate_descriptions.py (medprompt.llm)"
# A resumed run must ask the same way as the run that started the file.
SAME_RUN_KEYS = ("model", "question_set", "system", "questions", "temperature", "n")


@dataclass
class RunSummary:
    """What one call of generate() did."""

    output: Path
    provenance: Path
    written: list[str] = field(default_factory=list)  # classes generated and saved by this run
    skipped: list[str] = field(default_factory=list)  # classes already in the file
    incomplete: dict[str, str] = field(default_factory=dict)  # class -> why it was not saved
    dropped_by_reason: Counter = field(default_factory=Counter)

    @property
    def complete(self) -> bool:
        """True when every class is now in the file."""
        return not self.incomplete


def _check_classnames(classnames: list[str]) -> None:
    if not classnames:
        raise ConfigError("no class names given")
    by_norm: dict[str, list[str]] = {}
    for name in classnames:
        if not isinstance(name, str) or not normalize_classname(name):
            raise ConfigError(f"empty or non-text class name {name!r} in {classnames[:5]}...")
        by_norm.setdefault(normalize_classname(name), []).append(name)
    clashes = [names for names in by_norm.values() if len(names) > 1]
    if clashes:
        raise ConfigError(f"{len(clashes)} class name(s) are the same after normalising; first: {clashes[:3]}")


def _ask_class(classname: str, modality: str | None, qset: QuestionSet, asker: ChatAsker):
    """All questions for one class: (lists per output key, Counter of dropped pieces by reason)."""
    readable = normalize_classname(classname)
    forbidden = readable if qset.forbid_classname else None
    lists: dict[str, list[str]] = {key: [] for key in qset.questions}
    seen: dict[str, set[str]] = {key: set() for key in qset.questions}
    dropped: Counter = Counter()
    for key, user in qset.prompts(readable, modality):
        for text in asker.ask(qset.system, user):
            parsed = parse_answer(text, forbidden_name=forbidden)
            dropped.update(parsed.dropped)
            for item in parsed.items:
                k = dedupe_key(item)
                if k in seen[key]:
                    dropped["duplicate"] += 1
                else:
                    seen[key].add(k)
                    lists[key].append(item)
    return lists, dropped


def generate(
    classnames: list[str],
    modality: str | None,
    qset: QuestionSet,
    asker: ChatAsker,
    output: Path,
    *,
    server: str | None = None,
    overwrite: bool = False,
    today: datetime.date | None = None,
) -> RunSummary:
    """Write `output` (and its provenance) for `classnames`, one class at a time; see module docstring.

    A class for which nothing was kept (or, in an attribute set, some attribute got nothing) is not
    written: it is listed in the summary's `incomplete`, and the next run asks for it again. Raises
    GenerationError when a request fails for good; finished classes are already on disk then.
    """
    _check_classnames(classnames)
    output = Path(output)
    prov_file = provenance_path(output)
    settings = asker.settings
    header = {
        "written_by": WRITTEN_BY,
        "model": settings.model,
        "server": server,
        "question_set": qset.name,
        "system": qset.system,
        "questions": qset.question_list(),
        "temperature": settings.temperature,
        "n": settings.n,
    }
    existing = {} if overwrite else read_descriptions(output, qset.kind)
    counts: dict[str, dict] = {}
    if existing:
        old = read_json(prov_file)
        if old is None:
            raise GenerationError(
                f"{output} exists but {prov_file.name} does not, so it cannot be resumed safely; "
                "pass --overwrite to start again or choose another --output"
            )
        differ = [k for k in SAME_RUN_KEYS if old.get(k) != header[k]]
        if differ:
            raise GenerationError(
                f"{output} was made with other settings ({', '.join(differ)} differ; see {prov_file.name}); "
                "pass --overwrite to start again or choose another --output"
            )
        counts = dict(old.get("counts") or {})
    key_of = {normalize_classname(k): k for k in existing}  # resume matches keys the project's way
    data = dict(existing)
    summary = RunSummary(output=output, provenance=prov_file)

    for index, classname in enumerate(classnames, 1):
        where = f"class {index}/{len(classnames)} {classname!r}"
        if normalize_classname(classname) in key_of:
            summary.skipped.append(classname)
            log.info("%s: already in %s, skipped", where, output.name)
            continue
        try:
            lists, dropped = _ask_class(classname, modality, qset, asker)
        except GenerationError as exc:
            raise GenerationError(
                f"{where}: {exc} -- the {len(data)} finished class(es) are saved in {output}; "
                "run the same command again to resume"
            ) from None
        summary.dropped_by_reason.update(dropped)
        kept = sum(len(v) for v in lists.values())
        reasons = ", ".join(f"{r} {c}" for r, c in sorted(dropped.items())) or "none"
        empty = [key or "descriptions" for key, items in lists.items() if not items]
        if empty:
            summary.incomplete[classname] = f"nothing kept for {', '.join(empty)} (dropped: {reasons})"
            log.warning("%s: not saved, nothing kept for %s (dropped: %s)", where, ", ".join(empty), reasons)
            continue
        key_of[normalize_classname(classname)] = classname
        data[classname] = lists[""] if qset.kind == "descriptions" else lists
        counts[classname] = {"kept": kept, "dropped": sum(dropped.values())}
        order = [key_of[normalize_classname(c)] for c in classnames if normalize_classname(c) in key_of]
        order += [k for k in data if k not in order]  # keys of an older run for classes not asked now
        day = (today or datetime.date.today()).isoformat()
        # Provenance first: it may briefly cover one class more than the file, never one fewer.
        write_json_atomic(
            prov_file, {**header, "date": day, "counts": {k: counts[k] for k in order if k in counts}}
        )
        write_json_atomic(output, {k: data[k] for k in order})
        summary.written.append(classname)
        log.info("%s: kept %d, dropped %d (%s)", where, kept, sum(dropped.values()), reasons)
    return summary
