#!/usr/bin/env bash
# Sets up the real PC/SC stack for the virtual My Number Card end-to-end tests and the card benchmark:
# pcscd with vsmartcard's vpcd driver (normal mode: vpcd listens on 35963/35964, the simulator connects),
# OpenSC's tools and libpcsclite for the `pcsc` crate.
#
# Idempotent: installs only what is missing, starts pcscd only when it is not running, and returns once
# its socket exists. There is no systemd on the CI machines, so pcscd is started by hand, in the
# foreground (-f) and in the background of this shell; its log goes to ${PCSCD_LOG:-/tmp/pcscd.log},
# its pid to /tmp/pcscd.pid. Never add -a to PCSCD_FLAGS for shared logs: it prints APDUs, PINs included.
#
# Usage (as root): bash .ci/setup-pcsc.sh
set -euo pipefail

PACKAGES=(pcscd vsmartcard-vpcd opensc pcsc-tools libpcsclite-dev pkg-config)
SOCKET=/run/pcscd/pcscd.comm
LOG=${PCSCD_LOG:-/tmp/pcscd.log}

# shellcheck source=packages.sh
. "$(dirname "$0")/packages.sh"
ensure_packages setup-pcsc "${PACKAGES[@]}"

running() {
    # A live daemon (exact process name) and its socket.
    pgrep -x pcscd >/dev/null 2>&1 && [ -S "$SOCKET" ]
}

if running; then
    echo "setup-pcsc: pcscd already running"
else
    if ! pgrep -x pcscd >/dev/null 2>&1; then
        # A crashed daemon leaves its socket and pid file behind; pcscd refuses to start over them.
        rm -f "$SOCKET" /run/pcscd/pcscd.pid
    fi
    mkdir -p /run/pcscd
    echo "setup-pcsc: starting pcscd (log: $LOG)"
    # Info level: readers, insertions and removals. -d logs every poll and transmit (megabytes per
    # benchmark run); set PCSCD_FLAGS="-d" when debugging.
    # shellcheck disable=SC2086
    nohup pcscd -f ${PCSCD_FLAGS:--i} >"$LOG" 2>&1 </dev/null &
    echo $! >/tmp/pcscd.pid
    for _ in $(seq 1 100); do
        if [ -S "$SOCKET" ]; then break; fi
        sleep 0.1
    done
    if [ ! -S "$SOCKET" ]; then
        echo "setup-pcsc: pcscd did not create $SOCKET; its log:" >&2
        tail -n 50 "$LOG" >&2 || true
        exit 1
    fi
fi

# vpcd listens once pcscd has loaded the driver; wait for slot 0's port as well. Look in /proc rather
# than connecting: a connection to vpcd is a card insertion.
listening() {
    # 8C7B = 35963, state 0A = LISTEN.
    grep -qi ':8C7B [0-9A-F:]* 0A ' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}
for _ in $(seq 1 100); do
    if listening; then
        echo "setup-pcsc: ready (vpcd on 127.0.0.1:35963)"
        exit 0
    fi
    sleep 0.1
done
echo "setup-pcsc: vpcd is not listening on 35963; pcscd log:" >&2
tail -n 50 "$LOG" >&2 || true
exit 1
