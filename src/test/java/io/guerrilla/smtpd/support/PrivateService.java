package io.guerrilla.smtpd.support;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A private instance of a service (redis-server, mariadbd) on its own free port and data directory, so
 * a test can stop and start it without touching the shared one other tests use.
 */
public final class PrivateService implements AutoCloseable {
    private final List<String> command;
    private final Path log;
    public final int port;
    private Process process;

    private PrivateService(List<String> command, int port, Path log) {
        this.command = command;
        this.port = port;
        this.log = log;
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** A redis-server without persistence on a free loopback port. */
    public static PrivateService redis(Path dir) throws Exception {
        return redis(dir, List.of());
    }

    /** A redis-server on a free loopback port, without persistence unless {@code settings} (later options win) say otherwise. */
    public static PrivateService redis(Path dir, List<String> settings) throws Exception {
        String bin = Requirements.tool("redis-server");
        int port = freePort();
        List<String> cmd = new ArrayList<>(List.of(bin, "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", dir.toString()));
        cmd.addAll(settings);
        PrivateService s = new PrivateService(cmd, port, dir.resolve("redis.log"));
        s.start();
        return s;
    }

    /** A memcached on a free loopback port. */
    public static PrivateService memcached(Path dir) throws Exception {
        String bin = Requirements.tool("memcached");
        int port = freePort();
        PrivateService s = new PrivateService(List.of(bin, "-p", Integer.toString(port), "-l", "127.0.0.1", "-U", "0",
                "-u", System.getProperty("user.name"), "-m", "16"), port, dir.resolve("memcached.log"));
        s.start();
        return s;
    }

    /**
     * A mariadbd with its own data directory on a free loopback port, grant tables skipped (any user,
     * no password: it is reachable only from this machine, for one test).
     */
    public static PrivateService mariadb(Path dir) throws Exception {
        String bin = Requirements.tool("mariadbd");
        String install = Requirements.tool("mariadb-install-db");
        Path data = dir.resolve("data");
        String user = System.getProperty("user.name");
        Commands.run(List.of(install, "--no-defaults", "--datadir=" + data, "--user=" + user,
                "--auth-root-authentication-method=normal", "--skip-test-db"));
        int port = freePort();
        PrivateService s = new PrivateService(List.of(bin, "--no-defaults", "--datadir=" + data, "--user=" + user,
                "--port=" + port, "--bind-address=127.0.0.1", "--socket=" + dir.resolve("mysqld.sock"),
                "--skip-grant-tables", "--skip-log-bin", "--innodb-buffer-pool-size=32M",
                "--pid-file=" + dir.resolve("mysqld.pid")), port, dir.resolve("mariadb.log"));
        s.start();
        return s;
    }

    /** Starts (again) and waits until the port accepts connections. */
    public void start() throws Exception {
        process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(command.get(0) + " exited with " + process.exitValue() + "; see " + log);
            }
            try (Socket sock = new Socket()) {
                sock.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException(command.get(0) + " did not listen on " + port + "; see " + log);
    }

    /** Sends a signal by name (STOP, CONT, ...) with kill(1): STOP freezes the service as a hung host would. */
    public void signal(String name) throws Exception {
        int rc = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start().waitFor();
        if (rc != 0) {
            throw new IllegalStateException("kill -" + name + " failed: " + rc);
        }
    }

    /** Stops the service, as an operator's stop would (SIGTERM), and waits for it to exit. */
    public void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }

    /** Kills the service with SIGKILL, as a crash would: nothing it has not yet written survives. */
    public void kill() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly().waitFor();
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
