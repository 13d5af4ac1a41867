"""One owner per run folder (medprompt/utils/folder_lock.py), finished runs only as inputs
(medprompt/run/finished.py, medprompt/results/runs.py), protocols a trainer cannot do refused at start."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from medprompt.utils.errors import ConfigError, UserError
from medprompt.results.runs import clear_unfinished, run_finished
from medprompt.utils import folder_lock
from medprompt.run.finished import check_init_from, check_model_dir
from medprompt.utils.paths import REPO
from medprompt.sweep.task import DONE, FAILED, RUNNING, Task, _mark, task_state

FINISHED_LOG = ("** Arguments **\neval_only: False\n\n** Config **\nDATASET:\n  NAME: SynthDerm\n"
                "  SUBSAMPLE_CLASSES: base\nTRAINER:\n  NAME: {trainer}\n\nepoch [1/1] batch [1/1]\n"
                "Finish training\nEvaluate on the *test* set\n=> result\n* total: 8\n* accuracy: 50.00%\n")
KILLED_LOG = "** Arguments **\neval_only: False\n\nepoch [1/3] batch [1/1]\nepoch [2/3] batch [1/1]\n"
EVAL_LOG = "** Arguments **\neval_only: True\n\nEvaluate on the *test* set\n=> result\n* total: 8\n* accuracy: 9.00%\n"


def run_folder(root: Path, name: str, log: str, pointer: str = "model.pth.tar-1", trainer: str = "CoOp") -> Path:
    folder = root / name
    (folder / "prompt_learner").mkdir(parents=True)
    (folder / "log.txt").write_text(log.format(trainer=trainer))
    (folder / "prompt_learner" / "checkpoint").write_text(pointer + "\n")
    (folder / "prompt_learner" / pointer).write_bytes(b"PK\x03\x04")
    return folder


class FakeCfg(dict):
    """The few config keys the model-dir check reads."""

    def __getattr__(self, name):
        return self[name]


def cfg_of(trainer: str, dataset: str = "SynthDerm", classes: str = "new") -> FakeCfg:
    return FakeCfg(TRAINER=FakeCfg(NAME=trainer), DATASET=FakeCfg(NAME=dataset, SUBSAMPLE_CLASSES=classes))


# -- one owner per folder --------------------------------------------------------------------------------

HOLDER = ("import sys, time; from medprompt.utils import folder_lock; "
          "folder_lock.acquire(sys.argv[1], 'a test holder'); print('held', flush=True); time.sleep(60)")


def start_holder(folder: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(folder)], cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_held_folder_is_refused_naming_its_holder_and_freed_when_the_holder_is_killed(tmp_path):
    folder = tmp_path / "run"
    holder = start_holder(folder)
    try:
        with pytest.raises(folder_lock.RunFolderBusy, match=f"a test holder \\(pid {holder.pid} "):
            folder_lock.acquire(folder, "train.py")
        with pytest.raises(folder_lock.RunFolderBusy):
            with folder_lock.hold_for_run(folder):  # what train.py does
                pass
    finally:
        os.kill(holder.pid, signal.SIGKILL)  # not reaped yet: its pid still answers os.kill(pid, 0)
    for _ in range(100):
        if not folder_lock.is_held(folder):
            break
        time.sleep(0.05)
    with folder_lock.holding(folder, "a re-run") as lock:  # the killed owner blocks nothing
        assert folder_lock.owner(folder)["token"] == lock.token
    holder.wait()


def test_train_py_under_its_drivers_lock_runs_without_taking_it(tmp_path, monkeypatch):
    with folder_lock.holding(tmp_path / "run", "sweep") as lock:
        monkeypatch.setenv(folder_lock.TOKEN_ENV, lock.token)
        with folder_lock.hold_for_run(tmp_path / "run") as own:
            assert own is None
        monkeypatch.setenv(folder_lock.TOKEN_ENV, "another sweep's token")
        with pytest.raises(folder_lock.RunFolderBusy):
            with folder_lock.hold_for_run(tmp_path / "run"):
                pass


def test_clearing_a_folder_keeps_its_lock_file(tmp_path):
    folder = tmp_path / "run"
    with folder_lock.holding(folder, "sweep"):
        (folder / "log.txt").write_text(KILLED_LOG)
        (folder / "tensorboard").mkdir()
        clear_unfinished(folder)
        assert (folder / folder_lock.LOCK_NAME).is_file() and folder_lock.is_held(folder)


def test_a_file_where_the_run_folder_should_be_is_one_message(tmp_path):
    (tmp_path / "out").write_text("x")
    with pytest.raises(ConfigError, match="is a file, not a folder"):
        folder_lock.acquire(tmp_path / "out", "train.py")


def test_status_reports_a_killed_driver_as_not_running(tmp_path):
    """The marker says running and the driver's pid still answers (killed, not reaped): the free lock says
    the run is not going."""
    folder = tmp_path / "run"
    task = Task(folder=str(folder), command=["true"], log=str(tmp_path / "run.log"), marker=str(tmp_path / "m.json"))
    holder = start_holder(folder)
    _mark(task, RUNNING)
    marker = json.loads(Path(task.marker).read_text())
    marker["pid"] = holder.pid
    Path(task.marker).write_text(json.dumps(marker))
    assert task_state(task) == (RUNNING, "")
    os.kill(holder.pid, signal.SIGKILL)
    for _ in range(100):
        if task_state(task)[0] != RUNNING:
            break
        time.sleep(0.05)
    os.kill(holder.pid, 0)  # a zombie: the pid answers, the run is over
    assert task_state(task)[0] == FAILED and "killed" in task_state(task)[1]
    holder.wait()


RUN = ("import pathlib, sys, time; f = pathlib.Path(sys.argv[1]); "
       "open(sys.argv[2], 'a').write(f.name + '\\n'); time.sleep(0.4); f.mkdir(exist_ok=True); "
       f"(f / 'log.txt').write_text({FINISHED_LOG.format(trainer='CoOp')!r})")
SWEEP = """
import json, sys
from medprompt.sweep.executors import LocalExecutor
from medprompt.sweep.task import Task, read_marker
tasks = [Task(**t) for t in json.load(open(sys.argv[1]))]
executor = LocalExecutor(jobs=2, gpus=[], warm=False)
executor.start(tasks)
for thread in executor._threads:
    thread.join(120)
print(json.dumps([read_marker(t)["state"] for t in tasks]))
"""


def test_two_sweeps_on_one_tree_run_every_run_once(tmp_path):
    counter = tmp_path / "started.txt"
    tasks = [Task(folder=str(tmp_path / "out" / f"seed{i}"), command=[sys.executable, "-c", RUN, "", str(counter)],
                  log=str(tmp_path / "out" / ".sweep" / f"seed{i}.log"),
                  marker=str(tmp_path / "out" / ".sweep" / f"seed{i}.json")) for i in range(4)]
    tasks = [Task(**{**t.__dict__, "command": [*t.command[:3], t.folder, str(counter)]}) for t in tasks]
    plan = tmp_path / "tasks.json"
    plan.write_text(json.dumps([t.__dict__ for t in tasks]))
    sweeps = [subprocess.Popen([sys.executable, "-c", SWEEP, str(plan)], cwd=REPO, stdout=subprocess.PIPE, text=True)
              for _ in range(2)]
    outputs = [s.communicate(timeout=120)[0] for s in sweeps]
    assert [s.returncode for s in sweeps] == [0, 0]
    for out in outputs:
        assert json.loads(out.splitlines()[-1]) == [DONE] * 4, out
    assert sorted(counter.read_text().split()) == [f"seed{i}" for i in range(4)]  # each run started once
    for task in tasks:
        assert run_finished(task.folder)[0]


# -- finished runs only ----------------------------------------------------------------------------------

def test_a_run_stopped_at_its_resume_checkpoint_is_unfinished_even_after_an_evaluation(tmp_path):
    killed = run_folder(tmp_path, "killed", KILLED_LOG, pointer="resume.pth.tar")
    assert run_finished(killed) == (False, "training did not finish (log.txt)")
    (killed / "log.txt-2030-01-01-00-00-00").write_text(EVAL_LOG)  # an eval-only run of the killed model
    finished, why = run_finished(killed)
    assert not finished and "stopped before 'Finish training'" in why
    no_log = run_folder(tmp_path, "copied", "", pointer="resume.pth.tar")
    (no_log / "log.txt").write_text(EVAL_LOG)
    assert "resume.pth.tar" in run_finished(no_log)[1]
    assert run_finished(run_folder(tmp_path, "done", FINISHED_LOG)) == (True, "")


def test_model_dir_and_init_from_refuse_unfinished_runs(tmp_path):
    killed = run_folder(tmp_path, "killed", KILLED_LOG, pointer="resume.pth.tar")
    with pytest.raises(UserError, match="--model-dir .*killed is not a finished run: training did not finish"):
        check_model_dir(killed, cfg_of("CoOp"))
    with pytest.raises(UserError, match="INIT_FROM .*killed is not a finished run"):
        check_init_from(killed)
    with pytest.raises(UserError, match="INIT_FROM .*is the per-epoch resume checkpoint"):
        check_init_from(killed / "prompt_learner" / "resume.pth.tar")
    with pytest.raises(UserError, match="is a file, not a folder"):
        check_model_dir(killed / "log.txt", cfg_of("CoOp"))
    done = run_folder(tmp_path, "done", FINISHED_LOG)
    check_model_dir(done, cfg_of("CoOp"))
    check_init_from(done)
    check_init_from(done / "prompt_learner")


@pytest.mark.parametrize("trainer", ["TipAdapter", "TipAdapterF", "TextLinearProbe", "LinearProbe", "ViP"])
def test_heads_bound_to_their_training_classes_refuse_other_classes_whatever_the_counts(tmp_path, trainer):
    base = run_folder(tmp_path, "base", FINISHED_LOG, trainer=trainer)
    with pytest.raises(ConfigError, match=f"{trainer} cannot evaluate a model trained on SynthDerm, base classes "
                                          "on SynthDerm, new classes"):
        check_model_dir(base, cfg_of(trainer, classes="new"))
    with pytest.raises(ConfigError, match="SynthFundus, all classes"):
        check_model_dir(base, cfg_of(trainer, dataset="SynthFundus", classes="all"))
    check_model_dir(base, cfg_of(trainer, classes="base"))  # its own classes again
    check_model_dir(base, cfg_of("CoOp", classes="new"))  # prompts transfer


def test_the_sweep_refuses_base_to_new_for_class_bound_heads():
    from medprompt.sweep.grid import Grid, GridError

    with pytest.raises(GridError, match="TipAdapter does not support the base2new protocol"):
        Grid("base2new", ("TipAdapter",), ("vit_b16",), ("BTMRI",)).check()


def test_the_demo_writes_a_world_holding_its_folder(tmp_path, monkeypatch):
    """A second demo on the same data waits while the first writes a world, then finds it written."""
    import demo

    seen = []

    def write_world(root, settings):
        seen.append(folder_lock.is_held(root))
        raise KeyboardInterrupt  # stop the demo here

    monkeypatch.setattr(demo, "write_world", write_world)
    with pytest.raises(KeyboardInterrupt):
        demo.main(["--quick", "--data", str(tmp_path / "data"), "--output", str(tmp_path / "out")])
    assert seen == [True] and not folder_lock.is_held(tmp_path / "data" / "world0")
