package io.guerrilla.smtpd.support;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Senders that behave as an MTA's queue does towards one MX: each message is sent until it gets its
 * 250, with the same Message-ID every time; a 4xx, a reset or a connection closed before the final
 * reply means "try again", on a new connection. A connection is kept for the next message while it
 * works. Each sender sends numbered messages until told to stop, then finishes the one in hand.
 *
 * <p>What it records is what the test must hold the servers to: which messages got a 250, and which
 * had an attempt whose content was sent in full but whose final reply never came (stored or not, the
 * client cannot know: only those may legitimately be stored twice).
 */
public final class RetryingSender implements AutoCloseable {
    /** Attempts per message before the sender gives up: far more than any fault in a test needs. */
    private static final int MAX_ATTEMPTS = 200;
    /** Pause before a retry, as a queue's (much longer) back-off: keeps a dead path from becoming a busy loop. */
    private static final long RETRY_PAUSE_MS = 50;
    /**
     * Messages sent over one connection before a new one is opened, as an MTA limits reuse (Postfix's
     * smtp_connection_reuse_count_limit): new connections are what a balancer spreads over its nodes.
     */
    private static final int MESSAGES_PER_CONNECTION = 10;
    /** A reply slower than this counts as lost; above the servers' 30 s store timeout is not needed here. */
    private static final int READ_TIMEOUT_MS = 20_000;

    /** Message-IDs that got a 250 after their DATA. */
    public final Map<String, Boolean> acknowledged = new ConcurrentHashMap<>();
    /** Message-IDs with at least one attempt whose content went out but whose final reply was lost. */
    public final Map<String, AtomicInteger> lostReplies = new ConcurrentHashMap<>();
    /** Message-IDs given up after {@link #MAX_ATTEMPTS}. */
    public final Map<String, String> failed = new ConcurrentHashMap<>();
    /** Why attempts were retried: "4xx at MAIL", "reset before DATA", "lost final reply", ... with counts. */
    public final Map<String, AtomicInteger> retries = new ConcurrentHashMap<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicInteger started = new AtomicInteger();
    private final List<Thread> threads = new ArrayList<>();
    private final InetSocketAddress server;
    private final InetAddress from;

    /**
     * @param from the local address to connect from (e.g. 127.0.0.2, so that the address a server
     *             stores can only have come from a PROXY header)
     */
    public RetryingSender(String prefix, InetSocketAddress server, InetAddress from, int senders) {
        this.server = server;
        this.from = from;
        for (int i = 0; i < senders; i++) {
            Thread t = new Thread(() -> run(prefix), prefix + "-sender-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    public int acknowledgedCount() {
        return acknowledged.size();
    }

    public int retryCount() {
        return retries.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    private void run(String prefix) {
        Connection c = null;
        while (!stop.get()) {
            String messageId = prefix + "-" + started.getAndIncrement() + "@sender.test";
            for (int attempt = 1; ; attempt++) {
                if (attempt > MAX_ATTEMPTS) {
                    failed.put(messageId, "no 250 after " + MAX_ATTEMPTS + " attempts");
                    break;
                }
                try {
                    if (c == null) {
                        c = new Connection(server, from);
                    }
                    if (c.send(messageId)) {
                        acknowledged.put(messageId, true);
                        if (++c.messages == MESSAGES_PER_CONNECTION) {
                            c.quit();
                            c = null;
                        }
                        break;
                    }
                } catch (IOException e) {
                    if (c != null && c.contentSent) {
                        lostReplies.computeIfAbsent(messageId, k -> new AtomicInteger()).incrementAndGet();
                    }
                    retried(c == null ? "connect failed" : c.contentSent ? "lost final reply" : "broken at " + c.step);
                }
                if (c != null && c.lastReply != null) {
                    retried(c.lastReply.substring(0, Math.min(3, c.lastReply.length())) + " at " + c.step);
                }
                if (c != null) {
                    c.close();
                    c = null;
                }
                LoadClients.sleep(RETRY_PAUSE_MS);
            }
        }
        if (c != null) {
            c.close();
        }
    }

    private void retried(String why) {
        retries.computeIfAbsent(why, k -> new AtomicInteger()).incrementAndGet();
    }

    /** Asks every sender to stop once its message in hand is acknowledged (or given up), and waits. */
    @Override
    public void close() throws InterruptedException {
        stop.set(true);
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(60));
        }
    }

    /** One SMTP connection through the balancer; kept across messages while every reply is the expected one. */
    private static final class Connection {
        private final SmtpClient smtp;
        private boolean greeted;
        /** The message's content and its terminating dot were written: a broken connection now may hide a commit. */
        boolean contentSent;
        /** The unexpected reply that ended the attempt, if that is how it ended. */
        String lastReply;
        String step = "";
        int messages;

        Connection(InetSocketAddress server, InetAddress from) throws IOException {
            Socket s = new Socket();
            try {
                s.bind(new InetSocketAddress(from, 0));
                s.connect(server, 5_000);
            } catch (IOException e) {
                s.close();
                throw e;
            }
            smtp = new SmtpClient(s);
            smtp.timeout(READ_TIMEOUT_MS);
        }

        /** @return true on 250 after the content; false on any other reply (retry on a new connection) */
        boolean send(String messageId) throws IOException {
            contentSent = false;
            lastReply = null;
            if (!greeted) {
                step = "greeting";
                if (!expect(smtp.reply(), "220") || !command("EHLO", "EHLO sender.test", "250")) {
                    return false;
                }
                greeted = true;
            }
            if (!command("MAIL", "MAIL FROM:<sender@sender.test>", "250")
                    || !command("RCPT", "RCPT TO:<cluster@example.com>", "250")
                    || !command("DATA", "DATA", "354")) {
                return false;
            }
            step = "content";
            smtp.send("Message-ID: <" + messageId + ">\r\nSubject: " + messageId + "\r\nFrom: sender@sender.test\r\n"
                    + "To: cluster@example.com\r\n\r\nmessage " + messageId + "\r\n.\r\n");
            contentSent = true;
            step = "end of data";
            return expect(smtp.reply(), "250");
        }

        private boolean command(String step, String line, String code) throws IOException {
            this.step = step;
            return expect(smtp.command(line), code);
        }

        private boolean expect(String reply, String code) {
            if (reply.startsWith(code)) {
                return true;
            }
            lastReply = reply;
            return false;
        }

        /** Ends a connection that served its messages; a failure here no longer matters to any message. */
        void quit() {
            try {
                smtp.command("QUIT");
            } catch (IOException ignored) {
                // Every message on it has its 250 already.
            }
            close();
        }

        void close() {
            try {
                smtp.close();
            } catch (IOException alreadyBroken) {
                // The attempt is over either way; the next one opens a new connection.
            }
        }
    }
}
