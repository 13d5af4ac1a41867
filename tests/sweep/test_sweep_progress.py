"""A sweep's progress lines: one per running run (method, dataset, shots, seed, epoch, its own eta) and an
overall eta that counts the runs still to train, not a rate learnt from fast zero-shot runs."""

import io
import json
from pathlib import Path


from medprompt.sweep.progress import clock, eta_seconds, follow, overall_eta, run_label  # noqa: E402
from medprompt.sweep.task import DONE, QUEUED, RUNNING, Task  # noqa: E402

ZS = ("ZeroshotCLIP", "vit_b16", "fewshot")
COOP = ("CoOp", "vit_b16", "fewshot")


def test_dassl_eta_is_read():
    assert eta_seconds("0:01:20") == 80 and eta_seconds("1 day, 2:00:00") == 26 * 3600
    assert eta_seconds("soon") is None and clock(3725) == "1:02:05"


def test_queued_training_runs_are_estimated_from_their_own_kind():
    """Two zero-shot runs took 5 s each; one CoOp run has 500 s to go; one CoOp run is queued: the queued
    run counts as the running one's length (elapsed + eta), not as a zero-shot run."""
    left, unknown = overall_eta([(COOP, 100.0, 500.0)], [COOP], {ZS: [5.0, 5.0]}, jobs=1)
    assert unknown == 0 and left == 500 + 600


def test_runs_of_a_kind_never_seen_are_counted_as_unknown():
    left, unknown = overall_eta([], [COOP, COOP], {ZS: [5.0]}, jobs=2)
    assert (left, unknown) == (0.0, 2)


def test_finished_runs_of_the_kind_win_and_jobs_share_the_work():
    left, _ = overall_eta([(COOP, 10.0, None)], [COOP, COOP], {COOP: [300.0]}, jobs=2)
    assert left == (290 + 300 + 300) / 2


def write_task(tmp_path: Path, trainer: str, seed: int, log: str, marker: dict | None) -> Task:
    folder = tmp_path / "out" / "fewshot" / "BTMRI" / "shots_16" / trainer / "vit_b16" / f"seed{seed}"
    name = f"{trainer}{seed}"
    task = Task(folder=str(folder), command=[], log=str(tmp_path / f"{name}.log"), marker=str(tmp_path / f"{name}.json"))
    Path(task.log).write_text(log)
    if marker is not None:
        Path(task.marker).write_text(json.dumps(marker))
    return task


def test_follow_prints_a_line_per_running_run_and_the_overall_eta(tmp_path):
    import time

    zs = write_task(tmp_path, "ZeroshotCLIP", 1, "Zero-shot method\n", {"state": DONE, "seconds": 4.0})
    coop = write_task(tmp_path, "CoOp", 1, "epoch [3/50] batch [2/2] time 0.1 loss 1.0 eta 0:02:00\n",
                      {"state": RUNNING, "time": time.time() - 30})
    queued = write_task(tmp_path, "CoOp", 2, "", None)
    rounds = iter([{zs.folder: (DONE, ""), coop.folder: (RUNNING, ""), queued.folder: (QUEUED, "")},
                   {zs.folder: (DONE, ""), coop.folder: (DONE, ""), queued.folder: (DONE, "")}])
    out = io.StringIO()
    follow([zs, coop, queued], lambda: next(rounds), lambda: False, tmp_path / "out", jobs=1, poll=0, out=out)
    text = out.getvalue()
    assert "CoOp/vit_b16  BTMRI 16 shots seed 1  fewshot: epoch 3/50, eta 0:02:00" in text
    assert "ZeroshotCLIP/vit_b16  BTMRI 16 shots seed 1  fewshot: done in 4 s" in text
    overall = next(line for line in text.splitlines() if "runs finished" in line)
    assert "1/3 runs finished, 1 running, 1 queued" in overall
    # the queued CoOp run is counted at the running one's length (30 s + 120 s), not at the zero-shot's 4 s
    assert "eta 0:04:3" in overall and "not yet timed" not in overall


def test_label_names_method_dataset_shots_seed_and_protocol(tmp_path):
    task = Task(folder=str(tmp_path / "base2new" / "train_base" / "FFA" / "shots_16" / "MaPLe" / "vit_b16" / "seed3"),
                command=[], log="", marker="")
    assert run_label(task, tmp_path) == "MaPLe/vit_b16  FFA 16 shots seed 3  base2new/train_base"
