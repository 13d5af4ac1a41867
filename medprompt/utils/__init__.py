"""Small helpers every part of the project uses: errors, atomic writes, timing, threads, suggestions."""
