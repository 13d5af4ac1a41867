"""The demo's first line comes before anything slow: what it is about to do and how long it took the last
time it ran on this machine (medprompt/demo/last_time.py)."""

import json
import subprocess
import sys
from medprompt.utils.paths import REPO


from medprompt.demo.last_time import DOCUMENTED, RECORD, last_time, record  # noqa: E402


def test_without_a_record_it_quotes_the_documented_time(tmp_path):
    assert last_time(tmp_path) == f"no earlier demo in this output folder; {DOCUMENTED}"
    assert "271 s" in (REPO / "docs" / "DEMO.md").read_text() and "271 s" in DOCUMENTED


def test_a_record_of_this_machine_is_read_back(tmp_path):
    record(tmp_path, 123.4, runs=30, worlds=1, quick=False)
    text = last_time(tmp_path)
    assert text.startswith("last time on this machine: 123 s (30 runs to run, 1 world, ")
    data = json.loads((tmp_path / RECORD).read_text())
    data["machine"] = "elsewhere (64 CPUs)"
    (tmp_path / RECORD).write_text(json.dumps(data))
    assert last_time(tmp_path).startswith("last time on elsewhere (64 CPUs): 123 s")


def test_first_line_is_printed_before_the_slow_part(tmp_path):
    """The world cannot be written (its folder is under a file), so the demo stops at its first slow step;
    the first line is out by then, and nothing heavy (torch, Dassl, open_clip) was imported for it."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    record(tmp_path / "out", 271.0, runs=30, worlds=1, quick=True)
    probe = ("import runpy, sys\n"
             f"sys.argv = ['demo.py', '--quick', '--data', {str(blocker / 'data')!r}, '--output', "
             f"{str(tmp_path / 'out')!r}]\n"
             "try:\n    runpy.run_path('demo.py', run_name='__main__')\nexcept BaseException:\n    pass\n"
             "print('HEAVY', [m for m in ('torch', 'dassl', 'open_clip') if m in sys.modules], file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=120)
    first = result.stdout.splitlines()[0]
    assert first.startswith("Demo (quick): world seed 0 in ") and "6 methods trained on SynthDerm" in first
    assert "last time on this machine: 271 s (30 runs to run, 1 world" in first
    assert "HEAVY []" in result.stderr
