"""How many CPU threads torch uses in a run, chosen so that a run degrades gracefully on shared cores.

Policy (measured in benchmarks/threads.py; docs/BENCHMARKS.md "Start-up, image encoding and CPU threads"):
- OMP_NUM_THREADS set by the caller (a sweep dividing the cores among its jobs, a cluster script) wins;
- else MEDPROMPT_THREADS, when set;
- else the cores this process may run on (os.sched_getaffinity: a container's or taskset's share, not
  the machine's count).
OpenMP's waiting threads sleep rather than spin (OMP_WAIT_POLICY=PASSIVE unless the caller set it): a
spinning thread holds a core that another process needs, and a thread of this run that was descheduled
stalls every parallel region of the others, which made a step many times slower on busy cores.

`prepare_environment()` must run before torch is imported (OpenMP reads its variables once, when torch
loads it); `apply()` then sets torch's thread count and returns a line for the run's log.
"""

from __future__ import annotations

import os

ENV_THREADS = "MEDPROMPT_THREADS"


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # platforms without sched_getaffinity
        return max(1, os.cpu_count() or 1)


def _positive_int(name: str, value: str) -> int:
    from medprompt.utils.errors import ConfigError

    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise ConfigError(f"{name}={value!r}: expected a positive whole number of threads")
    return number


def choose_threads(environ=None) -> tuple[int, str]:
    """(thread count, where it came from) under the policy above."""
    environ = os.environ if environ is None else environ
    if environ.get("OMP_NUM_THREADS", "").strip():
        return _positive_int("OMP_NUM_THREADS", environ["OMP_NUM_THREADS"]), "OMP_NUM_THREADS"
    if environ.get(ENV_THREADS, "").strip():
        return _positive_int(ENV_THREADS, environ[ENV_THREADS]), ENV_THREADS
    return available_cores(), "cores available to this process"


def default_threads() -> int:
    return choose_threads()[0]


def prepare_environment(environ=None) -> None:
    """Passive OpenMP waiting unless the caller chose otherwise; call before importing torch."""
    environ = os.environ if environ is None else environ
    environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def apply() -> str:
    """Set torch's intra-op thread count by the policy; the line a run logs about it."""
    import torch

    threads, source = choose_threads()
    torch.set_num_threads(threads)
    return (f"CPU threads: {threads} ({source}; {available_cores()} cores available), "
            f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}")
