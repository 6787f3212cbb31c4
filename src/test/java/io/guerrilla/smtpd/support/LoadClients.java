package io.guerrilla.smtpd.support;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Concurrent SMTP clients that send numbered messages until told to stop, remembering which subjects
 * got a 250 (the server promised to have stored them) and how every other reply went. Bounded: each
 * client stops after {@code maxPerClient} messages whatever happens.
 */
public final class LoadClients implements AutoCloseable {
    public final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    public final Map<String, AtomicInteger> otherReplies = new ConcurrentHashMap<>();
    /** Subjects answered with anything but 250: a row for one of these is a duplicate the sender will send again. */
    public final Set<String> refused = ConcurrentHashMap.newKeySet();
    /** Subjects whose connection broke before the final reply: neither promised nor refused. */
    public final Set<String> unanswered = ConcurrentHashMap.newKeySet();
    public final AtomicInteger attempts = new AtomicInteger();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Thread> threads = new ArrayList<>();

    /**
     * @param reconnect whether a client whose connection broke connects again (outage) or ends (crash)
     */
    public LoadClients(String prefix, int port, int clients, int maxPerClient, boolean reconnect) {
        for (int i = 0; i < clients; i++) {
            String name = prefix + "-" + i;
            Thread t = new Thread(() -> run(name, port, maxPerClient, reconnect), name);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    private void run(String name, int port, int max, boolean reconnect) {
        int n = 0;
        while (!stop.get() && n < max) {
            String subject = null;
            try (SmtpClient c = new SmtpClient(port)) {
                c.reply();
                c.command("EHLO " + name + ".load.test");
                while (!stop.get() && n < max) {
                    subject = name + "-" + n++;
                    attempts.incrementAndGet();
                    c.command("MAIL FROM:<load@load.test>");
                    c.command("RCPT TO:<load@example.com>");
                    c.command("DATA");
                    c.send("Subject: " + subject + "\r\n\r\nload test message " + subject + "\r\n.\r\n");
                    String reply = c.reply();
                    if (reply.startsWith("250 ")) {
                        acknowledged.add(subject);
                    } else {
                        refused.add(subject);
                        otherReplies.computeIfAbsent(reply.substring(0, Math.min(9, reply.length())),
                                k -> new AtomicInteger()).incrementAndGet();
                        if (reply.startsWith("4")) {
                            // A real sender backs off after a temporary failure; a tight retry loop would only burn CPU.
                            sleep(20);
                        } else {
                            c.command("RSET");
                        }
                    }
                    subject = null;
                }
            } catch (IOException broken) {
                if (subject != null) {
                    unanswered.add(subject);
                }
                if (!reconnect) {
                    return;
                }
                sleep(100);
            }
        }
    }

    public int count(String replyPrefix) {
        AtomicInteger n = otherReplies.get(replyPrefix);
        return n == null ? 0 : n.get();
    }

    /** A pause that an interrupt ends early (keeping the interrupt): for client threads backing off. */
    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Asks every client to stop after its current message and waits for them. */
    @Override
    public void close() throws InterruptedException {
        stop.set(true);
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(30));
        }
    }
}
