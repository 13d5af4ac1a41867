"""The project's user-mistake errors.

Every error a user can fix by changing an input (a config key, a flag, a file) derives from `UserError`.
The command-line entry points (medprompt/utils/entrypoint.py) print such an error as one message without a traceback;
any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """An input the user gave is wrong; the message names it and says what to do."""


class ConfigError(UserError, ValueError):
    """A config key, command-line flag or option value that cannot be used."""


class InputFileError(UserError, FileNotFoundError):
    """A file or folder the user named is missing."""


class CheckpointError(UserError, ValueError):
    """A file that should be a checkpoint is not one, or does not fit this run."""


class RunSettingsError(UserError, ValueError):
    """The output folder holds a run made with other settings."""


class ServiceError(UserError, RuntimeError):
    """A tool or service the command needs (e.g. a SLURM client) is missing or not answering."""


class FileFormatError(UserError, ValueError):
    """A file the user gave exists but is not in the format expected (malformed JSON/YAML/log)."""
