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

With --under-smtp, the server also receives mail: smtp-source sends at full speed (closed loop, 20
sessions of 4 KiB messages) to random mailboxes of the same store, alternately with and without the
readers (--pollers background readers each calling check_email once a second, as a page of the
Guerrilla Mail API does, plus the timed rounds), and the script prints the readers' p50/p99 while
mail flows and SMTP msgs/s with readers as a share of msgs/s without them.

Usage: bench/read-bench.py [--rows 1000000] [--mailboxes 100000] [--requests 2000]
                           [--under-smtp [--pollers 100] [--smtp-messages 20000] [--reps 3]]
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
import threading
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
    ap.add_argument("--under-smtp", action="store_true", help="time the readers while SMTP receives at full speed")
    ap.add_argument("--pollers", type=int, default=100, help="--under-smtp: readers polling check_email each second")
    ap.add_argument("--smtp-messages", type=int, default=20000, help="--under-smtp: messages per smtp-source run")
    ap.add_argument("--reps", type=int, default=3, help="--under-smtp: runs with and without readers, alternated")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="read-bench-")
    db = os.path.join(work, "mail.db")
    port = free_port()
    smtp_port = free_port()
    cfg = os.path.join(work, "g.yaml")
    with open(cfg, "w") as f:
        # Per-address limits off: every benchmark connection comes from 127.0.0.1 (as bench/bench.yaml).
        f.write("listen_interface: 127.0.0.1:%d\nallowed_hosts: [%s]\nlog_level: warn\nmax_connections_per_ip: 0\n"
                "connection_rate_per_ip: 0\nmax_messages_per_connection: 100000\nstore:\n  path: %s\n"
                "retention:\n  max_age: \"0\"\n  max_per_mailbox: 0\nhttp:\n  listen: 127.0.0.1:%d\n"
                % (smtp_port, DOMAIN, db, port))
    launcher = os.path.join(ROOT, "bin", "guerrillad")
    subprocess.run([launcher, "init-db", "-c", cfg], check=True, stdout=subprocess.DEVNULL)
    t = time.time()
    fill(db, args.rows, args.mailboxes)
    print("filled %d rows over %d mailboxes in %.0f s" % (args.rows, args.mailboxes, time.time() - t))
    serve = [launcher, "serve", "-c", cfg] if args.under_smtp else [launcher, "serve", "--no-smtp", "-c", cfg]
    server = subprocess.Popen(serve, stdout=open(os.path.join(work, "log"), "w"), stderr=subprocess.STDOUT)
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
        if args.under_smtp:
            under_smtp(args, smtp_port, port, times, call, ref, rnd)
            return
        for i in range(args.requests + 100):
            took = round_trip(call, ref, rnd, args.mailboxes)
            if i >= 100:  # the first 100 rounds warm the JIT and the page cache
                for k, v in zip(times, took):
                    times[k].append(v)
        report(args, times)
    finally:
        server.terminate()
        server.wait(30)


def report(args, times):
    base = statistics.median(times["reference_sqlite"])
    print("%d rounds, %d rows, %d mailboxes (load average %.2f)" % (len(times["rest_list"]), args.rows,
                                                                 args.mailboxes, os.getloadavg()[0]))
    for k, v in times.items():
        print("  %-17s p50 %7.2f ms  p99 %7.2f ms  p50 = %6.1f x reference" % (k, pct(v, 50), pct(v, 99),
                                                                             pct(v, 50) / base))


def round_trip(call, ref, rnd, mailboxes):
    """One reader's visit: pick an address, list it (Guerrilla API and REST), open the newest message."""
    addr = "user%d@%s" % (rnd.randrange(mailboxes), DOMAIN)
    _, s = call("/ajax.php?f=set_email_user&email_user=%s" % addr.split("@")[0])
    sid = urllib.parse.quote(s["sid_token"])
    t1, listing = call("/ajax.php?f=check_email&seq=0&sid_token=" + sid)
    t2, _ = call("/ajax.php?f=fetch_email&email_id=%s&sid_token=%s" % (listing["list"][0]["mail_id"], sid))
    t3, _ = call("/api/v1/mailboxes/%s/messages?limit=20" % urllib.parse.quote(addr))
    start = time.perf_counter()
    ref.execute('SELECT mail_id, date, "from", "to", subject, has_attach FROM new_mail WHERE "to" = ?'
                ' ORDER BY mail_id DESC LIMIT 20', (addr,)).fetchall()
    return t1, t2, t3, (time.perf_counter() - start) * 1000


def smtp_source(smtp_port, messages, rnd, mailboxes):
    """smtp-source at full speed (closed loop); returns msgs/s. Recipients spread over the mailboxes."""
    to = "user%d@%s" % (rnd.randrange(mailboxes), DOMAIN)
    start = time.time()
    subprocess.run(["/usr/sbin/smtp-source", "-d", "-s", "20", "-l", "4096", "-m", str(messages),
                    "-f", "bench@example.org", "-t", to, "127.0.0.1:%d" % smtp_port],
                   check=True, stdout=subprocess.DEVNULL)
    return messages / (time.time() - start)


def poller(port, stop, mailboxes, seed, errors):
    """A page of the Guerrilla Mail API: check_email once a second on its own keep-alive connection."""
    rnd = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/ajax.php?f=set_email_user&email_user=user%d" % rnd.randrange(mailboxes))
    sid = urllib.parse.quote(json.loads(conn.getresponse().read())["sid_token"])
    while not stop.wait(1.0):
        conn.request("GET", "/ajax.php?f=check_email&seq=0&sid_token=" + sid)
        r = conn.getresponse()
        r.read()
        if r.status != 200:
            errors.append(r.status)


def under_smtp(args, smtp_port, port, times, call, ref, rnd):
    for _ in range(100):  # warm the JIT and the page cache on the read side
        round_trip(call, ref, rnd, args.mailboxes)
    smtp_source(smtp_port, args.smtp_messages, rnd, args.mailboxes)  # and on the receiving side
    alone, beside = [], []
    errors = []
    for rep in range(args.reps):
        alone.append(smtp_source(smtp_port, args.smtp_messages, rnd, args.mailboxes))
        stop = threading.Event()
        pollers = [threading.Thread(target=poller, args=(port, stop, args.mailboxes, rep * 1000 + n, errors),
                                    daemon=True) for n in range(args.pollers)]
        for t in pollers:
            t.start()
        result = {}
        sender = threading.Thread(target=lambda: result.update(rate=smtp_source(
            smtp_port, args.smtp_messages, random.Random(rep), args.mailboxes)))
        sender.start()
        while sender.is_alive():
            for k, v in zip(times, round_trip(call, ref, rnd, args.mailboxes)):
                times[k].append(v)
        sender.join()
        stop.set()
        for t in pollers:
            t.join()
        beside.append(result["rate"])
        print("rep %d: SMTP alone %.0f msgs/s, with readers %.0f msgs/s" % (rep + 1, alone[-1], beside[-1]))
    if errors:
        sys.exit("pollers got HTTP errors: %s" % errors[:10])
    print("SMTP with %d pollers + the timed reader: %.0f msgs/s, alone %.0f msgs/s (median of %d) = %.1f%% of alone"
          % (args.pollers, statistics.median(beside), statistics.median(alone), args.reps,
             100.0 * statistics.median(beside) / statistics.median(alone)))
    print("readers while SMTP receives:")
    report(args, times)


if __name__ == "__main__":
    main()
