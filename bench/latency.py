#!/usr/bin/env python3
"""End-of-DATA -> 250 latency under an open-loop load (issue 16, item 4).

smtp-source is a closed loop: a slow server slows it, and its own latency never shows. This script
first measures guerrillad's maximum rate with smtp-source (closed loop, 50 sessions, 4 KiB), then
offers 50%, 90% and 150% of that rate open-loop with bench/OpenLoopLatency.java (messages due at a
fixed rate whatever the server does) and prints, per load, how many got 250 / 4xx / 5xx / a closed
connection / no answer, and the p50/p99/p99.9 latency of the accepted ones, from end of DATA and
from the message's due time. Postfix's smtp-sink gets the same offered rates in the same run as the
reference (it answers at once and stores nothing: its latency is the client's and the loopback's).

Usage: bench/latency.py [--config bench/bench.yaml] [--seconds 20] [--connections 200]
Needs the built jar (bench/run.sh builds it, or mvn -q -B -DskipTests package).
"""
import argparse
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402  (bench.py beside this file: its server wrappers and smtp-source runner)


def open_loop(port, rate, seconds, connections):
    out = subprocess.run(["java", os.path.join(HERE, "OpenLoopLatency.java"), "--port", str(port),
                          "--rate", str(rate), "--seconds", str(seconds), "--connections", str(connections),
                          "--to", bench.TO], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=True)
    return out.stdout.strip()


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--config", default=os.path.join(HERE, "bench.yaml"))
    p.add_argument("--seconds", type=int, default=20, help="seconds each open-loop load lasts")
    p.add_argument("--connections", type=int, default=200, help="most connections the open-loop client opens")
    p.add_argument("--java-opts", default=os.environ.get("JAVA_OPTS", ""))
    args = p.parse_args()
    scratch = tempfile.mkdtemp(prefix="guerrilla-latency-")
    print("# load %s, scratch %s" % (bench.load_average(), scratch))
    server = bench.Guerrillad(scratch, args.config, args.java_opts, "latency")
    try:
        flags = ["-d", "-s", "50", "-l", "4096"]
        bench.smtp_source(server.port, flags, 40000)  # JIT warm-up
        elapsed = bench.smtp_source(server.port, flags, 20000)
        top = 20000 / elapsed
        print("guerrillad closed-loop maximum (smtp-source -d -s 50 -l 4096): %.0f msgs/s" % top)
        runs = {share: open_loop(server.port, int(top * share), args.seconds, args.connections)
                for share in (0.5, 0.9, 1.5)}
    finally:
        server.stop()
    sink = bench.Sink(scratch)
    try:
        reference = {share: open_loop(sink.port, int(top * share), args.seconds, args.connections)
                     for share in (0.5, 0.9, 1.5)}
    finally:
        sink.stop()
    for share in (0.5, 0.9, 1.5):
        print("\n## %d%% of the maximum (%d msgs/s offered)" % (share * 100, int(top * share)))
        print("guerrillad:\n  " + runs[share].replace("\n", "\n  "))
        print("smtp-sink (reference):\n  " + reference[share].replace("\n", "\n  "))
    print("\n# load %s" % bench.load_average())


if __name__ == "__main__":
    main()
