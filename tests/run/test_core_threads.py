"""The thread policy: a caller's OMP_NUM_THREADS wins, then MEDPROMPT_THREADS, then the cores this
process may use; waiting OpenMP threads sleep unless the caller chose otherwise."""

from __future__ import annotations

import os

import pytest

from medprompt.utils.errors import ConfigError
from medprompt.utils.threads import available_cores, choose_threads, prepare_environment


def test_the_callers_setting_wins_then_the_override_then_the_available_cores():
    assert choose_threads({"OMP_NUM_THREADS": "3", "MEDPROMPT_THREADS": "5"}) == (3, "OMP_NUM_THREADS")
    assert choose_threads({"MEDPROMPT_THREADS": "5"}) == (5, "MEDPROMPT_THREADS")
    assert choose_threads({}) == (len(os.sched_getaffinity(0)), "cores available to this process")
    assert available_cores() == len(os.sched_getaffinity(0))


@pytest.mark.parametrize("value", ["0", "two", "-1"])
def test_a_bad_thread_count_names_the_variable(value):
    with pytest.raises(ConfigError, match=f"MEDPROMPT_THREADS='{value}'"):
        choose_threads({"MEDPROMPT_THREADS": value})


def test_passive_waiting_unless_the_caller_chose():
    env = {}
    prepare_environment(env)
    assert env == {"OMP_WAIT_POLICY": "PASSIVE"}
    env = {"OMP_WAIT_POLICY": "ACTIVE"}
    prepare_environment(env)
    assert env == {"OMP_WAIT_POLICY": "ACTIVE"}
