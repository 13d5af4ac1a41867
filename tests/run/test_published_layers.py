"""Published settings: `train.py <a run's flags> --print-config` holds, key by key, the values the publishers'
files and code ran with (tests/published_fixture.json, read from those files with their source), names the
source in its layer list, and `--generic` gives the method's generic settings instead."""

from __future__ import annotations

import json

import pytest
import yaml

from e2e import REPO

pytest.importorskip("dassl", reason="stock Dassl is not installed (see README)")

from medprompt.run.train_args import build_parser  # noqa: E402
from trainers import launch  # noqa: E402
from medprompt.run.config_layers import CONFIGS  # noqa: E402
from medprompt.run.published import RunKey, published_layers, read_header, run_protocol  # noqa: E402

FIXTURE = json.loads((REPO / "tests" / "published_fixture.json").read_text())
CASES = FIXTURE["cases"]


def absolute(argv: list[str]) -> list[str]:
    return [str(REPO / a) if a.startswith("configs/") else a for a in argv]


def print_config(capsys, argv: list[str]) -> tuple[dict, list[str]]:
    launch.main(build_parser().parse_args(["--print-config", *absolute(argv)]))
    out = capsys.readouterr().out
    return yaml.safe_load(out), [line for line in out.splitlines() if line.startswith("#")]


def value(cfg: dict, key: str):
    for part in key.split("."):
        cfg = cfg[part]
    return cfg


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_print_config_holds_the_published_values(capsys, case):
    cfg, comments = print_config(capsys, case["argv"])
    for key, expected in case["expected"].items():
        got = value(cfg, key)
        assert got == pytest.approx(expected) if isinstance(expected, float) else got == expected, (key, got, expected)
    repo, path = case["source"].split(", ")[:2]
    assert any(repo in c and path in c for c in comments), comments  # the layer list names the source


def test_generic_switch_gives_the_method_settings(capsys):
    argv = ["--trainer", "MedPromptCLIP", "--config", "pmc_vit_l14", "--dataset-config-file",
            "configs/datasets/FFA.yaml", "DATASET.NUM_SHOTS", "-1"]
    published, _ = print_config(capsys, argv)
    generic, comments = print_config(capsys, [*argv[:-2], "--generic", *argv[-2:]])
    also_generic, _ = print_config(capsys, [*argv, "PUBLISHED_SETTINGS", "False"])
    assert published["OPTIM"]["MAX_EPOCH"] == 64 and generic["OPTIM"]["MAX_EPOCH"] == 30
    assert also_generic["OPTIM"] == generic["OPTIM"]
    assert not any("configs/published" in c for c in comments)


def test_the_layer_list_says_what_the_publisher_code_did_with_a_value(capsys):
    _, comments = print_config(capsys, ["--trainer", "MedPromptCLIP", "--config", "pmc_vit_l14", "--dataset-config-file",
                                        "configs/datasets/ODIR.yaml", "DATASET.NUM_SHOTS", "-1"])
    assert any("note" in c and "ignores it when N_CTX > 5" in c for c in comments)
    assert any("note" in c and "unweighted mean L1" in c for c in comments)


def test_a_file_published_for_another_backbone_is_skipped_and_said(capsys):
    cfg, comments = print_config(capsys, ["--trainer", "MedPromptCLIP", "--config", "vit_b16", "--dataset-config-file",
                                          "configs/datasets/FFA.yaml", "DATASET.NUM_SHOTS", "-1"])
    assert cfg["OPTIM"]["MAX_EPOCH"] == 30
    assert any("note" in c and "pmc_vit_l14" in c and "not applied" in c for c in comments)


def test_protocols_are_read_from_the_run():
    assert run_protocol(4, "all") == "fewshot" and run_protocol(16, "base") == "base2new"
    assert run_protocol(-1, "all") == "zeroshot" and run_protocol(-1, "all", "crossmodal") == "crossmodal"


def test_dataset_files_win_over_shot_files():
    key = RunKey("CoOp", "BTMRI", "fewshot", "vit_b16", 1)
    layers, _ = published_layers(key)
    assert [layer.path.parent.name for layer in layers][-1] == "fewshot"  # the BiomedCoOp dataset file is last
    assert "shots_1" in str(layers[0].path)


def test_every_published_file_names_its_source_and_merges(capsys):
    files = sorted((CONFIGS / "published").rglob("*.yaml"))
    assert len(files) > 150
    cfg = launch.build_cfg(build_parser().parse_args([]), [])
    from medprompt.run.config_layers import merge_layer
    for path in files:
        head = read_header(path)
        assert all("commit " in s and len(s.split("commit ")[1]) == 40 for s in head.sources), path
        merge_layer(cfg.clone(), path)  # every key exists here


def test_docs_list_every_published_layer_as_generated():
    from medprompt.run.published_docs import DOC, update

    assert DOC.read_text(encoding="utf-8") == update(), "run: python -m medprompt.run.published_docs"
    text = DOC.read_text(encoding="utf-8")
    for method in ("MedPromptCLIP", "MedPromptCLIP_FewShot", "BiomedCoOp", "KgCoOp", "ProGrad", "CoOp", "CoCoOp",
                   "MaPLe", "ViP"):
        assert f"### {method}," in text


NAMED = json.loads((REPO / "tests" / "published_fixture_named.json").read_text())["cases"]


@pytest.mark.parametrize("case", NAMED, ids=[f"{c['method']}/{c['name']}" for c in NAMED])
def test_each_publisher_config_name_resolves_to_its_values(capsys, case):
    argv = ["--trainer", case["method"], "--config", case["name"], "--dataset-config-file", "configs/datasets/FFA.yaml",
            "DATASET.NUM_SHOTS", "16"]
    if not (CONFIGS / "backbones" / f"{case['backbone']}.yaml").is_file():
        with pytest.raises(Exception, match=f"published for backbone {case['backbone']}, which has no layer"):
            print_config(capsys, argv)
        return
    cfg, comments = print_config(capsys, argv)
    for key, expected in case["expected"].items():
        assert value(cfg, key) == pytest.approx(expected), key
    from medprompt.run.config_layers import config_names

    if case["name"] in config_names(case["method"]):  # the project's layers of that name already hold the values
        return
    assert any(case["source"].split(", ")[1] in c for c in comments)


def _run_of(path):
    """A train.py command line for which `path` is the last published layer, and the layer's values."""
    from medprompt.run.config_layers import backbone_layer

    rel = path.relative_to(CONFIGS / "published").parts
    head = read_header(path)
    backbone = next((b for b in head.backbones if backbone_layer(b)), None)
    if backbone is None:
        return None, None
    method, protocol = rel[0], rel[1]
    if protocol == "named":
        from medprompt.run.config_layers import config_names

        if path.stem in config_names(method):
            return None, None  # the project's name of the same spelling wins
        argv = ["--trainer", method, "--config", path.stem, "--dataset-config-file", "configs/datasets/FFA.yaml",
                "DATASET.NUM_SHOTS", "16"]
    else:
        shots = int(rel[2].split("_")[1]) if len(rel) == 4 else {"fewshot": 16, "base2new": 16}.get(protocol, -1)
        siblings = {p.stem for p in path.parent.glob("*.yaml")} | {p.stem for p in path.parent.parent.glob("*.yaml")}
        dataset = path.stem if path.stem != "_all" else next(
            d.stem for d in sorted((CONFIGS / "datasets").glob("*.yaml")) if d.stem not in siblings)
        variant = "crossmodal_" if protocol == "crossmodal" else ""
        argv = ["--trainer", method, "--config", f"{variant}{backbone}", "--dataset-config-file",
                f"configs/datasets/{dataset}.yaml", "DATASET.NUM_SHOTS", str(shots)]
        if protocol == "base2new":
            argv += ["DATASET.SUBSAMPLE_CLASSES", "base"]
    values = yaml.safe_load(path.read_text())
    values.pop("_PUBLISHED_")
    return argv, values


def test_every_published_value_reaches_the_config_of_a_run_it_is_for():
    """For each published layer, a run it is the last published layer of holds every one of its values."""
    from test_configs import flat

    checked = 0
    for path in sorted((CONFIGS / "published").rglob("*.yaml")):
        argv, values = _run_of(path)
        if argv is None:
            continue  # its backbone (rn50, rn101, vit_b32) has no layer here, or a project name shadows it
        args = build_parser().parse_args(absolute(argv))
        layers, _ = launch.run_layers(args)
        assert layers[-1].path == path, (path, [str(la.path) for la in layers])
        cfg = flat(yaml.safe_load(launch.build_cfg(args, layers).dump()))
        for key, expected in flat(values).items():
            got = cfg[key]
            expected = float(expected) if isinstance(expected, str) and "e-" in expected else expected
            assert got == pytest.approx(expected) if isinstance(got, float) else got == expected, (path, key)
            checked += 1
    assert checked > 2000
