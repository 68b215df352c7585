#!/usr/bin/env bash
# apyche vs Apache (event MPM) vs nginx serving the same files with wrk on
# loopback: each server pinned to CPU 0, wrk to CPU 1, rounds interleaved
# (the shared anchors harness does the pinning, the rounds and the table).
# apyche runs the harness's own Apache config (tools/bench/apyche_anchor.py),
# access log on, one worker.
#
# usage: tools/bench/serve_bench.sh [--rounds N] [--duration S] [--scenarios a,b,c,d,e]
#        tools/bench/serve_bench.sh --two-cores [--rounds N] [--duration S]
#          (both cores, nothing pinned: apyche with 2 workers vs Apache's and
#          nginx's default process models; see twocore_bench.py)
# Scenarios: a keep-alive 10 KB, b keep-alive 1 KB, c one connection per
# request 10 KB, d keep-alive 1 MB (MiB/s), e 500 keep-alive connections.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BENCH="${APYCHE_SHARED:-$ROOT/../shared}/bench"
[ -x "$BENCH/anchors.sh" ] || { echo "no shared bench harness at $BENCH" >&2; exit 2; }
PY="${PYTHON:-python3}"
if [ "${1:-}" = "--two-cores" ]; then
    shift
    exec "$PY" "$HERE/twocore_bench.py" "$@"
fi
exec "$BENCH/anchors.sh" --only apache nginx \
    --extra "apyche=$PY $HERE/apyche_anchor.py --port {port} --docroot {docroot} --log {log} --run {run}" \
    "$@"
