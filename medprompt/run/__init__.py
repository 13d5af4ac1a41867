"""What a run needs around its training: config layers, checkpoints, caches, schedules, metrics, checks."""
