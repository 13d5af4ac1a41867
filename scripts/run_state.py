"""Helper for the protocol scripts: is a run finished, and prepare an unfinished one to be redone.

    python scripts/run_state.py finished SEED_FOLDER   # exit 0: finished (skip it); 1: run it
    python scripts/run_state.py prepare SEED_FOLDER    # unfinished: keep only what it resumes from
    python scripts/run_state.py text-only TRAINER      # exit 0 when the trainer never reads images

"Finished" is decided by the results reader (medprompt/results), the same code that builds the tables:
a training run whose log has a result block after "Finish training", or an eval-only run with a result.
An unfinished run keeps its old logs (the reader ignores them once a newer log finishes) and the
checkpoints it resumes from (saved atomically every epoch); everything else (tensorboard files, a learner
folder whose latest checkpoint is missing) is removed.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from medprompt.cli import run_main  # noqa: E402
from medprompt.results.runs import clear_unfinished, run_finished  # noqa: E402


def text_only(trainer: str) -> bool:
    from dassl.engine import TRAINER_REGISTRY

    import trainers  # noqa: F401  (registers the project's trainers)

    registered = TRAINER_REGISTRY.registered_names()
    if trainer not in registered:
        sys.exit(f"Unknown trainer {trainer!r}; registered: {', '.join(sorted(registered))}")
    return bool(getattr(TRAINER_REGISTRY.get(trainer), "TEXT_ONLY", False))


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("finished", "prepare", "text-only"):
        sys.exit(__doc__)
    command, target = argv
    if command == "text-only":
        return 0 if text_only(target) else 1
    folder = Path(target)
    if command == "finished":
        done, reason = run_finished(folder)
        if not done and folder.is_dir():
            print(f"{folder}: unfinished ({reason}); running it again")
        return 0 if done else 1
    for path in clear_unfinished(folder):
        print(f"{folder}: removed {path.name} of the unfinished run")
    return 0


if __name__ == "__main__":
    run_main(lambda: main(sys.argv[1:]), "scripts/run_state.py")
