package io.guerrilla.smtpd.support;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The packaged server run the way an operator runs it: {@code bin/guerrillad} as a child process
 * in its own working directory, so defaults such as {@code ./data/guerrilla.db} are exercised too.
 */
public final class ServerProcess implements AutoCloseable {
    /** JVM start on a shared 2-core machine under load, several servers at once (ClusterIT) included. */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    public final Path workDir;
    public final Path log;
    private final Process process;

    private ServerProcess(Path workDir, Process process, Path log) {
        this.workDir = workDir;
        this.process = process;
        this.log = log;
    }

    /** The repository root: failsafe runs with the module directory as working directory. */
    public static Path repo() {
        return Path.of("").toAbsolutePath();
    }

    public static Path launcher() {
        return repo().resolve("bin/guerrillad");
    }

    /**
     * Starts {@code guerrillad ARGS} in workDir and waits until {@code port} accepts connections. A
     * {@code serve} runs without the HTTP reading listener ({@code --no-http}): its default port is
     * fixed, and tests run in parallel must never bind a fixed port.
     */
    public static ServerProcess start(Path workDir, int port, String... args) throws Exception {
        List<String> withoutHttp = new ArrayList<>(List.of(args));
        if (!withoutHttp.isEmpty() && withoutHttp.get(0).equals("serve")) {
            withoutHttp.add(1, "--no-http");
        }
        return launch(workDir, port, Map.of(), withoutHttp);
    }

    /** As {@link #start(Path, int, String...)}, with extra environment (e.g. JAVA_OPTS for a small heap). */
    public static ServerProcess start(Path workDir, int port, Map<String, String> env, String... args) throws Exception {
        List<String> withoutHttp = new ArrayList<>(List.of(args));
        if (!withoutHttp.isEmpty() && withoutHttp.get(0).equals("serve")) {
            withoutHttp.add(1, "--no-http");
        }
        return launch(workDir, port, env, withoutHttp);
    }

    /** As {@link #start}, with the HTTP listener as the config says: the config must give it a free port. */
    public static ServerProcess startWithHttp(Path workDir, int port, String... args) throws Exception {
        return launch(workDir, port, Map.of(), List.of(args));
    }

    private static ServerProcess launch(Path workDir, int port, Map<String, String> env, List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>();
        // As an operator's shell or service manager starts it: a runner that started the build in the
        // background (SIGINT and SIGQUIT ignored, as in any non-interactive shell's background job)
        // would otherwise pass that on, and the JVM cannot take over a signal ignored at its start.
        cmd.addAll(List.of("env", "--default-signal=INT,QUIT,TERM,HUP"));
        env.forEach((k, v) -> cmd.add(k + "=" + v));
        cmd.add(launcher().toString());
        cmd.addAll(args);
        Path log = workDir.resolve("server.log");
        Process p = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        ServerProcess sp = new ServerProcess(workDir, p, log);
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("server exited with " + p.exitValue() + ":\n" + sp.logText());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return sp;
            } catch (IOException notYet) {
                Thread.sleep(100);
            }
        }
        sp.close();
        throw new IllegalStateException("server did not listen on " + port + ":\n" + sp.logText());
    }

    public long pid() {
        return process.pid();
    }

    public Process process() {
        return process;
    }

    public String logText() {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    /** Sends a signal by name (TERM, HUP, KILL, ...) with kill(1), as an operator would. */
    public void signal(String name) throws Exception {
        int rc = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start().waitFor();
        if (rc != 0) {
            throw new IllegalStateException("kill -" + name + " failed: " + rc);
        }
    }

    /** Waits until {@code file} contains {@code text} (a log line the server writes after an event). */
    public void awaitLog(Path file, String text, Duration max) throws Exception {
        long deadline = System.nanoTime() + max.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(file) && Files.readString(file).contains(text)) {
                return;
            }
            if (!process.isAlive()) {
                throw new IllegalStateException("server exited waiting for \"" + text + "\":\n" + logText());
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("no \"" + text + "\" in " + file + " after " + max + ":\n" + logText());
    }

    /** {@link #awaitLog(Path, String, Duration)} on the process's own output. */
    public void awaitLog(String text) throws Exception {
        awaitLog(log, text, Duration.ofSeconds(30));
    }

    public int waitForExit(Duration max) throws Exception {
        if (!process.waitFor(max.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("server still running after " + max + ":\n" + logText());
        }
        return process.exitValue();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
