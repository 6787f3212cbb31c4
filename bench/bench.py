#!/usr/bin/env python3
"""Runs the load scenarios (README.md here) against Postfix's smtp-sink and guerrillad in the same run.

For each scenario a fresh server process is started (so peak RSS and stored rows belong to that
scenario alone), warmed up, then measured several times; the median is reported. smtp-sink is the
ceiling: a C sink that discards, so the ratio says how close a server that stores every message
durably comes to doing nothing at all.
"""
import argparse
import asyncio
import hashlib
import json
import os
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CLK_TCK = os.sysconf("SC_CLK_TCK")
SOURCE = "/usr/sbin/smtp-source"
SINK = "/usr/sbin/smtp-sink"
FROM, TO = "a@bench.test", "b@bench.test"

# name -> (smtp-source flags, messages, warm-up messages). The warm-up is long because C2 takes
# several CPU seconds to compile the hot path; a server that runs for days is measured warm.
LOAD = {
    "reuse-4k": (["-d", "-s", "50", "-l", "4096"], 20000, 100000),
    "large-100k": (["-d", "-s", "20", "-l", "102400"], 2000, 20000),
    "conn-per-msg-4k": (["-s", "50", "-l", "4096"], 20000, 100000),
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.recv(512)
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {port}")


def proc_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def thread_cpu_seconds(pid):
    """CPU seconds per thread group (event loops, store writer, JIT, GC...), to see where time goes."""
    groups = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return groups
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip()
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        group = ("event-loop" if name.startswith("multiThreadIoEv") else "jit" if "Compiler" in name
                 else "gc" if name.startswith(("GC ", "G1 ")) else name)
        groups[group] = groups.get(group, 0) + (int(fields[11]) + int(fields[12])) / CLK_TCK
    return groups


def proc_status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def reset_peak_rss(pid):
    """Writing 5 to clear_refs resets VmHWM (Linux >= 4.0), so each repetition has its own peak."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


class Sink:
    name = "smtp-sink"

    def __init__(self, scratch):
        self.port = free_port()
        self.log = open(os.path.join(scratch, "smtp-sink.log"), "w")
        # -u: required as root; -m: smtp-sink's default of 256 connections would stall the idle run.
        self.proc = subprocess.Popen([SINK, "-u", "nobody", "-m", "30000", f"127.0.0.1:{self.port}", "4096"],
                                     stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=raise_nofile)
        wait_port(self.port, self.proc)

    def rows(self):
        return None

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        self.log.close()


class Guerrillad:
    name = "guerrillad"

    def __init__(self, scratch, config, java_opts, tag, overrides=None):
        self.port = free_port()
        with open(config) as f:
            cfg = yaml.safe_load(f) or {}
        for key, value in (overrides or {}).items():
            if isinstance(value, dict):
                cfg.setdefault(key, {}).update(value)
            else:
                cfg[key] = value
        cfg["listen_interface"] = f"127.0.0.1:{self.port}"
        store = cfg.setdefault("store", {})
        self.store = store
        if store.get("type", "sqlite") == "sqlite":
            store["path"] = os.path.join(scratch, f"{tag}.db")
        self.config_path = os.path.join(scratch, f"{tag}.yaml")
        with open(self.config_path, "w") as f:
            yaml.safe_dump(cfg, f)
        self.log = open(os.path.join(scratch, f"{tag}.log"), "w")
        if store.get("type", "sqlite") != "sqlite":
            # A network database must have the schema before serve starts (it refuses to otherwise).
            subprocess.run([os.path.join(ROOT, "bin", "guerrillad"), "init-db", "-c", self.config_path],
                           stdout=self.log, stderr=subprocess.STDOUT, check=True)
        # No JAVA_OPTS at all when none are given, so bin/guerrillad's default applies as shipped.
        env = {k: v for k, v in os.environ.items() if k != "JAVA_OPTS"}
        if java_opts.strip():
            env["JAVA_OPTS"] = java_opts
        self.proc = subprocess.Popen([os.path.join(ROOT, "bin", "guerrillad"), "serve", "-c", self.config_path],
                                     stdout=self.log, stderr=subprocess.STDOUT, env=env, preexec_fn=raise_nofile)
        wait_port(self.port, self.proc)
        # bin/guerrillad execs java, so the child's pid is the JVM's.
        self.baseline_rows = self.rows()

    def rows(self):
        """Rows in new_mail: one per recipient, and smtp-source sends one recipient per message."""
        kind = self.store.get("type", "sqlite")
        if kind == "sqlite":
            with sqlite3.connect(self.store["path"]) as db:
                return db.execute("select count(*) from new_mail").fetchone()[0]
        return count_rows_by_client(self.store)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def count_rows_by_client(store):
    """Row count for the network stores, through their own command-line clients."""
    kind = store.get("type")
    host = store.get("host", "127.0.0.1")
    db = store.get("database", "guerrilla_test")
    user = store.get("user", "guerrilla")
    password = store.get("password", "guerrilla")
    if kind in ("mysql", "mariadb"):
        cmd = ["mysql", "-N", "-h", host, "-P", str(store.get("port", 3306)), "-u", user, f"-p{password}", db,
               "-e", "select count(*) from new_mail"]
        env = None
    elif kind in ("postgres", "postgresql"):
        cmd = ["psql", "-At", "-h", host, "-p", str(store.get("port", 5432)), "-U", user, "-d", db,
               "-c", "select count(*) from new_mail"]
        env = dict(os.environ, PGPASSWORD=password)
    else:
        return None
    return int(subprocess.check_output(cmd, env=env).strip())


def raise_nofile():
    """Soft limit up to the hard one; raising the hard limit needs CAP_SYS_RESOURCE."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def smtp_source(port, flags, messages):
    cmd = [SOURCE, *flags, "-m", str(messages), "-f", FROM, "-t", TO, f"127.0.0.1:{port}"]
    start = time.monotonic()
    done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    elapsed = time.monotonic() - start
    if done.returncode != 0:
        raise RuntimeError(f"smtp-source failed ({done.returncode}): {done.stdout[-2000:]}")
    return elapsed


def run_load(server, scenario, reps):
    flags, messages, warmup = LOAD[scenario]
    pid = server.proc.pid
    # In two parts: the end of a client run (its sessions closing, new ones opening) shows the JIT
    # types it had not seen in a steady run, and the recompiles that follow (JFR: 70 deoptimizations
    # in Netty's event loop, then C2 work) would otherwise land in the first measured repetition.
    smtp_source(server.port, flags, warmup // 2)
    smtp_source(server.port, flags, warmup // 2)
    results = []
    for _ in range(reps):
        rows_before = server.rows()
        reset_peak_rss(pid)
        cpu0 = proc_cpu_seconds(pid)
        threads0 = thread_cpu_seconds(pid)
        elapsed = smtp_source(server.port, flags, messages)
        cpu = proc_cpu_seconds(pid) - cpu0
        threads = {k: round((v - threads0.get(k, 0)) / messages * 1000, 3)
                   for k, v in thread_cpu_seconds(pid).items() if v - threads0.get(k, 0) > 0}
        rows_after = server.rows()
        results.append({
            "msgs_per_s": messages / elapsed,
            "cpu_s_per_1000": cpu / messages * 1000,
            "thread_cpu_s_per_1000": threads,
            "peak_rss_mib": proc_status_kib(pid, "VmHWM") / 1024,
            "sent": messages,
            "stored": None if rows_after is None else rows_after - rows_before,
            "load": load_average(),
        })
    return results


async def idle_clients(port, count):
    """Opens count connections, each reads the banner, says EHLO, reads the reply, then stays idle
    until stdin closes."""
    conns = []
    gate = asyncio.Semaphore(200)  # connects in flight: stays well under the listen backlog

    async def one():
        async with gate:
            r, w = await asyncio.open_connection("127.0.0.1", port)
            await r.readuntil(b"\r\n")
            w.write(b"EHLO idle.bench.test\r\n")
            while True:
                line = await r.readuntil(b"\r\n")
                if line[3:4] == b" ":
                    break
            conns.append(w)

    results = await asyncio.gather(*(one() for _ in range(count)), return_exceptions=True)
    failed = [repr(r) for r in results if isinstance(r, Exception)]
    print(json.dumps({"opened": len(conns), "failed": failed[:3]}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    for w in conns:
        w.close()


async def burst(port, count):
    """count connections opened all at once (no cap on connects in flight, unlike the idle clients):
    the listen backlog must hold the burst. Each waits up to 30 s for its greeting."""
    async def one():
        r, w = await asyncio.open_connection("127.0.0.1", port)
        try:
            return (await asyncio.wait_for(r.readuntil(b"\r\n"), 30)).startswith(b"220")
        finally:
            w.close()

    start = time.monotonic()
    results = await asyncio.gather(*(one() for _ in range(count)), return_exceptions=True)
    return {"connections": count, "greeted": sum(1 for r in results if r is True),
            "errors": sorted({repr(r)[:80] for r in results if isinstance(r, Exception)})[:3],
            "seconds": time.monotonic() - start, "load": load_average()}


def warm_up_connections(port, count):
    """A server in service has had connections before; the first ones grow its heap and pools once,
    which is not what each further connection costs."""
    warm = subprocess.Popen([sys.executable, __file__, "--idle-client", str(port), str(count)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, preexec_fn=raise_nofile)
    warm.stdout.readline()
    warm.stdin.close()
    warm.wait()


def run_idle(server, count, warm_up, per_process=9000):
    """Clients run in several processes: one process may hold no more descriptors than the hard limit."""
    pid = server.proc.pid
    if warm_up:
        warm_up_connections(server.port, min(count, 5000))
    time.sleep(2)
    rss0 = proc_status_kib(pid, "VmRSS")
    clients, opened, failed, steps = [], 0, [], []
    for n in [per_process] * (count // per_process) + ([count % per_process] if count % per_process else []):
        clients.append(subprocess.Popen([sys.executable, __file__, "--idle-client", str(server.port), str(n)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                        preexec_fn=raise_nofile))
        report = json.loads(clients[-1].stdout.readline() or '{"opened": 0, "failed": ["client died"]}')
        opened += report["opened"]
        failed += report["failed"]
        time.sleep(1)
        steps.append((opened, proc_status_kib(pid, "VmRSS")))
    time.sleep(2)  # let the server finish the handshakes it has queued
    rss1 = proc_status_kib(pid, "VmRSS")
    # Growth between the first and the last step: per-connection cost without the one-off growth
    # (heap expansion, pools) that the first thousands of connections trigger.
    marginal = (rss1 - steps[0][1]) / (opened - steps[0][0]) if opened > steps[0][0] else None
    for c in clients:
        c.stdin.close()
        c.wait()
    return {"connections": opened, "failed": failed,
            "rss_before_mib": rss0 / 1024, "rss_after_mib": rss1 / 1024,
            "kib_per_connection": (rss1 - rss0) / max(opened, 1), "marginal_kib_per_connection": marginal,
            "load": load_average()}


MIB = 1024 * 1024


def large_block():
    """1 MiB of 64-octet lines, every 50th starting with a dot: the content and its dot-stuffed wire form."""
    lines = [(("." if i % 50 == 0 else "") + f"line {i:06d} ").ljust(62, "x").encode() + b"\r\n" for i in range(16384)]
    content = b"".join(lines)
    wire = b"".join(b"." + l if l.startswith(b".") else l for l in lines)
    return content, wire


async def send_large(port, mib, block):
    """Sends one message of mib MiB (plus a header line) streaming; returns its queue id, octets and md5."""
    content, wire = block
    r, w = await asyncio.open_connection("127.0.0.1", port)

    async def command(line):
        w.write(line + b"\r\n")
        await w.drain()
        while True:
            reply = await r.readuntil(b"\r\n")
            if reply[3:4] == b" ":
                return reply.decode().strip()

    await r.readuntil(b"\r\n")
    await command(b"EHLO large.bench.test")
    header = f"Subject: large {mib} MiB\r\n\r\n".encode()
    size = len(header) + mib * len(content)
    for line in (f"MAIL FROM:<{FROM}> SIZE={size}".encode(), f"RCPT TO:<{TO}>".encode(), b"DATA"):
        reply = await command(line)
        if not reply.startswith(("250", "354")):
            w.close()
            return {"reply": reply, "size": size}
    digest = hashlib.md5(header)
    w.write(header)
    for _ in range(mib):
        w.write(wire)
        digest.update(content)
        await w.drain()
    reply = await command(b".")
    await command(b"QUIT")
    w.close()
    return {"reply": reply, "size": size, "md5": digest.hexdigest(),
            "queue_id": reply.rsplit(" ", 1)[-1] if reply.startswith("250") else None}


def jdbc_url(store):
    kind = store.get("type", "sqlite")
    host = store.get("host", "127.0.0.1")
    db = store.get("database", "guerrilla_test")
    if kind in ("mysql", "mariadb"):
        return f"jdbc:mariadb://{host}:{store.get('port', 3306)}/{db}"
    if kind in ("postgres", "postgresql"):
        return f"jdbc:postgresql://{host}:{store.get('port', 5432)}/{db}"
    return "jdbc:sqlite:" + store["path"]


def stored_md5s(server, sent):
    """md5 of the last size octets of each stored mail column (the body after the prepended trace headers),
    read through JDBC by bench/StoredDigest.java: no system client reads SQLite values over 1e9 octets."""
    if not sent:
        return []
    args = [hashlib.md5(s["queue_id"].encode() + b"\0" + TO.encode()).hexdigest() + ":" + str(s["size"]) for s in sent]
    out = subprocess.check_output(
        ["java", "-cp", os.path.join(ROOT, "target", "guerrillad.jar"), os.path.join(HERE, "StoredDigest.java"),
         jdbc_url(server.store), server.store.get("user", "guerrilla"), server.store.get("password", "guerrilla")] + args,
        text=True)
    return out.split()


def run_large(server, sizes_mib, concurrent):
    """Each entry of sizes_mib is sent alone, then concurrent messages of the last size at once."""
    block = large_block()
    pid = server.proc.pid
    results = []

    async def batch(sizes):
        return await asyncio.gather(*(send_large(server.port, m, block) for m in sizes))

    for sizes in [[m] for m in sizes_mib[:-1]] + [[sizes_mib[-1]] * concurrent]:
        reset_peak_rss(pid)
        start = time.monotonic()
        sent = asyncio.run(batch(sizes))
        elapsed = time.monotonic() - start
        ok = [s for s in sent if s.get("queue_id")]
        matched = sum(1 for s, digest in zip(ok, stored_md5s(server, ok)) if digest == s["md5"])
        results.append({"messages": len(sizes), "mib_each": sizes[0], "stored_250": len(ok), "md5_match": matched,
                        "replies": sorted({s["reply"].split(": queued")[0][:120] for s in sent}), "seconds": elapsed,
                        "peak_rss_mib": proc_status_kib(pid, "VmHWM") / 1024, "alive": server.proc.poll() is None})
    with open(server.log.name) as f:
        lines = f.readlines()
    failures = sorted({line.split(": ", 1)[-1].strip()[:200] for line in lines if "store write failed" in line})
    return {"runs": results, "out_of_memory_errors_logged": sum(1 for line in lines if "OutOfMemoryError" in line),
            "store_failures": failures}


def against_both(scratch, args, tag, measure):
    """measure(server) against a fresh smtp-sink, then a fresh guerrillad; each stopped afterwards."""
    row = {}
    for kind in ("smtp-sink", "guerrillad"):
        server = Sink(scratch) if kind == "smtp-sink" else Guerrillad(scratch, args.config, args.java_opts, tag)
        try:
            row[kind] = measure(server)
        finally:
            server.stop()
    return row


def median(results, key):
    values = [r[key] for r in results if r[key] is not None]
    return statistics.median(values) if values else None


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--config", default=os.path.join(HERE, "bench.yaml"), help="guerrillad config to bench")
    p.add_argument("--reps", type=int, default=3, help="measured repetitions per scenario (median reported)")
    p.add_argument("--scenarios", default="reuse-4k,large-100k,conn-per-msg-4k,idle,burst,large-messages",
                   help="comma-separated: " + ", ".join(LOAD) + ", idle, burst, large-messages")
    p.add_argument("--idle", default="5000,20000", help="idle connection counts")
    p.add_argument("--burst", type=int, default=5000, help="burst: connections opened at once")
    p.add_argument("--idle-warm-up", action="store_true", help="open and close 5,000 connections before"
                   " measuring idle memory")
    p.add_argument("--large", default="1024,50", help="large-messages: MiB of each single message, the last"
                   " also sent --large-concurrent times at once")
    p.add_argument("--large-concurrent", type=int, default=20)
    p.add_argument("--java-opts", default=os.environ.get("JAVA_OPTS", ""), help="JVM flags for guerrillad")
    p.add_argument("--json", help="also write all results to this file")
    p.add_argument("--idle-client", nargs=2, type=int, metavar=("PORT", "N"), help=argparse.SUPPRESS)
    args = p.parse_args()
    raise_nofile()
    if args.idle_client:
        return asyncio.run(idle_clients(*args.idle_client))

    scratch = tempfile.mkdtemp(prefix="guerrilla-bench-")
    print(f"# {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} load {load_average()}"
          f" config {args.config} JAVA_OPTS='{args.java_opts}' scratch {scratch}")
    out = {"config": args.config, "java_opts": args.java_opts, "scenarios": {}}
    scenarios = args.scenarios.split(",")
    try:
        for scenario in scenarios:
            if scenario == "large-messages":
                sizes = [int(m) for m in args.large.split(",")]
                # max_size admits the largest; the store timeout gives a 1 GiB commit time to finish.
                server = Guerrillad(scratch, args.config, f"-Xmx256m {args.java_opts}", "large",
                                    {"max_size": max(sizes) * MIB + MIB, "store": {"timeout": 300}})
                try:
                    row = run_large(server, sizes, args.large_concurrent)
                finally:
                    server.stop()
                out["scenarios"]["large-messages"] = row
                for r in row["runs"]:
                    print(f"large-messages (JAVA_OPTS -Xmx256m {args.java_opts}): {r['messages']} x {r['mib_each']} MiB:"
                          f" 250 for {r['stored_250']}, stored md5 matches {r['md5_match']}/{r['messages']},"
                          f" {r['seconds']:.1f} s, peak RSS {r['peak_rss_mib']:.0f} MiB, server alive {r['alive']},"
                          f" replies {r['replies']}", flush=True)
                print(f"large-messages: OutOfMemoryError lines in the server log: {row['out_of_memory_errors_logged']};"
                      f" store failures: {row['store_failures']}", flush=True)
                continue
            if scenario == "burst":
                row = against_both(scratch, args, "burst", lambda server: asyncio.run(burst(server.port, args.burst)))
                out["scenarios"][f"burst-{args.burst}"] = row
                s, g = row["smtp-sink"], row["guerrillad"]
                print(f"burst-{args.burst}: smtp-sink greeted {s['greeted']}/{s['connections']} in {s['seconds']:.2f} s;"
                      f" guerrillad greeted {g['greeted']}/{g['connections']} in {g['seconds']:.2f} s"
                      + (f" errors {g['errors']}" if g["errors"] else "") + f"; load {g['load']}", flush=True)
                continue
            if scenario == "idle":
                for count in (int(c) for c in args.idle.split(",")):
                    row = against_both(scratch, args, f"idle-{count}",
                                       lambda server: run_idle(server, count, args.idle_warm_up))
                    out["scenarios"][f"idle-{count}"] = row
                    s, g = row["smtp-sink"], row["guerrillad"]
                    print(f"idle-{count}: smtp-sink {s['kib_per_connection']:.1f} KiB/conn ({s['connections']} open);"
                          f" guerrillad {g['kib_per_connection']:.1f} KiB/conn ({g['connections']} open,"
                          f" RSS {g['rss_before_mib']:.0f}->{g['rss_after_mib']:.0f} MiB"
                          + (f", marginal {g['marginal_kib_per_connection']:.1f} KiB/conn after the first"
                             f" {9000} connections" if g["marginal_kib_per_connection"] is not None else "")
                          + f") load {g['load']}"
                          + (f" FAILED {g['failed']}" if g["failed"] else ""), flush=True)
                continue
            row = against_both(scratch, args, scenario, lambda server: run_load(server, scenario, args.reps))
            out["scenarios"][scenario] = row
            s, g = row["smtp-sink"], row["guerrillad"]
            sink_rate, rate = median(s, "msgs_per_s"), median(g, "msgs_per_s")
            stored = [r["stored"] for r in g]
            sent = [r["sent"] for r in g]
            print(f"{scenario}: smtp-sink {sink_rate:.0f}/s (cpu {median(s, 'cpu_s_per_1000'):.3f} s/1000);"
                  f" guerrillad {rate:.0f}/s = {rate / sink_rate:.2f}x smtp-sink,"
                  f" cpu {median(g, 'cpu_s_per_1000'):.3f} s/1000 msgs, peak RSS {median(g, 'peak_rss_mib'):.0f} MiB,"
                  f" stored/sent {stored}/{sent}{'' if stored == sent else ' MISMATCH'};"
                  f" runs {[round(r['msgs_per_s']) for r in g]} vs sink {[round(r['msgs_per_s']) for r in s]};"
                  f" cpu s/1000 by thread (last run) {g[-1]['thread_cpu_s_per_1000']};"
                  f" load {g[-1]['load']}", flush=True)
    finally:
        if args.json:
            with open(args.json, "w") as f:
                json.dump(out, f, indent=1)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
