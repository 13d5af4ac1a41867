"""``python sweep.py PROTOCOL ...``: expand a protocol into runs, run what is not finished, print the table.

    python sweep.py fewshot --methods CoOp KgCoOp --configs vit_b16 --datasets BTMRI FFA \\
        --data /data --shots 1 4 16 --jobs 4 -- OPTIM.MAX_EPOCH 50
    python sweep.py base2new ... --executor slurm --partition gpu --gpus-per-job 1 --no-wait
    python sweep.py status --output output

Finished runs are skipped; unfinished ones resume from their last checkpoint (written every epoch; what
else is in their folder is removed, their logs kept); `--redo` runs everything again from scratch;
`--dry-run` prints the train.py commands. Words after `--` are KEY VALUE options for every run. While runs
go, a line per running run shows its epoch and eta, and a last line the eta of the whole sweep.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from medprompt.utils.atomic import write_json
from medprompt.sweep.executors import SlurmExecutor, SlurmSettings, executor_for
from medprompt.sweep.grid import PROTOCOLS, Grid, GridError, expand, show
from medprompt.sweep.task import DONE, FAILED, QUEUED, RUNNING, Task, state_dir, task_state
from medprompt.results.runs import run_finished
from medprompt.run.precheck import check_sweep_args
from medprompt.utils.path_checks import refuse_file


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sweep.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    for protocol in PROTOCOLS:
        s = sub.add_parser(protocol, help=f"run the {protocol} protocol (docs/PROTOCOLS.md)")
        s.add_argument("--methods", nargs="+", required=True, help="registered trainers")
        s.add_argument("--configs", nargs="+", required=True,
                       help="config names, <backbone> or <variant>_<backbone> (medprompt/run/config_layers.py)")
        s.add_argument("--datasets", nargs="+", required=True, help="dataset names: configs/datasets/<name>.yaml")
        s.add_argument("--shots", nargs="+", type=int, default=[], help="K shots (protocol default when omitted)")
        s.add_argument("--seeds", nargs="+", type=int, default=[], help="seeds (default 1 2 3)")
        s.add_argument("--targets", nargs="+", default=[], help="crossmodal: datasets evaluated with no training")
        s.add_argument("--stack-on", default="",
                       help="trainer whose run each method starts from (TRAINER.STACKING.INIT_FROM); 'none' for "
                            "no stacking (default: MedPromptCLIP for MedPromptCLIP_CoOp and MedPromptCLIP_MaPLe)")
        s.add_argument("--data", default=os.environ.get("DATA", ""), help="folder of the datasets (default $DATA)")
        s.add_argument("--output", default="output", help="root of the output tree (default output)")
        s.add_argument("--executor", choices=("local", "slurm"), default="local")
        s.add_argument("--jobs", type=int, default=1,
                       help="local: runs at a time (one GPU each, or a share of the CPU)")
        s.add_argument("--cold", action="store_true",
                       help="local: start every run as a fresh `python train.py` (default: fork each run from a "
                            "warm interpreter per job that imported torch, open_clip and Dassl once)")
        s.add_argument("--dry-run", action="store_true", help="print the train.py commands instead of running them")
        s.add_argument("--redo", action="store_true", help="run finished runs again (their folders are removed)")
        s.add_argument("--no-wait", action="store_true", help="slurm: return once submitted (see `sweep.py status`)")
        s.add_argument("--poll", type=float, help="seconds between progress checks (default 0.5 local, 2 slurm: "
                                                   "squeue is asked at each check)")
        g = s.add_argument_group("slurm (flags override --slurm-config)")
        g.add_argument("--slurm-config", help="yaml with keys of SlurmSettings: partition, time_min, gpus_per_job, "
                                              "cpus_per_job, mem_gb, array_parallelism, sbatch, setup")
        g.add_argument("--partition")
        g.add_argument("--time", type=int, dest="time_min", help="minutes per job")
        g.add_argument("--gpus-per-job", type=int)
        g.add_argument("--cpus-per-job", type=int)
        g.add_argument("--mem-gb", type=float)
        g.add_argument("--array-parallelism", type=int, help="at most this many jobs of a batch run at once")
        g.add_argument("--sbatch", nargs="+", default=[], metavar="KEY=VALUE", help="more sbatch options")
    st = sub.add_parser("status", help="state of the last sweep of an output tree")
    st.add_argument("--output", default="output")
    return p


def split_opts(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """(sweep arguments, KEY VALUE options after `--`)."""
    argv = list(argv)
    if "--" in argv:
        cut = argv.index("--")
        return argv[:cut], argv[cut + 1:]
    return argv, []


def slurm_settings(args) -> SlurmSettings:
    settings = SlurmSettings.from_yaml(args.slurm_config) if args.slurm_config else SlurmSettings()
    for name in ("partition", "time_min", "gpus_per_job", "cpus_per_job", "mem_gb", "array_parallelism"):
        if getattr(args, name) is not None:
            setattr(settings, name, getattr(args, name))
    for option in args.sbatch:
        key, sep, value = option.partition("=")
        if not sep:
            raise GridError(f"--sbatch takes KEY=VALUE, got {option!r}")
        settings.sbatch[key.lstrip("-").replace("-", "_")] = value
    return settings


def check_text_only(methods: Sequence[str], executor=None) -> None:
    """Refuse a method that is not registered or trains on images (zeroshot protocol). A warm executor's
    interpreter answers (it imported Dassl already); else Dassl's registry is imported here."""
    answer = executor.text_only(list(methods)) if executor is not None else None
    if answer is None:
        from medprompt.sweep.warm import text_only_trainers

        answer = text_only_trainers(list(methods))
    if "unknown" in answer:
        raise GridError(f"Unknown trainer {answer['unknown']!r}; registered: {', '.join(answer['registered'])}")
    for method in methods:
        if not answer["text_only"][method]:
            raise GridError(f"{method} trains on images: it has no zero-shot protocol (use fewshot)")


def make_grid(args, opts: list[str]) -> Grid:
    kwargs = {}
    if args.stack_on:
        kwargs["stack_on"] = {} if args.stack_on == "none" else \
            {m: args.stack_on for m in args.methods if m != args.stack_on}
    grid = Grid(args.command, tuple(args.methods), tuple(args.configs), tuple(args.datasets), tuple(args.shots),
                tuple(args.seeds), tuple(args.targets), tuple(opts), **kwargs)
    grid.check()
    for method, config in grid.left_out():
        print(f"Not in this sweep: {method} with {config} ({method} has no such config)")
    return grid


def plan(grid: Grid, args) -> tuple[list[Task], list[Task]]:
    """(every task of the grid, the tasks to run): finished runs are skipped unless --redo; a run that
    reads a run being redone is redone too (it read an older model)."""
    specs = expand(grid, args.output)
    python = sys.executable
    tasks, todo = [], []
    rerun: set[str] = set()
    for spec in specs:
        finished, reason = run_finished(spec.folder)
        # a finished run that runs again starts from an empty folder (else Dassl resumes its checkpoint)
        task = Task.from_spec(spec, args.output, args.data, python, redo=args.redo or finished)
        tasks.append(task)
        if finished and not args.redo and not rerun.intersection(task.after):
            print(f"Skipping {task.folder}: finished")
            continue
        if not finished and Path(task.folder).is_dir():
            print(f"{task.folder}: unfinished ({reason}); resuming it from its last checkpoint, if it has one")
        rerun.add(task.folder)
        todo.append(task)
    return tasks, todo


def record(output: str, executor: str, tasks: list[Task]) -> None:
    write_json(state_dir(output) / "sweep.json", {"executor": executor, "tasks": [t.__dict__ for t in tasks]})


def load_record(output: str) -> tuple[str, list[Task]]:
    path = state_dir(output) / "sweep.json"
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise GridError(f"{path}: no sweep recorded under {output} ({error})") from error
    return data["executor"], [Task(**t) for t in data["tasks"]]


def states(tasks: list[Task], executor) -> dict[str, tuple[str, str]]:
    queue = executor.queue() if executor is not None else None
    ids = executor.job_ids() if executor is not None else {}
    return {t.folder: task_state(t, ids.get(t.folder), queue) for t in tasks}


def failure_lines(tasks: list[Task], found: dict[str, tuple[str, str]], executor) -> list[str]:
    lines = []
    for task in tasks:
        state, reason = found[task.folder]
        if state == FAILED:
            extra = executor.job_log(task.folder) if isinstance(executor, SlurmExecutor) else None
            job_log = f"\n  job log: {extra}" if extra else ""
            lines.append(f"FAILED {task.folder}: {reason}\n  log: {task.log}{job_log}")
    return lines


def wait(tasks: list[Task], executor, poll: float, output: str, jobs: int) -> dict[str, tuple[str, str]]:
    """A line per running run and the overall eta (medprompt/sweep/progress.py) until none is queued or
    running; returns their final states."""
    from medprompt.sweep.progress import follow

    return follow(tasks, lambda: states(tasks, executor), executor.busy, output, jobs, poll)


def time_line(tasks: list[Task], seconds: float, jobs: int) -> str:
    """Where a local sweep's time went: its runs' Time: lines summed, and (one job at a time) the rest."""
    from medprompt.utils.timing import parse_summary, sum_phases

    found = [parse_summary(Path(t.log).read_text(errors="replace")) if Path(t.log).is_file() else None
             for t in tasks]
    sums = sum_phases(found)
    own = sums.pop("total", 0.0)
    phases = ", ".join(f"{name} {value:.1f} s" for name, value in sums.items())
    count = sum(f is not None for f in found)
    runs = f"{own:.1f} s in the {count} run{'s' if count != 1 else ''} ({phases})"
    if jobs > 1:
        return f"Time: sweep {seconds:.1f} s; {runs}, {jobs} at a time"
    return (f"Time: sweep {seconds:.1f} s = {runs} + {seconds - own:.1f} s outside them (the driver, starting "
            "the interpreters, the table)")


def print_table(output: str, grid: Grid) -> int:
    from medprompt.results.cli import main as parse_results

    print(f"\nparse_results.py {output} --protocol {grid.protocol}", flush=True)
    return parse_results([output, "--protocol", grid.protocol])


def run_sweep(args, opts: list[str]) -> int:
    if not args.data:
        raise GridError("Set DATA (or --data) to the folder that holds the datasets (e.g. DATA=/data/medical)")
    check_sweep_args(args.methods, [*args.datasets, *args.targets], opts, args.data)
    refuse_file(args.output, "--output", "give the root folder of the output tree", GridError)
    grid = make_grid(args, opts)
    if args.no_wait and args.executor != "slurm":
        raise GridError("--no-wait needs --executor slurm (local runs end with the sweep)")
    if args.dry_run:
        _, todo = plan(grid, args)
        for task in todo:
            print(f"Would run: {show(task.command)}")
        return 0
    executor = executor_for(args.executor, args.output, args.jobs, slurm_settings(args), warm=not args.cold)
    try:
        return run_planned(args, grid, executor)
    finally:
        executor.close()


def run_planned(args, grid: Grid, executor) -> int:
    if grid.protocol == "zeroshot":
        check_text_only(grid.methods, executor)
    tasks, todo = plan(grid, args)
    record(args.output, args.executor, tasks)
    local = f", {args.jobs} at a time, {'fresh processes' if args.cold else 'forked from a warm interpreter'}"
    print(f"Sweep: {len(tasks)} runs, {len(todo)} to run ({args.executor}"
          + (local if args.executor == "local" else "") + ")", flush=True)
    executor.start(todo)
    if args.no_wait:
        print(f"Submitted; follow with: python sweep.py status --output {args.output}")
        return 0
    poll = args.poll if args.poll is not None else (0.5 if args.executor == "local" else 2.0)
    jobs = args.jobs if args.executor == "local" else max(1, len(todo))
    found = wait(todo, executor, poll, args.output, jobs) if todo else {}
    failed = failure_lines(todo, found, executor)
    print(f"Sweep finished: {len(todo) - len(failed)} run(s) done, {len(failed)} failed, "
          f"{len(tasks) - len(todo)} skipped as finished", flush=True)
    for line in failed:
        print(line)
    if failed:
        print("Run the same command again to retry the failed runs only.")
    code = print_table(args.output, grid)
    if args.executor == "local" and todo:
        print(time_line(todo, time.perf_counter() - args.started, args.jobs))
    return 1 if failed else code


def show_status(args) -> int:
    kind, tasks = load_record(args.output)
    executor = SlurmExecutor(args.output, SlurmSettings()) if kind == "slurm" else None
    found = states(tasks, executor)
    counts = Counter(state for state, _ in found.values())
    summary = ", ".join(f"{counts[s]} {s}" for s in (DONE, RUNNING, QUEUED, FAILED))
    print(f"{args.output}: {len(tasks)} runs ({kind}): {summary}")
    for line in failure_lines(tasks, found, executor):
        print(line)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    started = time.perf_counter()
    own, opts = split_opts(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(own)
    args.started = started
    return show_status(args) if args.command == "status" else run_sweep(args, opts)
