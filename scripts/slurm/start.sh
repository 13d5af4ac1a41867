#!/usr/bin/env bash
# Install (once) and start a single-node SLURM on this host, for the sweep's SLURM tests and for trying
# `sweep.py --executor slurm` on a workstation. Idempotent: when the node already answers it returns at once.
#   sudo scripts/slurm/start.sh          # then: sinfo; scripts/slurm/stop.sh to stop the daemons
# Environment: SLURM_STATE_DIR (state, spool, logs, pid files; default /tmp/medprompt-slurm).
# Needs root (apt-get, daemons run as root). Writes /etc/slurm/slurm.conf only when it is absent or was
# written by this script (it carries the marker line below), so a real cluster's config is never touched.
set -euo pipefail

DIR="${SLURM_STATE_DIR:-/tmp/medprompt-slurm}"
CONF=/etc/slurm/slurm.conf
MARKER="# written by medprompt scripts/slurm/start.sh"

say() { echo "slurm/start.sh: $*" >&2; }
node_up() { sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated|completing)'; }

if command -v sinfo >/dev/null && node_up; then
    say "already running"; exit 0
fi
[ "$(id -u)" = 0 ] || { say "needs root (apt-get and the daemons)"; exit 1; }

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null \
        || ! command -v munged >/dev/null; then
    say "installing slurmctld slurmd slurm-client munge"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
fi

# munge: a key, then the daemon (as root, with --force: no init system in containers)
if [ ! -s /etc/munge/munge.key ]; then
    mkdir -p /etc/munge
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    chmod 400 /etc/munge/munge.key
fi
mkdir -p /run/munge /var/lib/munge /var/log/munge
chown root: /var/log/munge /var/lib/munge /run/munge  # munged runs as root here; it wants its folders its own
if ! munge -n >/dev/null 2>&1; then
    munged --force
    touch "$DIR.munge-started" 2>/dev/null || true
fi

mkdir -p "$DIR/state" "$DIR/spool"
host="$(hostname -s)"
if [ ! -f "$CONF" ] || grep -qF "$MARKER" "$CONF"; then
    node="$(slurmd -C | head -n1 | sed -e "s/^NodeName=[^ ]*/NodeName=$host/" -e 's/ UpTime=.*//')"
    mkdir -p "$(dirname "$CONF")"
    cat > "$CONF.tmp" <<CONF
$MARKER
ClusterName=medprompt
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
SlurmdTimeout=30
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
    mv "$CONF.tmp" "$CONF"
else
    say "keeping $CONF (not written by this script)"
fi

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
pid_alive "$DIR/slurmctld.pid" || slurmctld
pid_alive "$DIR/slurmd.pid" || slurmd
for _ in $(seq 60); do
    if node_up; then say "up: $(sinfo -h -o '%P %D %T %c CPUs')"; exit 0; fi
    scontrol update nodename="$host" state=resume >/dev/null 2>&1 || true
    sleep 0.5
done
say "the node did not come up; see $DIR/slurmctld.log and $DIR/slurmd.log"
sinfo >&2 || true
exit 1
