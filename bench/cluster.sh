#!/usr/bin/env bash
# Several nodes: messages per second with 1, 2 and 3 guerrillad nodes behind one HAProxy on one
# MariaDB database, against Postfix's smtp-sink behind the same HAProxy in the same run
# (bench/cluster.py; the topology of ClusterIT and docs/deployment.md). Arguments go to cluster.py:
#   bench/cluster.sh                       (3 x 20,000 messages per setup after 40,000 of warm-up)
#   bench/cluster.sh --messages 10000 --reps 5 --nodes 1,3
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.."
for tool in /usr/sbin/smtp-sink /usr/sbin/smtp-source /usr/sbin/haproxy mariadb python3 java mvn; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is missing (.ci/services.sh installs it)" >&2; exit 2; }
done
if [ -z "${BENCH_SKIP_BUILD:-}" ]; then
    mvn -q -B -DskipTests package
fi
ulimit -n "$(ulimit -Hn)"
echo "# $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), kernel $(uname -r)"
echo "# $("${JAVA:-java}" -version 2>&1 | head -1); $(/usr/sbin/haproxy -v | head -1); uptime:$(uptime)"
exec python3 "$here/cluster.py" "$@"
