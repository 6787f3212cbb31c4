#!/usr/bin/env python3
"""Extra resident memory of N open Server-Sent Events subscribers on one guerrillad process.

Starts the packaged server (bin/guerrillad serve --no-smtp is not used: SMTP runs too, as by default),
reads its RSS from /proc, opens N event streams on N different mailboxes over raw sockets, waits for
every stream's ': open' line, reads RSS again, then delivers one message to one subscribed mailbox
and checks that its stream got the event. Reports the difference per subscriber and in all.

  python3 bench/sse_rss.py [N]     (default 1000; run from the repository root after mvn package)
"""
import os, socket, subprocess, sys, tempfile, time, smtplib

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1000

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def rss_kib(pid):
    # The launcher execs java, so the pid is the JVM's.
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])

def main():
    smtp, http = free_port(), free_port()
    work = tempfile.mkdtemp(prefix="sse-rss-")
    cfg = os.path.join(work, "g.yaml")
    with open(cfg, "w") as f:
        f.write(f"listen_interface: 127.0.0.1:{smtp}\nallowed_hosts: [bench.test]\n"
                f"http:\n  listen: 127.0.0.1:{http}\n  max_subscribers_per_client: {N + 10}\n"
                f"  max_connections: {N + 100}\nstore:\n  path: {work}/mail.db\n")
    log = open(os.path.join(work, "server.log"), "w")
    server = subprocess.Popen([os.path.abspath("bin/guerrillad"), "serve", "-c", cfg], stdout=log, stderr=log, cwd=work)
    try:
        for port in (smtp, http):
            deadline = time.time() + 120
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), 0.2).close(); break
                except OSError:
                    if time.time() > deadline or server.poll() is not None:
                        raise SystemExit("server did not listen on %d; see %s/server.log" % (port, work))
                    time.sleep(0.2)
        # Settle: one request through each path, so lazily created pools exist before the baseline.
        smtplib.SMTP("127.0.0.1", smtp).sendmail("a@b.test", ["warm@bench.test"], "Subject: warm\r\n\r\nx\r\n")
        warm = open_stream(http, "warm@bench.test"); read_until(warm, b": open")
        time.sleep(2)
        before = rss_kib(server.pid)
        streams = []
        for i in range(N):
            streams.append(open_stream(http, f"box{i}@bench.test"))
        for s in streams:
            read_until(s, b": open")
        time.sleep(2)
        after = rss_kib(server.pid)
        smtplib.SMTP("127.0.0.1", smtp).sendmail("a@b.test", [f"box{N // 2}@bench.test"], "Subject: live\r\n\r\nx\r\n")
        read_until(streams[N // 2], b"event: message")
        extra = after - before
        print(f"{N} subscribers: RSS {before / 1024:.1f} MiB -> {after / 1024:.1f} MiB, "
              f"extra {extra / 1024:.1f} MiB ({extra / N:.1f} KiB each); live event delivered")
        for s in streams:
            s.close()
    finally:
        server.terminate(); server.wait(30)

def open_stream(port, mailbox):
    s = socket.create_connection(("127.0.0.1", port), 10)
    s.sendall(f"GET /api/v1/mailboxes/{mailbox}/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n".encode())
    s.settimeout(60)
    buffers[s] = b""
    return s

buffers = {}

def read_until(s, marker):
    while marker not in buffers[s]:
        chunk = s.recv(4096)
        if not chunk:
            raise SystemExit("stream closed before " + marker.decode())
        buffers[s] += chunk

if __name__ == "__main__":
    main()
