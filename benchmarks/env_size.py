"""Measure the size of the environment the README's install lines make: with PyTorch's default (CUDA)
wheels, and with PyTorch's CPU-only wheel in their place.

    python -m benchmarks.env_size [--cpu-wheel torch-X+cpu-....whl]

1. `pip install --dry-run --ignore-installed --report` resolves requirements.txt + requirements-dassl.txt
   (nothing is installed) into the list of distributions an install would bring.
2. Each of them that is installed here is measured on disk (the sizes of the files its RECORD lists), and
   so are the wheels an install would download where the resolver found them as local files.
3. The CUDA part (torch, triton and the nvidia-*/cuda-* packages that torch's default wheel pulls in) is
   set apart; with --cpu-wheel, that wheel is unpacked into a temporary folder (`pip install --no-deps
   --target`) and measured, as the torch an install from PyTorch's CPU index brings in their place.
Prints a table; the README's install section quotes it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from importlib import metadata
from pathlib import Path

from medprompt.utils.paths import REPO

CUDA_PART = ("torch", "triton")
CUDA_PREFIXES = ("nvidia-", "cuda-")


def resolve() -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                        "--report", str(report), "-r", str(REPO / "requirements.txt"),
                        "-r", str(REPO / "requirements-dassl.txt")], check=True, capture_output=True)
        return json.loads(report.read_text())["install"]


def installed_bytes(name: str) -> int | None:
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return None
    return sum(p.size or 0 for p in dist.files or [] if p.size)


def wheel_bytes(item: dict) -> int | None:
    url = item.get("download_info", {}).get("url", "")
    if url.startswith("file://"):
        path = Path(urllib.request.url2pathname(urllib.parse.urlparse(url).path))
        return path.stat().st_size if path.is_file() else None
    return None


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def is_cuda_part(name: str) -> bool:
    name = name.lower()
    return name in CUDA_PART or name.startswith(CUDA_PREFIXES)


def gb(n: float) -> str:
    return f"{n / 1e9:.2f} GB"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cpu-wheel", help="a torch CPU wheel to measure in place of the CUDA part")
    args = p.parse_args()
    items = resolve()
    sums = {"cuda": [0, 0], "rest": [0, 0]}
    missing = []
    for item in items:
        name = item["metadata"]["name"]
        size = installed_bytes(name)
        if size is None:
            missing.append(name)
            continue
        part = sums["cuda" if is_cuda_part(name) else "rest"]
        part[0] += size
        part[1] += wheel_bytes(item) or 0
    print(f"{len(items)} distributions resolved; not installed here, so not measured: {', '.join(missing) or 'none'}")
    print(f"installed, rest (everything but torch's CUDA part): {gb(sums['rest'][0])}")
    print(f"installed, torch + triton + nvidia/cuda packages:   {gb(sums['cuda'][0])}")
    print(f"environment with the default (CUDA) torch:          {gb(sums['rest'][0] + sums['cuda'][0])}")
    print(f"downloads found as local wheels: CUDA part {gb(sums['cuda'][1])}, rest {gb(sums['rest'][1])}")
    if args.cpu_wheel:
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", tmp,
                            args.cpu_wheel], check=True, capture_output=True)
            cpu = folder_bytes(Path(tmp))
        print(f"CPU wheel {Path(args.cpu_wheel).name}: {gb(Path(args.cpu_wheel).stat().st_size)} download, "
              f"{gb(cpu)} installed")
        print(f"environment with the CPU torch:                     {gb(sums['rest'][0] + cpu)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
