#!/usr/bin/env python3
"""Read-side latency: the Guerrilla Mail API (/ajax.php) and the REST list over a large SQLite store.

Fills a fresh SQLite file (the schema from `guerrillad init-db`) with --rows messages over --mailboxes
addresses, starts `bin/guerrillad serve --no-smtp` on it (HTTP only, retention off), and times
--requests rounds on one keep-alive connection, each on a random mailbox:
  check_email (newest 20 with excerpts), fetch_email (the newest one, parsed and sanitized),
  REST GET /api/v1/mailboxes/{addr}/messages?limit=20,
and, as the reference measured in the same run, the same newest-20 query straight on the file
through Python's sqlite3 (no HTTP, no JSON, no parsing). Prints p50/p99 per call in ms and each
call's p50 as a multiple of the reference's.

Usage: bench/read-bench.py [--rows 1000000] [--mailboxes 100000] [--requests 2000]
Needs the built jar (mvn -q -B -DskipTests package) and python3 with PyYAML-free stdlib only.
"""
import argparse
import http.client
import json
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DOMAIN = "bench.test"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fill(db, rows, mailboxes):
    body = ("Received: from bench\r\nFrom: sender@example.org\r\nSubject: hello\r\n"
            "Content-Type: text/plain\r\n\r\n" + "Your code is 123456. " * 100 + "\r\n").encode()
    con = sqlite3.connect(db)
    con.execute("PRAGMA synchronous=OFF")
    now = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    batch = []
    for i in range(rows):
        to = "user%d@%s" % (i % mailboxes, DOMAIN)
        batch.append((now, "sender@example.org", to, "hello %d" % i, "", "utf-8", "0" * 32, "text/plain", to, 0,
                      "127.0.0.1", body))
        if len(batch) == 10000:
            insert(con, batch)
            batch = []
    if batch:
        insert(con, batch)
    con.commit()
    con.close()


def insert(con, batch):
    con.executemany('INSERT INTO new_mail (date, "from", "to", subject, body, charset, hash, content_type, recipient,'
                    ' has_attach, ip_addr, spam_score, mail) VALUES (?,?,?,?,?,?,?,?,?,?,?,0,?)', batch)


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100.0 * (len(values) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1000000)
    ap.add_argument("--mailboxes", type=int, default=100000)
    ap.add_argument("--requests", type=int, default=2000)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="read-bench-")
    db = os.path.join(work, "mail.db")
    port = free_port()
    cfg = os.path.join(work, "g.yaml")
    with open(cfg, "w") as f:
        f.write("listen_interface: 127.0.0.1:%d\nallowed_hosts: [%s]\nlog_level: warn\nstore:\n  path: %s\n"
                "retention:\n  max_age: \"0\"\n  max_per_mailbox: 0\nhttp:\n  listen: 127.0.0.1:%d\n"
                % (free_port(), DOMAIN, db, port))
    launcher = os.path.join(ROOT, "bin", "guerrillad")
    subprocess.run([launcher, "init-db", "-c", cfg], check=True, stdout=subprocess.DEVNULL)
    t = time.time()
    fill(db, args.rows, args.mailboxes)
    print("filled %d rows over %d mailboxes in %.0f s" % (args.rows, args.mailboxes, time.time() - t))
    server = subprocess.Popen([launcher, "serve", "--no-smtp", "-c", cfg], stdout=open(os.path.join(work, "log"), "w"),
                              stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.5).close()
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    sys.exit("server did not start; see " + work + "/log")
                time.sleep(0.2)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        ref = sqlite3.connect("file:%s?mode=ro" % db, uri=True)

        def call(path):
            start = time.perf_counter()
            conn.request("GET", path)
            r = conn.getresponse()
            data = r.read()
            took = (time.perf_counter() - start) * 1000
            if r.status != 200:
                sys.exit("%s -> %d %s" % (path, r.status, data[:200]))
            return took, json.loads(data)

        times = {"check_email": [], "fetch_email": [], "rest_list": [], "reference_sqlite": []}
        rnd = random.Random(1)
        for i in range(args.requests + 100):
            addr = "user%d@%s" % (rnd.randrange(args.mailboxes), DOMAIN)
            _, s = call("/ajax.php?f=set_email_user&email_user=%s" % addr.split("@")[0])
            sid = urllib.parse.quote(s["sid_token"])
            t1, listing = call("/ajax.php?f=check_email&seq=0&sid_token=" + sid)
            t2, _ = call("/ajax.php?f=fetch_email&email_id=%s&sid_token=%s" % (listing["list"][0]["mail_id"], sid))
            t3, _ = call("/api/v1/mailboxes/%s/messages?limit=20" % urllib.parse.quote(addr))
            start = time.perf_counter()
            ref.execute('SELECT mail_id, date, "from", "to", subject, has_attach FROM new_mail WHERE "to" = ?'
                        ' ORDER BY mail_id DESC LIMIT 20', (addr,)).fetchall()
            t4 = (time.perf_counter() - start) * 1000
            if i >= 100:  # the first 100 rounds warm the JIT and the page cache
                for k, v in zip(times, (t1, t2, t3, t4)):
                    times[k].append(v)
        base = statistics.median(times["reference_sqlite"])
        print("%d rounds, %d rows, %d mailboxes (load average %.2f)" % (args.requests, args.rows, args.mailboxes,
                                                                     os.getloadavg()[0]))
        for k, v in times.items():
            print("  %-17s p50 %7.2f ms  p99 %7.2f ms  p50 = %6.1f x reference" % (k, pct(v, 50), pct(v, 99),
                                                                                 pct(v, 50) / base))
    finally:
        server.terminate()
        server.wait(30)


if __name__ == "__main__":
    main()
