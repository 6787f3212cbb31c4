#!/usr/bin/env python3
"""Messages per second with 1, 2 and 3 guerrillad nodes behind one HAProxy on one MariaDB database,
and Postfix's smtp-sink behind the same HAProxy as the reference, all in one run (bench/cluster.sh).

Each setup is warmed up, then measured --reps times with smtp-source against the balancer; the median
is reported, and as a ratio to smtp-sink's median. The nodes are configured as in ClusterIT and
docs/deployment.md (packaging/haproxy/haproxy.cfg: PROXY protocol v2, health checks on /readyz).
smtp-sink speaks neither PROXY nor HTTP, so its server line has no send-proxy-v2 and no check: the
balancer's work per connection is otherwise the same.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the helpers of bench.py, this directory)

HAPROXY = "/usr/sbin/haproxy"
DATABASE = "guerrilla_test_bench_cluster"
# smtp-source: 50 sessions, each reusing its connection, 4 KiB messages (bench.py's reuse-4k).
FLAGS = ["-d", "-s", "50", "-l", "4096"]


def mariadb(sql):
    subprocess.run(["mariadb", "-h", "127.0.0.1", "-u", "guerrilla", "-pguerrilla", "-e", sql], check=True)


def wait_for(path, text, proc, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{path}: exited with {proc.returncode}")
        if os.path.exists(path) and text in open(path, errors="replace").read():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{path}: no '{text}' after {timeout} s")


class Node:
    def __init__(self, scratch, i, java_opts):
        self.name = f"node-{i}"
        self.port = bench.free_port()
        self.admin = bench.free_port()
        with open(os.path.join(bench.HERE, "mariadb.yaml")) as f:
            cfg = yaml.safe_load(f)
        cfg.update({"listen_interface": f"127.0.0.1:{self.port}", "node_name": self.name,
                    "proxy_protocol": True, "trusted_proxies": ["127.0.0.1"],
                    "admin": {"listen": f"127.0.0.1:{self.admin}"}})
        cfg["store"]["database"] = DATABASE
        self.config = os.path.join(scratch, f"{self.name}.yaml")
        with open(self.config, "w") as f:
            yaml.safe_dump(cfg, f)
        self.log_path = os.path.join(scratch, f"{self.name}.log")
        self.log = open(self.log_path, "w")
        env = {k: v for k, v in os.environ.items() if k != "JAVA_OPTS"}
        if java_opts.strip():
            env["JAVA_OPTS"] = java_opts
        guerrillad = os.path.join(bench.ROOT, "bin", "guerrillad")
        if i == 1:
            # The schema once, before any node serves (serve refuses a database without it).
            subprocess.run([guerrillad, "init-db", "-c", self.config], stdout=self.log, stderr=subprocess.STDOUT,
                           check=True)
        self.proc = subprocess.Popen([guerrillad, "serve", "--no-http", "-c", self.config], stdout=self.log,
                                     stderr=subprocess.STDOUT, env=env, preexec_fn=bench.raise_nofile)

    def server_line(self):
        return f"    server {self.name} 127.0.0.1:{self.port} send-proxy-v2 check port {self.admin}\n"

    def wait(self):
        """Until /readyz answers 200: a fresh JVM answers its first checks slower than HAProxy waits."""
        wait_for(self.log_path, "serving, pid", self.proc)
        deadline = time.time() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.admin}/readyz", timeout=10) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            if time.time() > deadline:
                raise RuntimeError(f"{self.name}: /readyz did not answer 200")
            time.sleep(0.2)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=90)
        self.log.close()


class Balancer:
    """packaging/haproxy/haproxy.cfg (the ClusterIT and docs/deployment.md one) with the given server lines."""

    def __init__(self, scratch, servers):
        self.port = bench.free_port()
        self.config = os.path.join(scratch, "haproxy.cfg")
        with open(os.path.join(bench.ROOT, "packaging", "haproxy", "haproxy.cfg")) as f:
            template = f.read()
        with open(self.config, "w") as f:
            f.write(template + "".join(servers))
        env = dict(os.environ, GUERRILLAD_BIND=f"127.0.0.1:{self.port}", GUERRILLAD_CHECK_INTER="2s")
        self.log = open(os.path.join(scratch, "haproxy.log"), "w")
        self.proc = subprocess.Popen([HAPROXY, "-db", "-f", self.config], stdout=self.log, env=env,
                                     stderr=subprocess.STDOUT, preexec_fn=bench.raise_nofile)
        bench.wait_port(self.port, self.proc)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()


def measure(setup, port, messages, warmup, reps):
    bench.smtp_source(port, FLAGS, warmup)
    rates = [messages / bench.smtp_source(port, FLAGS, messages) for _ in range(reps)]
    print(f"# {setup}: {', '.join(f'{r:,.0f}' for r in rates)} msgs/s; load average {bench.load_average()}", flush=True)
    return rates


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--messages", type=int, default=20000, help="messages per measured repetition")
    p.add_argument("--warmup", type=int, default=40000, help="messages before measuring each setup (JIT)")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--nodes", default="1,2,3")
    p.add_argument("--java-opts", default="", help="JAVA_OPTS for every node (default: bin/guerrillad's)")
    args = p.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="guerrilla-cluster-bench-") as scratch:
        sink = bench.Sink(scratch)
        # Neither PROXY header nor health check: smtp-sink speaks neither.
        lb = Balancer(scratch, [f"    server sink 127.0.0.1:{sink.port}\n"])
        try:
            results["smtp-sink"] = measure("smtp-sink", lb.port, args.messages, args.warmup, args.reps)
        finally:
            lb.stop()
            sink.stop()
        for n in [int(x) for x in args.nodes.split(",")]:
            mariadb(f"DROP DATABASE IF EXISTS {DATABASE}; CREATE DATABASE {DATABASE}")
            nodes = []
            lb = None
            try:
                for i in range(1, n + 1):
                    nodes.append(Node(scratch, i, args.java_opts))
                for node in nodes:
                    node.wait()
                lb = Balancer(scratch, [node.server_line() for node in nodes])
                time.sleep(1)  # the first health checks pass
                setup = f"{n} node{'s' if n > 1 else ''}"
                try:
                    results[setup] = measure(setup, lb.port, args.messages, args.warmup, args.reps)
                except RuntimeError:
                    for path in [lb.log.name] + [node.log_path for node in nodes]:
                        with open(path, errors="replace") as f:
                            lines = [line for line in f if "WARN" in line or "ERROR" in line or "ALERT" in line]
                        print(f"== {path}\n{''.join(lines[-20:])}", file=sys.stderr)
                    raise
                rows = bench.count_rows_by_client({"type": "mysql", "database": DATABASE})
                expected = args.warmup + args.reps * args.messages
                if rows != expected:
                    raise RuntimeError(f"{n} nodes: {rows} rows stored for {expected} messages sent")
            finally:
                if lb:
                    lb.stop()
                for node in nodes:
                    node.stop()
        mariadb(f"DROP DATABASE IF EXISTS {DATABASE}")
    sink_rate = statistics.median(results["smtp-sink"])
    print(f"\n| behind one HAProxy, {args.reps} x {args.messages} messages of 4 KiB, 50 sessions | msgs/s (median) "
          f"| runs | x smtp-sink |")
    print("|---|---|---|---|")
    for setup, rates in results.items():
        rate = statistics.median(rates)
        print(f"| {setup} | {rate:,.0f} | {', '.join(f'{r:,.0f}' for r in rates)} | {rate / sink_rate:.2f}x |")
    print(f"\n# load average at the end: {bench.load_average()}")


if __name__ == "__main__":
    main()
