"""What a run reads from another run must be a finished run's, checked before any data is read.

A run folder is finished when its final checkpoint and its result are written: the results reader's
verdict (medprompt/results/runs.py run_finished: a log with its result, the last training finished, no
learner left at its per-epoch resume checkpoint). `--eval-only --model-dir` and
TRAINER.STACKING.INIT_FROM refuse anything else, naming why; a folder with checkpoints but no log (a
checkpoint copied from elsewhere) is judged by its checkpoints alone.

An evaluation of another run's model on other classes than it was trained on (base-to-new, another
dataset) is refused for the trainers that cannot score untrained classes (medprompt/run/config_checks.py),
whatever the class counts.
"""

from __future__ import annotations

from pathlib import Path

from medprompt.utils.errors import CheckpointError, InputFileError
from medprompt.results.output_tree import CHECKPOINT_POINTER, RESUME_CHECKPOINT
from medprompt.results.runs import checkpoint_problem, read_run, run_finished
from medprompt.run.config_checks import check_transfer
from medprompt.utils.path_checks import refuse_file


def unfinished_reason(folder: Path) -> str:
    """Why the run folder is not a finished run ('' when it is)."""
    run = read_run(folder)
    if not run.logs:
        return checkpoint_problem(folder, run)
    return run_finished(folder)[1]


def _not_finished(what: str, folder: Path, why: str) -> CheckpointError:
    return CheckpointError(f"{what} {folder} is not a finished run: {why}. Finish it first (train.py with the "
                           f"same settings and --output-dir {folder} resumes it), or give a finished run.")


def _folder(what: str, path: str | Path) -> Path:
    folder = Path(path)
    if not folder.exists():
        raise InputFileError(f"{what} {folder} does not exist: give the --output-dir of a finished training run")
    refuse_file(folder, what, "give the --output-dir of a finished training run", InputFileError)
    return folder


def classes_of(config: dict[str, str]) -> str:
    """'SynthDerm, base classes': the classes a run's (flattened, logged) config scores."""
    return f"{config.get('DATASET.NAME', '?')}, {config.get('DATASET.SUBSAMPLE_CLASSES', 'all')} classes"


def check_model_dir(model_dir: str | Path, cfg) -> None:
    """`--eval-only --model-dir`: a finished run, trained on these classes unless the trainer transfers."""
    folder = _folder("--model-dir", model_dir)
    why = unfinished_reason(folder)
    if why:
        raise _not_finished("--model-dir", folder, why)
    trained = [log for log in read_run(folder).logs if log.config]
    if trained:
        source = classes_of(trained[-1].config)
        here = classes_of({"DATASET.NAME": cfg.DATASET.NAME, "DATASET.SUBSAMPLE_CLASSES": cfg.DATASET.SUBSAMPLE_CLASSES})
        check_transfer(cfg.TRAINER.NAME, source, here)


def check_init_from(path: str | Path) -> None:
    """TRAINER.STACKING.INIT_FROM: a finished run's folder (or learner folder), or a kept checkpoint file."""
    what = "TRAINER.STACKING.INIT_FROM"
    target = Path(path)
    if target.is_file():
        if target.name == RESUME_CHECKPOINT:
            raise _not_finished(what, target.parent.parent, f"{target} is the per-epoch resume checkpoint")
        return
    if not target.is_dir():
        raise InputFileError(f"{what}: {target} is neither a checkpoint file nor a folder")
    run_folder = target.parent if (target / CHECKPOINT_POINTER).is_file() else target  # a learner folder
    why = unfinished_reason(run_folder)
    if why:
        raise _not_finished(what, run_folder, why)
