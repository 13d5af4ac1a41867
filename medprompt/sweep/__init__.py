"""Protocol sweeps: expand a protocol into train.py runs, run them locally or on SLURM, and report.

- :mod:`medprompt.results.output_tree`: the output-folder layout and config-file names (the one definition that
  the protocol scripts, the demo and the results reader share);
- :mod:`medprompt.sweep.grid`: protocols (zero-shot, few-shot, base-to-new, cross-modal) -> runs;
- :mod:`medprompt.sweep.task`: one run as a job (skip/clear/redo, its log, its status marker);
- :mod:`medprompt.sweep.executors`: local (sequential or ``--jobs N``) and SLURM through submitit;
- :mod:`medprompt.sweep.cli`: ``python sweep.py``.

Nothing here imports Dassl (the zero-shot protocol's text-only check asks the trainer registry lazily).
"""
