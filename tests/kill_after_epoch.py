"""tests/kill_after_epoch.py K train.py-ARGS... (run by tests/entry_cases.py, which has the project importable): train.py, killed by SIGKILL right after epoch K's
checkpoint, as a crash or an out-of-memory kill would stop it (no clean-up runs)."""

import os
import runpy
import signal
import sys

from medprompt.utils.paths import REPO
from trainers.base import PromptTrainerBase

kill_after = int(sys.argv.pop(1))
after_epoch = PromptTrainerBase.after_epoch


def after_epoch_then_die(self):
    after_epoch(self)
    if self.epoch + 1 == kill_after:
        sys.stdout.flush()
        os.kill(os.getpid(), signal.SIGKILL)


PromptTrainerBase.after_epoch = after_epoch_then_die
sys.argv[0] = str(REPO / "train.py")
runpy.run_path(str(REPO / "train.py"), run_name="__main__")
