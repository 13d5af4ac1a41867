"""How long the demo took the last time it ran on this machine, so that its first line can say so.

The demo writes <output>/.sweep/demo-time.json at its end (atomically); its first line, printed before
any heavy import, reads it. Without a record it quotes the time docs/DEMO.md measured.
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

from medprompt.utils.atomic import write_json

RECORD = Path(".sweep") / "demo-time.json"
#: docs/DEMO.md, "Results": `python demo.py` (world seed 0) from empty folders on the 2-core development CPU
DOCUMENTED = "docs/DEMO.md measured 271 s for one world on a 2-core CPU"


def this_machine() -> str:
    return f"{platform.node()} ({os.cpu_count()} CPUs)"


def record(output: Path, seconds: float, runs: int, worlds: int, quick: bool) -> Path:
    """Write how long this demo took (its runs, from the start to the tables)."""
    return write_json(Path(output) / RECORD, {"seconds": round(seconds, 1), "runs": runs, "worlds": worlds,
                                              "quick": quick, "machine": this_machine(),
                                              "when": time.strftime("%Y-%m-%d %H:%M")})


def last_time(output: Path) -> str:
    """'last time on this machine: 271 s (30 runs, 1 world, 2026-12-05 10:40)', else what the docs measured."""
    try:
        data = json.loads((Path(output) / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return f"no earlier demo in this output folder; {DOCUMENTED}"
    where = "this machine" if data.get("machine") == this_machine() else f"{data.get('machine', 'another machine')}"
    worlds = data.get("worlds", 1)
    return (f"last time on {where}: {data.get('seconds', 0):.0f} s ({data.get('runs', 0)} runs to run, {worlds} "
            f"world{'s' if worlds != 1 else ''}, {data.get('when', '?')})")
