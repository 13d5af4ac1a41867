"""Help texts, exit statuses and docs say what the code does: sweep.py on unfinished runs, the exit status
of generate_descriptions.py without an API key, help examples without joined continuation lines, the
keys each config layer sets, and `explain_vip.py --help` answered without importing torch."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from medprompt.utils.paths import REPO

ENTRY_POINTS = ["train.py", "sweep.py", "demo.py", "parse_results.py", "generate_descriptions.py", "explain_vip.py"]


def run(*argv: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *argv], cwd=REPO, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})})


@pytest.mark.parametrize("script", ENTRY_POINTS)
def test_help_examples_keep_their_line_breaks(script):
    """A backslash-newline in a docstring joins the lines; the help must show the continuation as written."""
    result = run(script, "--help")
    assert result.returncode == 0, result.stderr
    for line in result.stdout.splitlines():
        if line.lstrip().startswith("python "):
            # a run of spaces inside a command (not the alignment before a # comment) is a joined continuation
            assert not re.search(r"\S {3,}[^#\s]", line.strip()), f"joined continuation lines in {script}: {line!r}"


def test_explain_vip_help_imports_no_torch():
    probe = ("import runpy, sys; sys.argv = ['explain_vip.py', '--help']\n"
             "try:\n    runpy.run_path('explain_vip.py', run_name='__main__')\nexcept SystemExit:\n    pass\n"
             "print('HEAVY', [m for m in ('torch', 'dassl', 'open_clip') if m in sys.modules], file=sys.stderr)")
    result = run("-c", probe)
    assert "HEAVY []" in result.stderr and "--model-dir" in result.stdout


def test_sweep_help_and_protocols_doc_say_unfinished_runs_resume():
    from medprompt.sweep import cli

    text = run("sweep.py", "--help").stdout
    assert "resume" in text and "cleared and run again" not in text
    doc = (REPO / "docs" / "PROTOCOLS.md").read_text()
    assert "unfinished ones resume" in doc and "unfinished ones redone" not in doc
    # and the code does so: an unfinished run is not planned as a redo (which would empty its folder)
    assert "redo=args.redo or finished" in Path(cli.__file__).read_text()


def test_generate_descriptions_without_api_key_exits_2_as_documented(tmp_path):
    env = {k: "" for k in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "AZURE_OPENAI_API_KEY")}
    result = run("generate_descriptions.py", "--dataset", "FFA", "--model", "m", "--output-dir", str(tmp_path), env=env)
    assert result.returncode == 2 and "no API key" in result.stderr
    assert "2 for a mistake in the command (no API key" in (REPO / "docs" / "DESCRIPTIONS.md").read_text()


def test_config_layers_command_lists_the_keys_each_layer_sets():
    result = run("-m", "medprompt.run.config_layers", "CoOp", "synth")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    backbone, method, overlay = (text.index(f"{role} ") for role in ("backbone", "method", "overlay"))
    assert backbone < text.index("MODEL.BACKBONE.NAME: 'synth-clip'") < method
    assert method < text.index("OPTIM.NAME: 'sgd'  (from _coop_sgd.yaml)") < overlay
    assert "OPTIM.MAX_EPOCH: 200  (replaced by overlay synth.yaml)" in text
    assert overlay < text.index("OPTIM.MAX_EPOCH: 50")
