#!/usr/bin/env bash
# One command from a fresh clone: builds the server, then runs every scenario against Postfix's
# smtp-sink and guerrillad in the same run (see README.md here). Arguments go to bench.py, e.g.
#   bench/run.sh --config bench/mariadb.yaml --reps 5
#   bench/run.sh --scenarios large-messages          (1 GiB + 20 x 50 MiB under -Xmx256m)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.."
for tool in /usr/sbin/smtp-sink /usr/sbin/smtp-source python3 java mvn; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install postfix python3-yaml)" >&2; exit 2; }
done
if [ -z "${BENCH_SKIP_BUILD:-}" ]; then
    mvn -q -B -DskipTests package
fi
# The idle scenario holds 20,000 sockets in one process: the soft limit goes up to the hard one.
ulimit -n "$(ulimit -Hn)"
echo "# $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), kernel $(uname -r)," \
     "somaxconn $(cat /proc/sys/net/core/somaxconn), nofile $(ulimit -n)"
echo "# $("${JAVA:-java}" -version 2>&1 | head -1); uptime:$(uptime)"
exec python3 "$here/bench.py" "$@"
