package io.guerrilla.smtpd.support;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Ports for child processes, which cannot be told "bind 0 and tell me": free now, on loopback. */
public final class Ports {
    private Ports() {
    }

    public static int free() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** True when nothing accepts connections on 127.0.0.1:port. */
    public static boolean refused(int port) {
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 500);
            return false;
        } catch (IOException e) {
            return true;
        }
    }
}
