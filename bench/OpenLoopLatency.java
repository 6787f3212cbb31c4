import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * An open-loop SMTP load: messages are due at a fixed rate whatever the server does, unlike
 * smtp-source's closed loop, where a slow server slows the client and hides its own latency
 * (coordinated omission). Each of --connections threads takes the next due message, waits for its
 * due time, and sends it on its own connection; a message that waited for a free connection counts
 * that wait in its "from due time" latency.
 *
 * <p>Prints, for the messages answered 250: end-of-DATA to 250 (the server's store latency as the
 * client sees it) and due time to 250, each p50/p99/p99.9 in ms; and how many got 4xx, 5xx, a
 * closed connection or no answer within --timeout seconds.
 *
 * <pre>java bench/OpenLoopLatency.java --port 2525 --rate 2000 --seconds 20 [--size 4096]
 *      [--connections 200] [--to bench@example.com] [--timeout 60]</pre>
 */
public final class OpenLoopLatency {

    public static void main(String[] args) throws Exception {
        String host = "127.0.0.1";
        int port = 2525;
        double rate = 1000;
        double seconds = 10;
        int size = 4096;
        int connections = 200;
        String to = "bench@example.com";
        int timeout = 60;
        for (int i = 0; i < args.length; i += 2) {
            String v = args[i + 1];
            switch (args[i]) {
                case "--host" -> host = v;
                case "--port" -> port = Integer.parseInt(v);
                case "--rate" -> rate = Double.parseDouble(v);
                case "--seconds" -> seconds = Double.parseDouble(v);
                case "--size" -> size = Integer.parseInt(v);
                case "--connections" -> connections = Integer.parseInt(v);
                case "--to" -> to = v;
                case "--timeout" -> timeout = Integer.parseInt(v);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        long total = Math.round(rate * seconds);
        byte[] body = body(size);
        Load load = new Load(host, port, to, timeout, body, total, 1e9 / rate, System.nanoTime() + 500_000_000L);
        List<Thread> workers = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            Thread t = new Thread(load::work, "client-" + c);
            t.start();
            workers.add(t);
        }
        for (Thread t : workers) {
            t.join();
        }
        load.report(rate, seconds, size, connections);
    }

    private static byte[] body(int size) {
        StringBuilder b = new StringBuilder("From: bench@example.org\r\nSubject: open loop\r\n\r\n");
        while (b.length() < size) {
            b.append("The quick brown fox jumps over the lazy dog. 0123456789 abcdefghijklmnopqrstuvwxyz\r\n");
        }
        b.setLength(size - 2);
        b.append("\r\n");
        return b.toString().getBytes(StandardCharsets.US_ASCII);
    }

    private static final class Load {
        final String host;
        final int port;
        final String to;
        final int timeoutMs;
        final byte[] body;
        final long total;
        final double intervalNanos;
        final long start;
        final AtomicLong next = new AtomicLong();
        final long[] storeLatency;
        final long[] dueLatency;
        final AtomicLong accepted = new AtomicLong();
        final LongAdder tempFail = new LongAdder();
        final LongAdder permFail = new LongAdder();
        final LongAdder closed = new LongAdder();
        final LongAdder timedOut = new LongAdder();
        volatile long lastAnswer;

        Load(String host, int port, String to, int timeoutSeconds, byte[] body, long total, double intervalNanos, long start) {
            this.host = host;
            this.port = port;
            this.to = to;
            this.timeoutMs = timeoutSeconds * 1000;
            this.body = body;
            this.total = total;
            this.intervalNanos = intervalNanos;
            this.start = start;
            this.storeLatency = new long[(int) total];
            this.dueLatency = new long[(int) total];
        }

        void work() {
            Connection conn = null;
            for (long i = next.getAndIncrement(); i < total; i = next.getAndIncrement()) {
                long due = start + (long) (i * intervalNanos);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    sleep(wait);
                }
                try {
                    if (conn == null) {
                        conn = new Connection(host, port, timeoutMs);
                    }
                    long[] times = conn.send(to, body);
                    long done = System.nanoTime();
                    lastAnswer = done;
                    int code = (int) times[1];
                    if (code == 250) {
                        int slot = (int) accepted.getAndIncrement();
                        storeLatency[slot] = done - times[0];
                        dueLatency[slot] = done - due;
                    } else if (code >= 500) {
                        permFail.increment();
                    } else {
                        tempFail.increment();
                        if (code == 421) {
                            conn.close();
                            conn = null;
                        }
                    }
                } catch (SocketTimeoutException e) {
                    timedOut.increment();
                    conn = closeQuietly(conn);
                } catch (IOException e) {
                    closed.increment();
                    conn = closeQuietly(conn);
                }
            }
            closeQuietly(conn);
        }

        private static Connection closeQuietly(Connection c) {
            if (c != null) {
                c.close();
            }
            return null;
        }

        private static void sleep(long nanos) {
            try {
                Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        void report(double rate, double seconds, int size, int connections) {
            int n = (int) accepted.get();
            long[] store = Arrays.copyOf(storeLatency, n);
            long[] due = Arrays.copyOf(dueLatency, n);
            Arrays.sort(store);
            Arrays.sort(due);
            double took = (lastAnswer - start) / 1e9;
            System.out.printf("offered %.0f msgs/s for %.0f s (%d x %d bytes, %d connections): answered in %.1f s%n",
                    rate, seconds, total, size, connections, took);
            System.out.printf("250: %d (%.0f msgs/s)  4xx: %d  5xx: %d  connection closed: %d  no answer in %d s: %d%n",
                    n, n / took, tempFail.sum(), permFail.sum(), closed.sum(), timeoutMs / 1000, timedOut.sum());
            if (n > 0) {
                System.out.printf("end of DATA -> 250: p50 %.2f  p99 %.2f  p99.9 %.2f  max %.2f ms%n",
                        ms(store, 0.50), ms(store, 0.99), ms(store, 0.999), store[n - 1] / 1e6);
                System.out.printf("due time    -> 250: p50 %.2f  p99 %.2f  p99.9 %.2f  max %.2f ms%n",
                        ms(due, 0.50), ms(due, 0.99), ms(due, 0.999), due[n - 1] / 1e6);
            }
        }

        private static double ms(long[] sorted, double q) {
            return sorted[Math.min(sorted.length - 1, (int) Math.round(q * (sorted.length - 1)))] / 1e6;
        }
    }

    /** One SMTP session, kept open across messages. */
    private static final class Connection {
        final Socket socket;
        final InputStream in;
        final OutputStream out;

        Connection(String host, int port, int timeoutMs) throws IOException {
            socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(host, port), timeoutMs);
            socket.setSoTimeout(timeoutMs);
            in = new BufferedInputStream(socket.getInputStream());
            out = socket.getOutputStream();
            expect(reply(), 220);
            out.write("EHLO openloop.example\r\n".getBytes(StandardCharsets.US_ASCII));
            expect(reply(), 250);
        }

        /** Returns {end-of-DATA nanoTime, final reply code}. */
        long[] send(String to, byte[] body) throws IOException {
            out.write(("MAIL FROM:<bench@example.org>\r\n").getBytes(StandardCharsets.US_ASCII));
            int code = reply();
            if (code != 250) {
                return new long[] {System.nanoTime(), code};
            }
            out.write(("RCPT TO:<" + to + ">\r\n").getBytes(StandardCharsets.US_ASCII));
            code = reply();
            if (code != 250) {
                rset();
                return new long[] {System.nanoTime(), code};
            }
            out.write("DATA\r\n".getBytes(StandardCharsets.US_ASCII));
            code = reply();
            if (code != 354) {
                rset();
                return new long[] {System.nanoTime(), code};
            }
            out.write(body);
            out.write(".\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            long endOfData = System.nanoTime();
            return new long[] {endOfData, reply()};
        }

        private void rset() throws IOException {
            out.write("RSET\r\n".getBytes(StandardCharsets.US_ASCII));
            reply();
        }

        /** Reads a (possibly multi-line) reply and returns its code; IOException when the server closed. */
        private int reply() throws IOException {
            while (true) {
                StringBuilder line = new StringBuilder();
                int b;
                while ((b = in.read()) != '\n') {
                    if (b < 0) {
                        throw new IOException("connection closed by the server");
                    }
                    line.append((char) b);
                }
                if (line.length() < 4 || line.charAt(3) != '-') {
                    return Integer.parseInt(line.substring(0, 3));
                }
            }
        }

        private static void expect(int code, int wanted) throws IOException {
            if (code != wanted) {
                throw new IOException("server answered " + code + ", expected " + wanted);
            }
        }

        void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // The connection is being dropped anyway.
            }
        }
    }
}
