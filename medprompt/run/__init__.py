"""What a run is made of and keeps: config layers, published settings, checkpoints, caches, schedules."""
