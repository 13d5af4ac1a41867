"""Where runs execute: this machine (one at a time, or N at once) or a SLURM cluster through submitit.

Every executor runs :func:`medprompt.sweep.task.run_task` for each task, so logs, status markers and
skip/redo rules are the same everywhere; an executor only decides when and where a task runs and, for
the cluster, which jobs are still in the queue. Local runs are forked from a warm interpreter per job
slot that imported torch, open_clip and Dassl once (medprompt/sweep/warm.py), unless `warm` is off.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

from medprompt.utils.atomic import write_json
from medprompt.utils.errors import ConfigError, ServiceError
from medprompt.utils import folder_lock
from medprompt.utils.threads import available_cores
from medprompt.utils.paths import REPO
from medprompt.sweep.task import Task, clear_marker, run_job, run_task, state_dir
from medprompt.sweep.warm import WarmServer, cold_launch

WARM_NOTE = "forked from the sweep's warm interpreter (imports done once per job slot; --cold: a fresh process)"


def visible_gpus() -> list[str]:
    """The GPU ids jobs may use: CUDA_VISIBLE_DEVICES when set, else every device torch sees."""
    env = os.environ.get("CUDA_VISIBLE_DEVICES")
    if env is not None:
        return [d for d in env.split(",") if d.strip() and d.strip() != "-1"]
    import torch

    return [str(i) for i in range(torch.cuda.device_count())]


def slot_env(slot: int, jobs: int, gpus: list[str]) -> dict[str, str]:
    """Environment of the job in `slot`: one GPU per job when there are GPUs; on CPU the cores split
    evenly between the jobs (torch reads OMP_NUM_THREADS for its intra-op threads)."""
    if gpus:
        return {"CUDA_VISIBLE_DEVICES": gpus[slot % len(gpus)]}
    if jobs <= 1:
        return {}
    threads = str(max(1, available_cores() // jobs))
    return {"OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads}


class LocalExecutor:
    """`jobs` runs at a time on this machine, each after the runs it reads; with `warm`, each job slot
    forks its runs from its own warm interpreter, else each run is a fresh process."""

    name = "local"

    def __init__(self, jobs: int = 1, gpus: list[str] | None = None, warm: bool = True):
        if jobs < 1:
            raise ConfigError(f"--jobs must be at least 1, got {jobs}")
        self.jobs = jobs
        self.servers = [WarmServer() for _ in range(jobs)] if warm else []  # one per job slot, started on use
        # one job leaves every GPU visible and takes the first, as a plain train.py does; only several jobs
        # need the list (and asking torch for it costs the driver the seconds of importing torch)
        self.gpus = gpus if gpus is not None else (visible_gpus() if jobs > 1 else [])
        self._threads: list[threading.Thread] = []

    def start(self, tasks: list[Task]) -> None:
        pending = list(tasks)
        unresolved = {t.folder for t in tasks}
        # Several jobs on the CPU: the first run goes alone, with every core. It fills the feature caches
        # (test images, descriptions) that the next runs read, and they would wait for it, idle, while it
        # ran on its share of the cores (benchmarks/sweep.py --jobs 2, docs/BENCHMARKS.md "A zero-shot sweep ...").
        alone = tasks[0].folder if self.jobs > 1 and not self.gpus and len(tasks) > 1 else None
        cond = threading.Condition()
        for task in tasks:
            if not folder_lock.is_held(task.folder):  # a held run's marker is its holder's (another sweep's)
                clear_marker(task)
        for server in self.servers[:len(tasks)]:
            server.start()  # each slot's interpreter imports while the others do

        def work(slot: int) -> None:
            env = slot_env(slot, self.jobs, self.gpus)
            server = self.servers[slot] if self.servers else None
            launch, how = (server.run, WARM_NOTE) if server else (cold_launch, "")
            try:
                while True:
                    with cond:
                        while True:
                            if not pending:
                                return
                            ready = next((t for t in pending if not unresolved.intersection(t.after)
                                          and (t.folder == alone or alone not in unresolved)), None)
                            if ready is not None:
                                pending.remove(ready)
                                break
                            cond.wait()
                    try:
                        run_task(ready.with_env(slot_env(slot, 1, self.gpus) if ready.folder == alone else env),
                                 launch, how)
                    finally:
                        with cond:
                            unresolved.discard(ready.folder)
                            cond.notify_all()
            finally:
                if server:
                    server.close()

        self._threads = [threading.Thread(target=work, args=(slot,), daemon=True)
                         for slot in range(min(self.jobs, len(tasks)))]
        for thread in self._threads:
            thread.start()

    def busy(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def text_only(self, trainers: list[str]) -> dict | None:
        """A warm interpreter's answer on which trainers are text-only (warm.text_only_trainers), or None
        when there is none to ask."""
        try:
            return self.servers[0].ask({"text_only": list(trainers)}) if self.servers else None
        except OSError:
            return None

    def close(self) -> None:
        """End the warm interpreters (the job threads have ended theirs' runs)."""
        for server in self.servers:
            server.close()

    def queue(self) -> None:
        """Local runs have no queue: their markers say everything."""
        return None

    def job_ids(self) -> dict[str, str]:
        return {}


@dataclass
class SlurmSettings:
    """sbatch settings of every job (command-line flags, or a small yaml with these keys)."""

    partition: str | None = None
    time_min: int = 60
    gpus_per_job: int = 0
    cpus_per_job: int = 1
    mem_gb: float | None = None
    array_parallelism: int = 64
    sbatch: dict[str, str] = field(default_factory=dict)  # any other sbatch option, e.g. account, qos
    setup: list[str] = field(default_factory=list)  # shell lines before the job (module load, conda activate)

    @classmethod
    def from_yaml(cls, path: str | Path) -> "SlurmSettings":
        import yaml

        data = yaml.safe_load(Path(path).read_text()) or {}
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ConfigError(f"{path}: unknown keys {sorted(unknown)}; known: {sorted(cls.__dataclass_fields__)}")
        return cls(**data)


def squeue() -> dict[str, str]:
    """{job id: state} of every job in the SLURM queue (array elements one by one)."""
    out = subprocess.run(["squeue", "-h", "-r", "-o", "%i|%T"], capture_output=True, text=True)
    if out.returncode != 0:
        raise ServiceError(f"squeue failed (is SLURM up?): {out.stderr.strip()}")
    return dict(line.split("|", 1) for line in out.stdout.split())


class SlurmExecutor:
    """One SLURM job per run, through submitit; runs that read another run's output wait for its job
    (`afterany` dependency; the task itself then checks that the run it reads finished).

    Job ids are kept in <output>/.sweep/jobs.json, so `sweep.py status` and a re-invocation find the jobs
    still in the queue and submit again only what failed or never ran.
    """

    name = "slurm"

    def __init__(self, output: str | Path, settings: SlurmSettings):
        if shutil.which("sbatch") is None:
            raise ServiceError("sbatch not found: --executor slurm needs a SLURM client on this machine "
                               "(scripts/slurm/start.sh installs and starts a single-node SLURM)")
        self.root = state_dir(output)
        self.settings = settings
        self.jobs_file = self.root / "jobs.json"

    def job_ids(self) -> dict[str, str]:
        """{run folder: job id} of every job this output tree submitted."""
        try:
            return {k: v["job_id"] for k, v in json.loads(self.jobs_file.read_text()).items()}
        except (OSError, ValueError):
            return {}

    def queue(self) -> dict[str, str]:
        return squeue()

    def busy(self) -> bool:
        queue = squeue()
        return any(job in queue for job in self.job_ids().values())

    def in_flight(self, tasks: list[Task]) -> set[str]:
        """Folders of tasks whose job (from an earlier invocation) is still queued or running."""
        ids, queue = self.job_ids(), squeue()
        return {t.folder for t in tasks if ids.get(t.folder) in queue}

    def _executor(self):
        import submitit

        s = self.settings
        executor = submitit.AutoExecutor(folder=self.root / "slurm", cluster="slurm")
        params = {"timeout_min": s.time_min, "cpus_per_task": s.cpus_per_job, "name": "medprompt-sweep",
                  "slurm_array_parallelism": s.array_parallelism,
                  # the job runs this interpreter (submitit's default) with the repository importable
                  "slurm_setup": [f"export PYTHONPATH={REPO}${{PYTHONPATH:+:$PYTHONPATH}}",
                                  # torch's threads = the job's CPUs, not the node's
                                  "export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}", *s.setup]}
        if s.partition:
            params["slurm_partition"] = s.partition
        if s.gpus_per_job:
            params["gpus_per_node"] = s.gpus_per_job
        if s.mem_gb:
            params["mem_gb"] = s.mem_gb
        executor.update_parameters(**params)
        return executor

    def start(self, tasks: list[Task]) -> None:
        live = self.in_flight(tasks)  # jobs of an earlier invocation still queued or running: keep them
        ids = self.job_ids()
        submit = [t for t in tasks if t.folder not in live]
        if not submit:
            return
        executor = self._executor()
        records = json.loads(self.jobs_file.read_text()) if self.jobs_file.is_file() else {}
        for wave in _waves(submit):
            deps = sorted({ids[d] for t in wave for d in t.after if d in live})
            extra = dict(self.settings.sbatch)
            if deps:
                extra["dependency"] = "afterany:" + ":".join(deps)
            executor.update_parameters(slurm_additional_parameters=extra)
            for task in wave:
                if not folder_lock.is_held(task.folder):
                    clear_marker(task)
            with executor.batch():
                jobs = [executor.submit(run_job, task) for task in wave]
            for task, job in zip(wave, jobs):
                ids[task.folder] = job.job_id
                live.add(task.folder)
                records[task.folder] = {"job_id": job.job_id, "stdout": str(job.paths.stdout),
                                        "stderr": str(job.paths.stderr)}
            write_json(self.jobs_file, records)

    def text_only(self, trainers: list[str]) -> None:
        return None

    def close(self) -> None:
        return None

    def job_log(self, folder: str) -> str | None:
        """submitit's stderr file of the last job of a run (where a job that died before the run wrote)."""
        try:
            return json.loads(self.jobs_file.read_text())[folder]["stderr"]
        except (OSError, ValueError, KeyError):
            return None


def _waves(tasks: list[Task]) -> list[list[Task]]:
    """Tasks grouped by how many runs of this list stand before them (runs come after those they read)."""
    depth: dict[str, int] = {}
    for task in tasks:  # expansion order puts every run after the runs it reads
        depth[task.folder] = 1 + max((depth[d] for d in task.after if d in depth), default=-1)
    return [[t for t in tasks if depth[t.folder] == level] for level in range(max(depth.values()) + 1)]


def executor_for(name: str, output: str | Path, jobs: int, settings: SlurmSettings, warm: bool = True):
    if name == "local":
        return LocalExecutor(jobs, warm=warm)
    if name == "slurm":
        return SlurmExecutor(output, settings)
    raise ConfigError(f"Unknown executor {name!r}; known: local, slurm")

