#!/usr/bin/env bash
# Stop the daemons that scripts/slurm/start.sh started (by their pid files); keeps the installed packages.
#   scripts/slurm/stop.sh        (SLURM_STATE_DIR as for start.sh)
set -uo pipefail
DIR="${SLURM_STATE_DIR:-/tmp/medprompt-slurm}"
for daemon in slurmd slurmctld; do
    pidfile="$DIR/$daemon.pid"
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        kill "$(cat "$pidfile")" && echo "slurm/stop.sh: stopped $daemon" >&2
    fi
done
if [ -f "$DIR.munge-started" ] && [ -f /run/munge/munged.pid ]; then
    kill "$(cat /run/munge/munged.pid)" 2>/dev/null && echo "slurm/stop.sh: stopped munged" >&2
    rm -f "$DIR.munge-started"
fi
exit 0
