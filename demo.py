"""The project's mechanism on a laptop CPU: the synthetic medical world and its tiny CLIP.

    python demo.py                       # one world (seed 0); see docs/DEMO.md for its time
    python demo.py --world-seeds 0 1 2   # three worlds: the tables give mean ± std over them
    python demo.py --quick               # tiny world, 4 shots, 2 epochs: a smoke test (tests/demo/test_demo.py)

1. Writes the synthetic world of each world seed S (medprompt.synthetic) into <data>/world<S>, unless the
   same world is already there.
2. Runs train.py for ZeroshotCLIP (class names), ZeroshotDescriptions (CuPL), MedPromptCLIP with its
   upstream settings and with its new option (MedPromptCLIP/centered: the centered text loss, chosen before
   any run; configs/methods/MedPromptCLIP/centered.yaml says why), CoOp and MedPromptCLIP_CoOp (CoOp
   started from the upstream MedPromptCLIP prompts), all on the shipped tiny CLIP (config names `synth`
   and `centered_synth`): trained on the base classes of the training modality, evaluated on its new
   classes and, with no further training, on every class of each held-out modality. Datasets and classes
   come from the world (medprompt/demo/plan.py). Runs go through the sweep's executor (--jobs at a time,
   each forked from its job's warm interpreter, which imported torch, open_clip and Dassl and built the
   backbone once); a line per running run shows its method, dataset, epoch and eta.
   Finished runs are skipped. Output tree: <output>/base2new/{train_base,test_new}/<dataset>/shots_<K>/
   <Trainer>/<config>/seed<S>/ and <output>/heldout_modality/<dataset>/..., logs in <output>/.sweep/logs/.
3. Prints the comparison tables (one method per row, to fit 120 columns; mean ± std over the world seeds),
   writes the full tables to <output>/comparison.txt and plots to <output>/comparison-*.png, and prints
   how much of the gap between class-name and description zero-shot each trained method closes.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

from medprompt.utils.atomic import write_text
from medprompt.utils.paths import REPO
from medprompt.utils.entrypoint import run_main
from medprompt.demo.last_time import last_time, record
from medprompt.demo.plan import (METHOD_NAMES, METHODS, DemoPlan, method_of, modality_datasets,
                                 part_of, tasks)
from medprompt.sweep.live_lines import LiveLines, phase_of, read_tail
from medprompt.demo.report import demo_tables, gap_table
from medprompt.results.plots import plot_tables
from medprompt.results.render import render
from medprompt.results.runs import run_finished
from medprompt.utils import folder_lock
from medprompt.sweep.executors import SlurmSettings, executor_for
from medprompt.sweep.task import DONE, FAILED, QUEUED, RUNNING, Task, read_marker, task_state
from medprompt.synthetic.world import WorldSettings, write_world
from medprompt.utils.threads import available_cores
from medprompt.utils.timing import parse_summary, sum_phases

WIDTH = 120  # columns of the printed tables
# Sizes, chosen for the time budget (docs/DEMO.md): images per class (train, val, test), shots, extra options
DEFAULT = {"world": dict(n_train=16, n_val=4, n_test=40), "shots": 16, "opts": ()}
QUICK = {"world": dict(n_train=4, n_val=4, n_test=4), "shots": 4, "opts": ("OPTIM.MAX_EPOCH", "2")}


def build_parser() -> argparse.ArgumentParser:
    datasets = modality_datasets()
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="tiny world, 4 shots, 2 epochs: a smoke test")
    p.add_argument("--data", default="", help="where the worlds are written (default data/synthetic[-quick])")
    p.add_argument("--output", default="", help="output tree (default output-demo[-quick], beside the protocol "
                                                "scripts' output/ so that their tables never mix)")
    p.add_argument("--world-seeds", nargs="+", type=int, default=[0], metavar="S",
                   help="world seeds (default 0); each world's runs use the same number as training seed")
    p.add_argument("--train-on", default=datasets[0], help=f"modality (dataset) trained on (default {datasets[0]})")
    p.add_argument("--heldout", nargs="+", default=None,
                   help="held-out modalities (default: every other one of the world)")
    p.add_argument("--methods", nargs="+", default=[m.name for m in METHODS],
                   metavar="METHOD", help=f"methods (default all): {', '.join(METHOD_NAMES)}")
    p.add_argument("--executor", default="local", help="executor of medprompt/sweep/executors.py (default local)")
    p.add_argument("--jobs", type=int, default=min(2, available_cores()),
                   help="runs at a time (default 2, or 1 on a 1-core machine)")
    p.add_argument("--poll", type=float, default=0.5, help="seconds between progress updates")
    return p


def make_plan(args) -> DemoPlan:
    sizes = QUICK if args.quick else DEFAULT
    suffix = "-quick" if args.quick else ""
    heldout = args.heldout if args.heldout is not None else [d for d in modality_datasets() if d != args.train_on]
    return DemoPlan(
        data=Path(args.data or REPO / "data" / f"synthetic{suffix}"),
        output=Path(args.output or REPO / f"output-demo{suffix}"),
        train_on=args.train_on,
        heldout=tuple(heldout),
        shots=sizes["shots"],
        seeds=tuple(args.world_seeds),
        methods=tuple(METHOD_NAMES[name] for name in args.methods),
        world=WorldSettings(**sizes["world"]),
        opts=tuple(sizes["opts"]),
    )


def to_run(all_tasks: list[Task]) -> list[Task]:
    """The tasks that are not finished, and those that read one of them (they read an older model)."""
    todo, rerun = [], set()
    for task in all_tasks:
        finished = run_finished(task.folder)[0]
        if finished and not rerun.intersection(task.after):
            continue
        rerun.add(task.folder)
        todo.append(dataclasses.replace(task, redo=finished))
    return todo


def follow(todo: list[Task], executor, plan: DemoPlan, poll: float) -> dict[str, tuple[str, str]]:
    """Progress lines until every task is done or failed; returns {folder: (state, reason)}."""
    live = LiveLines(sys.stdout)
    width = max(len(method_of(t, plan).name) for t in todo)
    reported: set[str] = set()
    started = time.monotonic()

    def line(i: int, task: Task, status: str) -> str:
        return f"[{i + 1:>2}/{len(todo)}] {method_of(task, plan).name:<{width}}  {part_of(task, plan):<22} {status}"

    try:
        while True:
            # no marker yet: queued (a finished folder that is to run again must not read as done)
            found = {t.folder: task_state(t) if read_marker(t) else (QUEUED, "") for t in todo}
            permanent, running = [], {}
            for i, task in enumerate(todo):
                state, reason = found[task.folder]
                if state == RUNNING:
                    phase = phase_of(read_tail(task.log))
                    marker = read_marker(task) or {}
                    since = time.time() - marker.get("time", time.time())
                    running[task.folder] = (line(i, task, f"{phase.describe()} ({since:.0f} s)"), phase.text,
                                            phase.max_epoch > 0)
                elif state in (DONE, FAILED) and task.folder not in reported:
                    reported.add(task.folder)
                    seconds = (read_marker(task) or {}).get("seconds")
                    status = f"done in {seconds:.0f} s" if state == DONE and seconds is not None else state
                    permanent.append(line(i, task, status if state == DONE else f"FAILED: {reason}"))
            elapsed = time.monotonic() - started
            if running:
                finished = sum(s in (DONE, FAILED) for s, _ in found.values())
                running["_all"] = (f"        {finished}/{len(todo)} runs finished, {elapsed:.0f} s", "", True)
            live.show(permanent, running)
            if len(reported) == len(todo) and not executor.busy():
                return found
            time.sleep(poll)
    finally:
        live.close()


def time_report(todo: list[Task], wall: float, jobs: int) -> str:
    """Where the runs' time went, from their 'Time:' lines."""
    splits = [s for s in (parse_summary(read_tail(t.log)) for t in todo) if s]
    if not splits:
        return ""
    sums = sum_phases(splits)
    return (f"Runs: {len(splits)} in {wall:.0f} s ({jobs} at a time); their own time adds up to "
            f"{sums['total']:.0f} s, of which {sums.get('imports', 0.0):.0f} s importing libraries")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; a misspelt method or modality is refused naming the closest one."""
    from medprompt.utils.suggest import unknown

    parser = build_parser()
    args = parser.parse_args(argv)
    for name in args.methods:
        if name not in METHOD_NAMES:
            parser.error(unknown("method", name, METHOD_NAMES, "--methods"))
    for name in [args.train_on, *(args.heldout or [])]:
        if name not in modality_datasets():
            parser.error(unknown("modality", name, modality_datasets(), "--train-on / --heldout"))
    return args


def first_line(args, plan: DemoPlan) -> str:
    """What the demo is about to do, and how long it took last time (printed before anything slow)."""
    seeds = " ".join(map(str, plan.seeds))
    return (f"Demo{' (quick)' if args.quick else ''}: world seed{'s' if len(plan.seeds) > 1 else ''} {seeds} in "
            f"{plan.data}, then {len(plan.methods)} methods trained on {plan.train_on} and evaluated on "
            f"{len(plan.heldout)} held-out modalities, {args.jobs} runs at a time, into {plan.output}; "
            f"{last_time(plan.output)}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    plan = make_plan(args)
    print(first_line(args, plan), flush=True)
    started = time.time()
    for seed in plan.seeds:
        root = plan.world_root(seed)
        # a second demo on the same data waits for the first to finish writing a world, then finds it written
        with folder_lock.holding(root, f"demo.py writing world {seed}", wait=True,
                                 on_wait=lambda holder: print(f"{root}: {folder_lock.describe(holder)} is writing "
                                                              "this world; waiting for it", flush=True)):
            marker = write_world(root, plan.world_settings(seed))
        print(f"World {seed}: {root} {marker['settings']} ({time.time() - started:.0f} s)", flush=True)
    all_tasks = tasks(plan, sys.executable)
    todo = to_run(all_tasks)
    print(f"{len(all_tasks)} runs, {len(all_tasks) - len(todo)} finished before (skipped), {len(todo)} to run "
          f"({args.executor}, {args.jobs} at a time); logs in {plan.output / '.sweep' / 'logs'}", flush=True)
    if todo:
        executor = executor_for(args.executor, plan.output, args.jobs, SlurmSettings())
        runs_started = time.time()
        executor.start(todo)
        found = follow(todo, executor, plan, args.poll)
        failed = [t for t in todo if found[t.folder][0] == FAILED]
        if failed:
            for task in failed:
                tail = "\n".join(read_tail(task.log, 4000).splitlines()[-25:])
                print(f"\nFAILED {task.folder}: {found[task.folder][1]}\nlog: {task.log}\n{tail}")
            print("\nRun the same command again to retry the failed runs only (finished runs are skipped).")
            return 1
        print(time_report(todo, time.time() - runs_started, args.jobs))

    tables = demo_tables(plan)
    stem = plan.output / "comparison"
    print()
    print(render(tables, "terminal", 2, WIDTH))
    full = write_text(f"{stem}.txt", render(tables, "terminal", 2))
    plots = plot_tables(tables, stem)
    gap = gap_table(tables, plan)
    if gap:
        print(gap + "\n")
    print(f"Full tables: {full}; plots: {stem}-*.png ({len(plots)} files); total {time.time() - started:.0f} s")
    if todo:  # the time of a demo that ran something, for the next first line
        record(plan.output, time.time() - started, len(todo), len(plan.seeds), args.quick)
    return 0


if __name__ == "__main__":
    run_main(main, "demo.py")
