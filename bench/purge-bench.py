#!/usr/bin/env python3
"""SMTP 250 latency while retention purges a large backlog, against the same run without the purge.

Fills a SQLite store (schema from `guerrillad init-db`) with --old messages received two days ago,
copies it, then starts `bin/guerrillad serve` twice on the copies: once with retention off (the
reference), once with `max_age: 1h` (its first pass, at start, deletes the whole backlog in batches
of `batch_size`). Each time a client sends messages one after another over one connection for
--seconds, timing each from MAIL to the 250 after the data (smtplib's sendmail), and the rows
purged by the end are counted. Prints p50/p99 of both runs and their ratio.

Usage: bench/purge-bench.py [--old 500000] [--seconds 40]   (needs the built jar)
"""
import argparse
import os
import shutil
import smtplib
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
LAUNCHER = os.path.join(ROOT, "bin", "guerrillad")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fill(db, rows):
    body = b"Subject: old\r\n\r\n" + b"x" * 2000 + b"\r\n"
    old = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() - 2 * 86400))
    con = sqlite3.connect(db)
    con.execute("PRAGMA synchronous=OFF")
    for start in range(0, rows, 10000):
        con.executemany('INSERT INTO new_mail (date, "from", "to", subject, body, charset, hash, content_type,'
                        ' recipient, has_attach, ip_addr, spam_score, mail) VALUES (?,?,?,?,?,?,?,?,?,?,?,0,?)',
                        [(old, "s@example.org", "old%d@bench.test" % (i % 1000), "old", "", "", "0" * 32,
                          "text/plain", "old@bench.test", 0, "127.0.0.1", body)
                         for i in range(start, min(rows, start + 10000))])
    con.commit()
    con.close()


def config(path, db, smtp, max_age):
    with open(path, "w") as f:
        f.write("listen_interface: 127.0.0.1:%d\nallowed_hosts: [bench.test]\nmax_messages_per_connection: 1000000\nlog_level: info\nstore:\n  path: %s\n"
                "retention:\n  max_age: \"%s\"\n  max_per_mailbox: 0\nhttp:\n  listen: \"\"\n" % (smtp, db, max_age))


def run(work, name, db, max_age, seconds):
    smtp = free_port()
    cfg = os.path.join(work, name + ".yaml")
    config(cfg, db, smtp, max_age)
    log = os.path.join(work, name + ".log")
    server = subprocess.Popen([LAUNCHER, "serve", "-c", cfg], stdout=open(log, "w"), stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", smtp), 0.5).close()
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    sys.exit("server did not start; see " + log)
                time.sleep(0.2)
        times = []
        msg = b"From: a@example.org\r\nSubject: new\r\n\r\n" + (b"y" * 78 + b"\r\n") * 50
        with smtplib.SMTP("127.0.0.1", smtp, timeout=60) as c:
            c.ehlo("bench")
            end = time.time() + seconds
            while time.time() < end:
                t = time.perf_counter()
                c.sendmail("a@example.org", ["new@bench.test"], msg)
                times.append((time.perf_counter() - t) * 1000)
        left = sqlite3.connect("file:%s?mode=ro" % db, uri=True).execute(
            "SELECT count(*) FROM new_mail WHERE subject = 'old'").fetchone()[0]
        return times, left
    finally:
        server.terminate()
        server.wait(60)


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100.0 * (len(values) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--old", type=int, default=500000)
    ap.add_argument("--seconds", type=int, default=40)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="purge-bench-")
    base = os.path.join(work, "base.db")
    cfg = os.path.join(work, "init.yaml")
    config(cfg, base, free_port(), "0")
    subprocess.run([LAUNCHER, "init-db", "-c", cfg], check=True, stdout=subprocess.DEVNULL)
    t = time.time()
    fill(base, args.old)
    print("filled %d old rows in %.0f s" % (args.old, time.time() - t))
    results = {}
    for name, max_age in (("reference", "0"), ("purging", "1h")):
        db = os.path.join(work, name + ".db")
        shutil.copy(base, db)
        times, left = run(work, name, db, max_age, args.seconds)
        results[name] = times
        print("  %-9s %5d messages in %d s: 250 latency p50 %6.2f ms  p99 %6.2f ms; old rows left %d"
              % (name, len(times), args.seconds, pct(times, 50), pct(times, 99), left))
    r, p = results["reference"], results["purging"]
    print("purging / reference: p50 %.2fx  p99 %.2fx  (load average %.2f)"
          % (pct(p, 50) / pct(r, 50), pct(p, 99) / pct(r, 99), os.getloadavg()[0]))
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
