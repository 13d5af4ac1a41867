"""The sweep driver: protocol grids and the output layout, --dry-run, skip/redo, run bookkeeping, a local
`--jobs 2` sweep through train.py (one image-cache computation per dataset), a failed run reported with
its log and retried alone, and the same grid on a real single-node SLURM through submitit."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tiny_data
from baseline_runs import FAST
from e2e import TINY_OPTS

from medprompt.results import build_tables, read_tree
from medprompt.results.output_tree import RunKey, place, run_dir
from medprompt.sweep import cli
from medprompt.sweep.executors import slot_env
from medprompt.sweep.grid import CROSSMODAL_TARGETS, Grid, GridError, expand
from medprompt.sweep.task import DONE, FAILED, Task, read_marker, run_task, task_state
from medprompt.utils.entrypoint import run_main
from medprompt.utils.paths import REPO
from medprompt.utils.timing import parse_summary

FINISHED_LOG = "** Arguments **\neval_only: False\n\nepoch [1/1] batch [1/1]\nFinish training\n" \
               "Evaluate on the *test* set\n=> result\n* total: 8\n* accuracy: 50.00%\n"
UNFINISHED_LOG = "** Arguments **\neval_only: False\n\nepoch [1/1] batch [1/1]\n"


def write_log(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "log.txt").write_text(text)
    return folder


# -- grid and layout ------------------------------------------------------------------------------------
def test_layout_round_trip_and_config_names(tmp_path):
    key = RunKey("base2new/train_base", "BTMRI", 16, "CoOp", "vit_b16", 3)
    folder = run_dir(tmp_path, key)
    assert folder == tmp_path / "base2new/train_base/BTMRI/shots_16/CoOp/vit_b16/seed3"
    assert place(tmp_path, folder) == key
    assert place(tmp_path, tmp_path / "BTMRI" / "seed1") is None


def test_fewshot_grid_stacks_once_and_orders_runs(tmp_path):
    grid = Grid("fewshot", ("MedPromptCLIP_CoOp", "MedPromptCLIP_MaPLe", "MedPromptCLIP"), ("vit_b16",),
                ("BTMRI",), shots=(1, 4), seeds=(1, 2), opts=("OPTIM.MAX_EPOCH", "1"))
    specs = expand(grid, tmp_path)
    # 3 trainers x 2 shots x 2 seeds; the MedPromptCLIP runs both stacked methods start from appear once
    assert len(specs) == 12 and len({s.folder for s in specs}) == 12
    seen = set()
    for spec in specs:
        assert set(spec.after) <= seen, "a run comes after the runs it reads"
        seen.add(spec.folder)
        assert spec.folder == run_dir(tmp_path, spec.key)
    stacked = [s for s in specs if s.key.trainer == "MedPromptCLIP_MaPLe" and s.key.shots == 4 and s.key.seed == 2]
    [spec] = stacked
    source = run_dir(tmp_path, RunKey("fewshot", "BTMRI", 4, "MedPromptCLIP", "vit_b16", 2))
    assert spec.after == (source,)
    assert spec.opts == ("OPTIM.MAX_EPOCH", "1", "DATASET.NUM_SHOTS", "4", "TRAINER.STACKING.INIT_FROM", str(source))
    command = spec.command("/data", "py")
    assert command[:2] == ["py", str(REPO / "train.py")]
    assert command[command.index("--config") + 1] == "vit_b16"
    assert command[command.index("--trainer") + 1] == "MedPromptCLIP_MaPLe"


def test_base2new_crossmodal_and_zeroshot_grids(tmp_path):
    b2n = expand(Grid("base2new", ("CoOp",), ("vit_b16",), ("BTMRI",), seeds=(1,)), tmp_path)
    assert [s.key.protocol for s in b2n] == ["base2new/train_base", "base2new/test_new"]
    assert {s.key.shots for s in b2n} == {16}
    assert b2n[1].flags == ("--eval-only", "--model-dir", str(b2n[0].folder)) and b2n[1].after == (b2n[0].folder,)
    assert b2n[1].opts[-2:] == ("DATASET.SUBSAMPLE_CLASSES", "new")

    cm = expand(Grid("crossmodal", ("MedPromptCLIP",), ("crossmodal_pmc_vit_l14",), ("FFA",), seeds=(1,)), tmp_path)
    assert [s.key.dataset for s in cm] == ["FFA", *(t for t in CROSSMODAL_TARGETS if t != "FFA")]
    assert cm[0].opts == ("DATASET.NUM_SHOTS", "-1") and not cm[0].flags
    assert all(s.after == (cm[0].folder,) and s.key.shots == 0 for s in cm[1:])

    zs = expand(Grid("zeroshot", ("ZeroshotCLIP",), ("vit_b16",), ("BTMRI", "FFA"), seeds=(1, 2)), tmp_path)
    assert len(zs) == 4 and all(s.key.shots == 0 and s.opts == ("DATASET.NUM_SHOTS", "-1") for s in zs)


def test_a_grid_runs_each_method_with_the_configs_it_has(tmp_path, capsys):
    """A variant is one method's setting, so one sweep covers several methods' settings; the pairs left
    out are named, and a config that no method has is still an error."""
    grid = Grid("zeroshot", ("ZeroshotCLIP", "MedPromptCLIP"), ("vit_b16", "ensemble_vit_b16", "contrastive_vit_b16"),
                ("FFA",), seeds=(1,))
    grid.check()
    assert grid.pairs() == [("ZeroshotCLIP", "vit_b16"), ("ZeroshotCLIP", "ensemble_vit_b16"),
                            ("MedPromptCLIP", "vit_b16"), ("MedPromptCLIP", "contrastive_vit_b16")]
    assert [(s.key.trainer, s.key.config_name) for s in expand(grid, tmp_path)] == grid.pairs()
    code, out, _ = sweep(capsys, "zeroshot", "--methods", "ZeroshotCLIP", "MedPromptCLIP", "--configs", "vit_b16",
                         "ensemble_vit_b16", "--datasets", "FFA", "--seeds", "1", "--data", tmp_path,
                         "--output", tmp_path / "out", "--dry-run")
    assert code == 0 and "Not in this sweep: MedPromptCLIP with ensemble_vit_b16" in out
    assert out.count("Would run:") == 3
    with pytest.raises(GridError, match="Unknown config 'ensembel_vit_b16' for ZeroshotCLIP"):
        Grid("zeroshot", ("ZeroshotCLIP", "MedPromptCLIP"), ("vit_b16", "ensembel_vit_b16"), ("FFA",)).check()
    with pytest.raises(GridError, match="Unknown config 'contrastive_vit_b16' for ZeroshotDescriptions"):
        Grid("zeroshot", ("ZeroshotDescriptions", "MedPromptCLIP"), ("contrastive_vit_b16",), ("FFA",)).check()


def test_grid_errors_name_the_missing_files():
    with pytest.raises(GridError, match=r"(?s)Unknown config 'nope' for CoOp.*configs/datasets/NoSuchSet.yaml"):
        Grid("fewshot", ("CoOp",), ("nope",), ("NoSuchSet",)).check()
    # the stacked method and the method it starts from are both checked
    with pytest.raises(GridError, match=r"(?s)Unknown config 'x_biomedclip' for MedPromptCLIP\b.*accepts"):
        Grid("fewshot", ("MedPromptCLIP_CoOp",), ("x_biomedclip",), ("BTMRI",)).check()
    with pytest.raises(GridError, match="Unknown protocol"):
        Grid("fivesshot", ("CoOp",), ("vit_b16",), ("BTMRI",))


# -- dry run, skip and redo -----------------------------------------------------------------------------
def sweep(capsys, *argv) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of `sweep.py ARGV`, run as the entry point runs it."""
    with pytest.raises(SystemExit) as stop:
        run_main(lambda: cli.main(list(map(str, argv))), "sweep.py")
    out = capsys.readouterr()
    return stop.value.code, out.out, out.err


def test_dry_run_skips_finished_lists_unfinished_and_redo_forces(tmp_path, capsys):
    out = tmp_path / "out"
    grid = ["fewshot", "--methods", "CoOp", "--configs", "vit_b16", "--datasets", "BTMRI", "--shots", "1",
            "--seeds", "1", "2", "3", "--data", tmp_path, "--output", out, "--dry-run"]
    base = out / "fewshot/BTMRI/shots_1/CoOp/vit_b16"
    write_log(base / "seed1", FINISHED_LOG)
    write_log(base / "seed2", UNFINISHED_LOG)
    code, text, _ = sweep(capsys, *grid, "--", "OPTIM.MAX_EPOCH", "1")
    assert code == 0
    assert f"Skipping {base / 'seed1'}: finished" in text
    assert f"{base / 'seed2'}: unfinished" in text
    runs = [line for line in text.splitlines() if line.startswith("Would run:")]
    assert [f"--output-dir {base / s}" in r for r, s in zip(runs, ("seed2", "seed3"))] == [True, True]
    assert all(r.endswith("OPTIM.MAX_EPOCH 1 DATASET.NUM_SHOTS 1") for r in runs)

    code, text, _ = sweep(capsys, *grid, "--redo")
    assert code == 0 and "Skipping" not in text and text.count("Would run:") == 3
    assert not (out / ".sweep").exists(), "a dry run writes nothing"


def test_a_run_reading_a_rerun_is_rerun_too(tmp_path, capsys):
    out = tmp_path / "out"
    write_log(out / "base2new/test_new/BTMRI/shots_16/CoOp/vit_b16/seed1", FINISHED_LOG)  # from an older model
    code, text, _ = sweep(capsys, "base2new", "--methods", "CoOp", "--configs", "vit_b16", "--datasets", "BTMRI",
                          "--seeds", "1", "--data", tmp_path, "--output", out, "--dry-run")
    assert code == 0 and text.count("Would run:") == 2 and "Skipping" not in text


def test_clear_errors(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DATA", raising=False)
    args = ["fewshot", "--methods", "CoOp", "--configs", "vit_b16", "--datasets", "BTMRI"]
    assert sweep(capsys, *args)[0] == 2
    code, _, err = sweep(capsys, *args, "--data", tmp_path, "--no-wait")
    assert code == 2 and "--no-wait needs --executor slurm" in err
    code, _, err = sweep(capsys, *args, "--data", tmp_path, "--", "OPTIM.MAX_EPOCH")
    assert code == 2 and "KEY VALUE" in err


# -- one task -------------------------------------------------------------------------------------------
def fake_task(tmp_path: Path, name: str, script: str, after=()) -> Task:
    folder = tmp_path / name
    return Task(folder=str(folder), command=[sys.executable, "-c", script], log=str(tmp_path / f"{name}.log"),
                marker=str(tmp_path / f"{name}.json"), after=[str(a) for a in after])


WRITE_FINISHED = (f"import pathlib; f = pathlib.Path({{folder!r}}); "
                  f"print('checkpoint left:', (f / 'prompt_learner').exists()); f.mkdir(exist_ok=True); "
                  f"(f / 'log.txt-2030-01-01-00-00-00').write_text({FINISHED_LOG!r})")


def test_run_task_clears_an_unfinished_run_and_marks_done(tmp_path):
    folder = write_log(tmp_path / "run", UNFINISHED_LOG)
    (folder / "prompt_learner").mkdir()
    task = fake_task(tmp_path, "run", WRITE_FINISHED.format(folder=str(folder)))
    assert task_state(task) == ("queued", "")
    assert run_task(task)
    assert "checkpoint left: False" in Path(task.log).read_text()
    assert read_marker(task)["state"] == DONE and task_state(task)[0] == DONE
    assert (folder / "log.txt").is_file(), "the old log stays"


def test_run_task_failures_say_why(tmp_path):
    crash = fake_task(tmp_path, "crash", "import sys; print('bad key XYZ'); sys.exit(3)")
    assert not run_task(crash)
    assert task_state(crash) == (FAILED, "exit status 3") and "bad key XYZ" in Path(crash.log).read_text()
    silent = fake_task(tmp_path, "silent", "pass")
    assert not run_task(silent) and "exit status 0 but" in task_state(silent)[1]
    blocked = fake_task(tmp_path, "blocked", "raise SystemExit('must not run')", after=[tmp_path / "crash"])
    assert not run_task(blocked)
    assert task_state(blocked) == (FAILED, f"needs {tmp_path / 'crash'}, which did not finish")
    assert not Path(blocked.log).exists()


def test_jobs_get_one_gpu_each_or_a_share_of_the_cpu(monkeypatch):
    assert [slot_env(s, 3, ["4", "6"]) for s in range(3)] == [{"CUDA_VISIBLE_DEVICES": d} for d in "464"]
    monkeypatch.setattr("medprompt.sweep.executors.available_cores", lambda: 8)
    assert slot_env(0, 4, []) == {"OMP_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"}
    assert slot_env(0, 1, []) == {}


SPAN = ("import os, time; print('start', time.time(), 'threads', os.environ.get('OMP_NUM_THREADS', 'all')); "
        "time.sleep({sleep}); print('end', time.time())")


def spans_of(tasks: list[Task]) -> list[tuple[float, float, str]]:
    """(start, end, OMP_NUM_THREADS or 'all') of each fake run, from its log."""
    found = []
    for task in tasks:
        words = Path(task.log).read_text().split()
        found.append((float(words[words.index("start") + 1]), float(words[words.index("end") + 1]),
                      words[words.index("threads") + 1]))
    return found


def run_local(executor, tasks: list[Task]) -> list[tuple[float, float, str]]:
    executor.start(tasks)
    for thread in executor._threads:
        thread.join(120)
    return spans_of(tasks)


def test_on_the_cpu_the_first_run_goes_alone_with_every_core_then_the_jobs_share_them(tmp_path, monkeypatch):
    """The first run fills the caches the others read: alone and with every core it does not leave the
    other jobs waiting on its share of the cores. With GPUs every job starts at once."""
    from medprompt.sweep.executors import LocalExecutor

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr("medprompt.sweep.executors.available_cores", lambda: 4)
    tasks = [fake_task(tmp_path, f"cpu{i}", SPAN.format(sleep=2)) for i in range(3)]
    first, *others = run_local(LocalExecutor(jobs=2, gpus=[], warm=False), tasks)
    assert first[2] == "all" and [o[2] for o in others] == ["2", "2"]
    assert all(o[0] >= first[1] for o in others)  # nothing started before the first run ended
    assert others[1][0] < others[0][1] and others[0][0] < others[1][1]  # then two at a time

    tasks = [fake_task(tmp_path, f"gpu{i}", SPAN.format(sleep=2)) for i in range(2)]
    gpu = run_local(LocalExecutor(jobs=2, gpus=["0", "1"], warm=False), tasks)
    assert gpu[1][0] < gpu[0][1]


# -- the warm executor's fork ---------------------------------------------------------------------------
FORKED_SCRIPT = """
import random, sys, time
import torch
from medprompt.utils.timing import RUN_TIMER
print("argv", sys.argv[1:], "clock", round(time.perf_counter() - RUN_TIMER.start, 3), "phases", RUN_TIMER.seconds)
print("threads", torch.get_num_threads(), "draw", random.random())
if sys.argv[1] == "exit":
    sys.exit(int(sys.argv[2]) if sys.argv[2].isdigit() else sys.argv[2])
if sys.argv[1] == "raise":
    raise ValueError("broken run")
"""


def test_a_forked_run_is_like_a_fresh_process(tmp_path):
    """Exit statuses as the interpreter gives them, the run timer from the fork, fresh RNGs, and
    OMP_NUM_THREADS applied (OpenMP read it long before the fork)."""
    import random

    from medprompt.sweep.warm import run_forked
    from medprompt.utils.timing import RUN_TIMER

    script = tmp_path / "script.py"
    script.write_text(FORKED_SCRIPT)
    RUN_TIMER.add("imports", 5.0)  # the parent's time, which a run must not count
    random.seed(0)
    outputs = {}
    for name, args, env, status in [("ok", ["ok"], {"OMP_NUM_THREADS": "1"}, 0), ("ok2", ["ok"], {}, 0),
                                    ("code", ["exit", "3"], {}, 3), ("text", ["exit", "bad key"], {}, 1),
                                    ("raise", ["raise"], {}, 1)]:
        assert run_forked(script, args, env, tmp_path / f"{name}.out") == status, name
        outputs[name] = (tmp_path / f"{name}.out").read_text()
    assert "phases {}" in outputs["ok"] and float(outputs["ok"].split("clock ")[1].split()[0]) < 5
    assert "threads 1 " in outputs["ok"]
    draws = {out.split("draw ")[1].split()[0] for out in outputs.values()}
    assert len(draws) == len(outputs), "each run draws its own random numbers"
    assert "bad key" in outputs["text"] and "ValueError: broken run" in outputs["raise"]


def test_zeroshot_protocol_refuses_image_trainers(tmp_path, capsys):
    pytest.importorskip("dassl", reason="stock Dassl is not installed (see README)")
    args = ["zeroshot", "--configs", "vit_b16", "--datasets", "BTMRI", "--data", tmp_path,
            "--output", tmp_path / "out", "--cold"]
    code, _, err = sweep(capsys, *args, "--methods", "ZeroshotCLIP", "CoOp")
    assert code == 2 and "CoOp trains on images: it has no zero-shot protocol" in err
    code, _, err = sweep(capsys, *args, "--methods", "NoSuchTrainer")
    assert code == 2 and "'NoSuchTrainer'" in err


# -- real sweeps through train.py -----------------------------------------------------------------------
METHODS, SEEDS = ("CoOp", "KgCoOp"), ("1", "2")


def tiny_grid_args(data: Path, out: Path, cache: Path, model: Path, datasets=("BTMRI",), methods=METHODS,
                   seeds=SEEDS) -> list[str]:
    return ["fewshot", "--methods", *methods, "--configs", "vit_b16", "--datasets", *datasets, "--shots", "1",
            "--seeds", *seeds, "--data", str(data), "--output", str(out), "--poll", "0.3", "--",
            "MODEL.BACKBONE.NAME", f"local-dir:{model}", "MODEL.CACHE_DIR", str(cache), *FAST, *TINY_OPTS[-2:]]


def table_shape(out: Path, dataset: str = "BTMRI") -> dict:
    """{(dataset, shots, method, part): number of seeds with a value} of the parsed few-shot accuracy table."""
    [table] = build_tables(read_tree(out), ["accuracy"], ["fewshot"])
    return {key: cell.n if cell.mean is not None else 0 for key, cell in table.cells.items() if key[0] == dataset}


def run_logs(out: Path) -> str:
    return "".join(p.read_text() for p in sorted((out / ".sweep" / "logs").glob("*.log")))


@pytest.fixture(scope="module")
def tiny_world(tmp_path_factory, native_dir):
    pytest.importorskip("dassl", reason="stock Dassl is not installed (see README)")
    root = tmp_path_factory.mktemp("sweep")
    tiny_data.write_tiny_dataset(root / "data", "BTMRI", per_class=2)
    return root, native_dir


@pytest.fixture(scope="module")
def local_sweep(tiny_world):
    """The tiny 2 methods x 2 seeds few-shot grid, run locally two at a time."""
    root, model = tiny_world
    out = root / "local"
    args = insert_before_dashes(tiny_grid_args(root / "data", out, root / "cache", model), "--jobs", "2")
    proc = subprocess.run([sys.executable, "sweep.py", *args], cwd=REPO, capture_output=True, text=True, timeout=600)
    return out, proc


def insert_before_dashes(args: list[str], *extra: str) -> list[str]:
    cut = args.index("--")
    return [*args[:cut], *extra, *args[cut:]]


def test_local_jobs_sweep_fills_the_table_and_encodes_images_once(local_sweep):
    out, proc = local_sweep
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "4 run(s) done, 0 failed" in proc.stdout
    shape = table_shape(out)
    assert sorted(shape.values()) == [2, 2] and {key[2].split("/")[0] for key in shape} == set(METHODS)
    assert "fewshot: accuracy" in proc.stdout and "[u]" not in proc.stdout  # parse_results' table, complete
    logs = run_logs(out)
    # every run was forked from a warm interpreter of its job slot: its clock starts at the fork
    assert logs.count("# forked from the sweep's warm interpreter") == 4
    # each job slot's interpreter built the backbone once before forking: no run built it
    assert logs.count("Backbone built by the sweep's warm interpreter before forking this run") == 4
    assert all(float(s) < 0.5 for s in re.findall(r"^Time: .*backbone build ([\d.]+) s", logs, re.M))
    assert all(float(s) < 1.0 for s in re.findall(r"^Time: [\d.]+ s total = imports ([\d.]+) s", logs, re.M))
    # the test images of BTMRI are encoded by one run; the three others read the shared cache
    assert len(re.findall(r"^Cached \d+ test image features at ", logs, re.M)) == 1
    assert len(re.findall(r"^Reused \d+ cached test image features from ", logs, re.M)) == 3
    # the sweep's own line: its runs' phases summed (they overlap two at a time)
    assert re.search(r"^Time: sweep [\d.]+ s; [\d.]+ s in the 4 runs \(imports [\d.]+ s, .*\), 2 at a time$",
                     proc.stdout, re.M)


def test_failed_run_is_reported_with_its_log_and_retried_alone(local_sweep, tiny_world, capsys):
    out, _ = local_sweep
    root, model = tiny_world
    args = tiny_grid_args(root / "data", out, root / "cache", model, datasets=("BTMRI", "Pneumonia"),
                          methods=("CoOp",), seeds=("1",))
    code, text, _ = sweep(capsys, *args)  # Pneumonia has no images under DATA: its run fails
    failed = out / "fewshot/Pneumonia/shots_1/CoOp/vit_b16/seed1"
    log = out / ".sweep/logs/fewshot__Pneumonia__shots_1__CoOp__vit_b16__seed1.log"
    assert code == 1 and "1 run(s) done" not in text and "0 run(s) done, 1 failed, 1 skipped" in text
    # a missing dataset is a user mistake: train.py ends with one message and status 2
    assert f"FAILED {failed}: exit status 2\n  log: {log}" in text and "Pneumonia" in log.read_text()
    assert "Traceback" not in log.read_text()

    tiny_data.write_tiny_dataset(root / "data", "Pneumonia", per_class=2)
    code, text, _ = sweep(capsys, *args)
    assert code == 0, text
    assert f"Skipping {out / 'fewshot/BTMRI/shots_1/CoOp/vit_b16/seed1'}: finished" in text
    assert "1 run(s) done, 0 failed, 1 skipped" in text
    # one job at a time: the sweep's time is its run's, summed by phase, plus what lies outside it
    line = re.search(r"^Time: sweep ([\d.]+) s = ([\d.]+) s in the 1 run \((.*)\) \+ ([\d.]+) s outside them",
                     text, re.M)
    assert line and "training" in line.group(3)
    assert abs(float(line.group(1)) - float(line.group(2)) - float(line.group(4))) < 0.2
    run_time = parse_summary((out / ".sweep/logs/fewshot__Pneumonia__shots_1__CoOp__vit_b16__seed1.log").read_text())
    assert abs(run_time["total"] - float(line.group(2))) < 0.05

    code, text, _ = sweep(capsys, "status", "--output", out)
    assert code == 0 and "2 done, 0 running, 0 queued, 0 failed" in text


# -- SLURM ----------------------------------------------------------------------------------------------
def slurm_up() -> str:
    """'' when a SLURM node answers (starting the single-node SLURM of scripts/slurm/ if need be), else why not."""
    start = subprocess.run(["bash", str(REPO / "scripts" / "slurm" / "start.sh")], capture_output=True, text=True,
                           timeout=600)
    if start.returncode != 0:
        return f"scripts/slurm/start.sh could not start SLURM: {start.stderr.strip()[-500:]}"
    if shutil.which("sbatch") is None:
        return "sbatch is not on PATH"
    return ""


def test_slurm_sweep_matches_the_local_table(tiny_world, local_sweep):
    reason = slurm_up()
    if reason:
        pytest.skip(reason)
    root, model = tiny_world
    out = root / "slurm"
    args = insert_before_dashes(tiny_grid_args(root / "data", out, root / "cache", model),
                                "--executor", "slurm", "--time", "10", "--no-wait")
    submitted = subprocess.run([sys.executable, "sweep.py", *args], cwd=REPO, capture_output=True, text=True)
    assert submitted.returncode == 0, submitted.stderr
    jobs = json.loads((out / ".sweep" / "jobs.json").read_text())
    assert len(jobs) == 4
    status = subprocess.run([sys.executable, "sweep.py", "status", "--output", str(out)], cwd=REPO,
                            capture_output=True, text=True)
    assert status.returncode == 0 and "4 runs (slurm)" in status.stdout
    # the same command without --no-wait picks up the queued jobs (submits nothing new) and waits
    waited = subprocess.run([sys.executable, "sweep.py", *[a for a in args if a != "--no-wait"]], cwd=REPO,
                            capture_output=True, text=True, timeout=900)
    assert waited.returncode == 0, waited.stdout[-3000:] + waited.stderr[-3000:]
    assert json.loads((out / ".sweep" / "jobs.json").read_text()) == jobs, "no job was submitted twice"
    assert table_shape(out) == table_shape(local_sweep[0])
    assert "fewshot: accuracy" in waited.stdout


def test_stack_on_flag_and_none(tmp_path, capsys):
    args = ["fewshot", "--configs", "vit_b16", "--datasets", "BTMRI", "--shots", "2", "--seeds", "1",
            "--data", tmp_path, "--output", tmp_path / "out", "--dry-run"]
    _, text, _ = sweep(capsys, *args, "--methods", "CoOp", "MedPromptCLIP", "--stack-on", "MedPromptCLIP")
    runs = [line for line in text.splitlines() if line.startswith("Would run:")]
    assert len(runs) == 2 and "--trainer MedPromptCLIP " in runs[0] and "TRAINER.STACKING.INIT_FROM" in runs[1]
    _, text, _ = sweep(capsys, *args, "--methods", "MedPromptCLIP_CoOp", "--stack-on", "none")
    assert text.count("Would run:") == 1 and "INIT_FROM" not in text
