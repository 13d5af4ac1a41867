"""Answer cleaning: lists, prose, reasoning traces, refusals, empty answers, class-name avoidance."""

from __future__ import annotations

import pytest

from medprompt.llm.parsing import (
    dedupe_key,
    is_refusal,
    parse_answer,
    split_items,
    strip_reasoning,
)


def test_bullet_list_keeps_items_and_drops_prose_around_it():
    answer = (
        "Here are the findings you asked for:\n"
        "- **Patchy** white shadows in the lower lung.\n"
        "* A blurred heart border\n"
        "  that continues on the next line.\n"
        "\u2022 Thickened airway walls.\n"
        "I hope this helps!"
    )
    assert parse_answer(answer).items == [
        "Patchy white shadows in the lower lung.",
        "A blurred heart border that continues on the next line.",
        "Thickened airway walls.",
    ]


@pytest.mark.parametrize("marker", ["1.", "2)", "(a)", "-", "+"])
def test_numbered_and_other_markers(marker):
    assert split_items(f"{marker} a dark spot near the centre\n{marker} a thin rim") == [
        "a dark spot near the centre",
        "a thin rim",
    ]


def test_headings_are_not_items():
    assert split_items("### Colour:\n- dark red\n**Shape:**\n- round") == ["dark red", "round"]


def test_prose_is_split_into_sentences():
    items = parse_answer("A bright lesion sits in the macula. It has irregular borders! Is it raised? Yes.").items
    assert items == ["A bright lesion sits in the macula.", "It has irregular borders!", "Is it raised?", "Yes."]


def test_closed_reasoning_trace_is_removed_and_counted():
    parsed = parse_answer("<think>The user wants pneumonia... - not this</think>\n- cloudy patches\n- air bubbles")
    assert parsed.items == ["cloudy patches", "air bubbles"]
    assert parsed.dropped == {"reasoning": 1}
    assert not any("think" in item or "user wants" in item for item in parsed.items)


def test_trace_without_opening_tag_keeps_only_the_final_answer():
    answer, had_trace = strip_reasoning("thinking aloud about it</Think>\n- final item")
    assert had_trace and answer.strip() == "- final item"


@pytest.mark.parametrize("text", ["<think>I should list the signs of", "<reasoning>step 1: recall", "<think></think>"])
def test_answers_that_are_only_reasoning_are_dropped(text):
    parsed = parse_answer(text)
    assert parsed.items == [] and parsed.dropped == {"reasoning": 1}


@pytest.mark.parametrize(
    "text",
    [
        "I'm sorry, but I can't help with a medical diagnosis.",
        "I cannot provide medical information.",
        "As an AI language model, I am not able to look at images.",
        "Sorry, I won't do that.",
        "Please consult a doctor for an accurate assessment.",
    ],
)
def test_refusals_are_dropped(text):
    assert is_refusal(text)
    parsed = parse_answer(text)
    assert parsed.items == [] and parsed.dropped == {"refusal": 1}


def test_refusal_lines_inside_a_list_are_dropped_one_by_one():
    parsed = parse_answer("- a white patch\n- I'm sorry, I cannot say more\n- consult your doctor\n- a dark rim")
    assert parsed.items == ["a white patch", "a dark rim"]
    assert parsed.dropped == {"refusal": 2}


def test_words_like_sorry_inside_a_finding_are_kept():
    assert not is_refusal("A sorry-looking, shrunken optic disc")
    assert not is_refusal("Cannot-miss sign: a cherry-red spot")


@pytest.mark.parametrize("text", [None, "", "   \n\t", "- ...\n- ***"])
def test_empty_answers_are_dropped_and_counted(text):
    parsed = parse_answer(text)
    assert parsed.items == []
    assert parsed.n_dropped >= 1 and set(parsed.dropped) == {"empty"}


def test_items_naming_the_forbidden_class_are_dropped():
    parsed = parse_answer("- Pneumonia shows white areas\n- cloudy lower lung\n- pneumonias everywhere", "Pneumonia")
    # whole words only: 'pneumonias' is not the class name
    assert parsed.items == ["cloudy lower lung", "pneumonias everywhere"]
    assert parsed.dropped == {"names_class": 1}


def test_forbidden_name_is_matched_after_normalising():
    parsed = parse_answer("- typical normal lung look\n- clear dark lungs", "normal_lung")
    assert parsed.items == ["clear dark lungs"]


def test_dedupe_key_ignores_case_punctuation_and_spacing():
    assert dedupe_key("A  dark, round spot.") == dedupe_key("a dark round spot")
    assert dedupe_key("a dark round spot") != dedupe_key("a dark oval spot")
