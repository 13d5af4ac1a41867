"""python tests/kill_after_epoch.py K train.py-ARGS...: train.py, killed by SIGKILL right after epoch K's
checkpoint, as a crash or an out-of-memory kill would stop it (no clean-up runs)."""

import os
import runpy
import signal
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from trainers.base import PromptTrainerBase  # noqa: E402

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
