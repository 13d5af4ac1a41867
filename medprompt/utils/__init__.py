"""Small utilities with no project knowledge: user errors, atomic writes, timing, CPU threads, the
project's paths, and the entry-point wrapper that turns user errors into one message."""
