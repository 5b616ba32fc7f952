# Sourced by the benches that start servers on fixed loopback ports (the fake upstream on 9100, gateways
# on 8787–8789 and 18787–18788, stores on 9788–9789; ../shared/bench fixes some of them): one such run at
# a time on the machine. A second run waits, saying so, instead of finding the first one's servers on
# its ports and timing them (curl's health check answers either way). The lock goes with the run's
# last process: its children inherit the descriptor, so a server still on a port still holds it.
#   source "$(dirname "$0")/ports-lock.sh"
# Env: BENCH_PORTS_LOCK (the lock file; default /tmp/aigw-bench-ports.lock).
bench_ports_lock=${BENCH_PORTS_LOCK:-/tmp/aigw-bench-ports.lock}
if ! command -v flock >/dev/null; then
  # macOS has no flock(1): run unguarded, as before.
  echo "$(basename "$0"): no flock here; not guarding the fixed ports against another bench run" >&2
elif exec {bench_ports_fd}>>"$bench_ports_lock" && ! flock -n "$bench_ports_fd"; then
  echo "$(basename "$0"): another bench run holds the fixed ports (lock $bench_ports_lock); waiting for it to finish…" >&2
  flock "$bench_ports_fd"
  echo "$(basename "$0"): the other run finished; starting." >&2
fi
