"""Turn one raw LLM answer into clean description items, and say what was thrown away and why.

Answers come back as bullet lists, numbered lists or prose, sometimes wrapped in a reasoning trace
(`<think>...</think>` from reasoning models served by vLLM or Ollama), sometimes as a refusal or a
"consult your doctor" disclaimer. Only the visual statements may reach a description file: the rest is
dropped and counted, so a run's provenance says how much of what the model said was kept.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from medprompt.data.classnames import normalize_classname

# Reasoning traces of the common open reasoning models; the final answer follows the closing tag.
_TRACE_TAGS = "think|thinking|reasoning"
_CLOSE_TAG = re.compile(rf"</(?:{_TRACE_TAGS})\s*>", re.IGNORECASE)
_OPEN_TAG = re.compile(rf"<(?:{_TRACE_TAGS})\s*>", re.IGNORECASE)

_BULLET = re.compile(r"^\s*(?:[-*\u2022\u2023\u25aa\u2013\u2014+]|\d{1,3}[.)]|\(?[a-zA-Z]\))\s+(?P<text>\S.*)$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'])")
_MARKUP = re.compile(r"\*\*|__|`")
_LETTER = re.compile(r"[^\W\d_]")

# Refusals and disclaimers, matched at the start of an answer or of an item.
_REFUSAL = re.compile(
    r"^\W*(?:i'?m sorry|i am sorry|sorry[,.!]|i apologi[sz]e|unfortunately,? i|"
    r"i (?:can ?not|can'?t|won'?t|am not able|am unable|do not feel comfortable)|"
    r"i'?m (?:not able|unable|not comfortable)|as an ai\b|as a language model\b|"
    r"(?:please )?consult (?:a|your) (?:doctor|physician|healthcare|medical|qualified)|"
    r"this (?:is not|does not constitute) (?:medical|a diagnosis))",
    re.IGNORECASE,
)


@dataclass
class ParsedAnswer:
    """Items kept from one answer, and dropped pieces counted by reason."""

    items: list[str] = field(default_factory=list)
    dropped: Counter = field(default_factory=Counter)

    @property
    def n_dropped(self) -> int:
        """How many pieces (whole answers or single items) were dropped."""
        return sum(self.dropped.values())


def strip_reasoning(text: str) -> tuple[str | None, bool]:
    """Remove a reasoning trace; return (final answer or None when only reasoning is left, had_trace).

    A closed trace is cut off and the answer after it kept. An opened but never closed trace means the
    model ran out of tokens while thinking: there is no final answer, so None.
    """
    closes = list(_CLOSE_TAG.finditer(text))
    if closes:
        return text[closes[-1].end():], True
    if _OPEN_TAG.search(text):
        return None, True
    return text, False


def is_refusal(text: str) -> bool:
    """True for refusals and disclaimers ("I'm sorry...", "As an AI...", "Consult a doctor...")."""
    return bool(_REFUSAL.match(text.strip()))


def _clean_item(text: str) -> str:
    text = _MARKUP.sub("", text)
    text = " ".join(text.split())
    return text.strip(" \"'\u201c\u201d")


def split_items(text: str) -> list[str]:
    """Bullet or numbered items when the answer is a list, else its sentences.

    In a list answer, prose around the list (preamble, closing remarks) and headings ending in ':' are
    not items; an indented line right after an item continues it (wrapped markdown).
    """
    lines = text.splitlines()
    if any(_BULLET.match(line) for line in lines):
        items: list[str] = []
        in_item = False
        for line in lines:
            match = _BULLET.match(line)
            if match:
                items.append(match.group("text"))
                in_item = True
            elif in_item and line[:1].isspace() and line.strip():
                items[-1] += " " + line.strip()
            else:
                in_item = False
    else:
        prose = " ".join(line.strip() for line in lines if line.strip() and not line.strip().endswith(":"))
        items = _SENTENCE_END.split(prose) if prose else []
    cleaned = (_clean_item(item) for item in items)
    return [item for item in cleaned if item and not item.endswith(":")]


def dedupe_key(item: str) -> str:
    """Key under which two items count as the same statement (case, punctuation, spacing ignored)."""
    return " ".join(re.sub(r"[^\w\s]", " ", item.lower()).split())


def parse_answer(text: str | None, forbidden_name: str | None = None) -> ParsedAnswer:
    """Clean one answer into items.

    Dropped (and counted under the reason in brackets): an empty answer [empty], an answer that is only
    a reasoning trace [reasoning], an answer that opens with a refusal and holds no list [refusal],
    items that are refusals or disclaimers [refusal], items without a letter [empty], and, when
    `forbidden_name` is given (ViP asks the model to avoid the class name), items that name it anyway
    [names_class]. A closed reasoning trace is removed and counted [reasoning]; the answer after it stays.
    """
    result = ParsedAnswer()
    if text is None or not text.strip():
        result.dropped["empty"] += 1
        return result
    answer, had_trace = strip_reasoning(text)
    if had_trace:
        result.dropped["reasoning"] += 1
    if answer is None:
        return result
    if not answer.strip():
        if not had_trace:
            result.dropped["empty"] += 1
        return result
    is_list = any(_BULLET.match(line) for line in answer.splitlines())
    if not is_list and is_refusal(answer):
        result.dropped["refusal"] += 1
        return result
    forbidden = dedupe_key(normalize_classname(forbidden_name)) if forbidden_name else ""
    for item in split_items(answer):
        if not _LETTER.search(item):
            result.dropped["empty"] += 1
        elif is_refusal(item):
            result.dropped["refusal"] += 1
        elif forbidden and re.search(rf"\b{re.escape(forbidden)}\b", dedupe_key(item)):
            result.dropped["names_class"] += 1
        else:
            result.items.append(item)
    if not result.items and not result.dropped:
        result.dropped["empty"] += 1
    return result
