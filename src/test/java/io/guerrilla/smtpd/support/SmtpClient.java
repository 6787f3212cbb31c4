package io.guerrilla.smtpd.support;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A deliberately dumb SMTP client over a raw socket: it sends exactly the bytes it is given, so
 * tests can send what no well-behaved library would (bare LFs, pipelined groups, garbage).
 */
public final class SmtpClient implements AutoCloseable {
    private Socket socket;
    private InputStream in;
    private OutputStream out;

    public SmtpClient(int port) throws IOException {
        this("127.0.0.1", port);
    }

    public SmtpClient(String host, int port) throws IOException {
        this(new Socket(host, port));
    }

    /** Over a socket already connected (e.g. from a chosen local address). */
    public SmtpClient(Socket connected) throws IOException {
        socket = connected;
        socket.setSoTimeout(10_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    /** How long a read may wait before failing; load tests on a busy machine want more than the default. */
    public void timeout(int millis) throws IOException {
        socket.setSoTimeout(millis);
    }

    public void send(String s) throws IOException {
        send(s.getBytes(StandardCharsets.UTF_8));
    }

    public void send(byte[] b) throws IOException {
        out.write(b);
        out.flush();
    }

    /** Sends a command line (CRLF added) and returns its complete reply. */
    public String command(String line) throws IOException {
        send(line + "\r\n");
        return reply();
    }

    /** Reads one complete reply (all its lines), without the final CRLF. */
    public String reply() throws IOException {
        StringBuilder all = new StringBuilder();
        while (true) {
            String line = readLine();
            if (line == null) {
                throw new IOException("connection closed; got so far: " + all);
            }
            if (all.length() > 0) {
                all.append('\n');
            }
            all.append(line);
            if (line.length() < 4 || line.charAt(3) != '-') {
                return all.toString();
            }
        }
    }

    /** Reads the next {@code n} complete replies, as a client does after a pipelined group. */
    public List<String> replies(int n) throws IOException {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(reply());
        }
        return out;
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int prev = -1;
        while (true) {
            int b = in.read();
            if (b < 0) {
                return buf.size() == 0 ? null : buf.toString(StandardCharsets.UTF_8);
            }
            if (b == '\n' && prev == '\r') {
                byte[] bytes = buf.toByteArray();
                return new String(bytes, 0, bytes.length - 1, StandardCharsets.UTF_8);
            }
            buf.write(b);
            prev = b;
        }
    }

    /** True when the server closed the connection (EOF) within the socket timeout. */
    public boolean closedByServer() throws IOException {
        try {
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    /** Whatever arrives within {@code millis}, for asserting that nothing (more) was answered. */
    public String drain(int millis) throws IOException {
        socket.setSoTimeout(millis);
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try {
            int b;
            while ((b = in.read()) >= 0) {
                buf.write(b);
            }
        } catch (SocketTimeoutException ignored) {
            // Nothing more came: that is the answer.
        } catch (SocketException reset) {
            // The server closed with our bytes unread (RST): what arrived before is the answer.
        } finally {
            socket.setSoTimeout(10_000);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    /**
     * One whole transaction after EHLO: MAIL, RCPT, DATA and a short message with that subject.
     * Fails unless every step is accepted; returns the reply to the end of data.
     */
    public String transaction(String from, String rcpt, String subject) throws IOException {
        expect(command("MAIL FROM:<" + from + ">"), "250 ");
        expect(command("RCPT TO:<" + rcpt + ">"), "250 ");
        expect(command("DATA"), "354 ");
        return expect(command("Subject: " + subject + "\r\n\r\nhello\r\n."), "250 2.0.0 Ok: queued as ");
    }

    private static String expect(String reply, String prefix) {
        if (!reply.startsWith(prefix)) {
            throw new AssertionError("expected a reply starting \"" + prefix + "\" but got: " + reply);
        }
        return reply;
    }

    /**
     * Turns this connection into TLS (after the server's 220 to STARTTLS, or at once for implicit
     * TLS), offering only the given protocols when any are named; the handshake fails as an IOException.
     */
    public SSLSession startTls(SSLContext context, String... protocols) throws IOException {
        SSLSocket tls = (SSLSocket) context.getSocketFactory().createSocket(socket, "127.0.0.1", socket.getPort(), true);
        if (protocols.length > 0) {
            tls.setEnabledProtocols(protocols);
        }
        tls.setUseClientMode(true);
        tls.startHandshake();
        socket = tls;
        in = tls.getInputStream();
        out = tls.getOutputStream();
        return tls.getSession();
    }

    /**
     * One whole transaction on a new connection; returns the reply to the end of data, or the first
     * reply that was not the expected 2xx/3xx (e.g. the 550 to RCPT).
     */
    public static String deliver(int port, String from, String to, String subject) throws IOException {
        try (SmtpClient c = new SmtpClient(port)) {
            for (String line : new String[] {null, "EHLO client.test", "MAIL FROM:<" + from + ">", "RCPT TO:<" + to + ">",
                    "DATA"}) {
                String r = line == null ? c.reply() : c.command(line);
                if (r.charAt(0) != '2' && r.charAt(0) != '3') {
                    return r;
                }
            }
            String reply = c.command("From: " + from + "\r\nSubject: " + subject + "\r\n\r\nhello\r\n.");
            c.command("QUIT");
            return reply;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
