package io.guerrilla.smtpd.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.guerrilla.smtpd.support.Commands;
import io.guerrilla.smtpd.support.Ports;
import io.guerrilla.smtpd.support.Requirements;
import io.guerrilla.smtpd.support.ServerProcess;
import io.guerrilla.smtpd.support.SmtpClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * packaging/Dockerfile built without a daemon by buildah, on a base made from this machine's JDK
 * (packaging/container/local-base.sh: CI has no registry), then run: the image's own health check
 * answers and a message sent to it is stored in its volume.
 */
class ContainerImageIT {
    private static final String BASE = "localhost/guerrillad-base:17-local";
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void buildsRunsAndAnswersItsHealthCheck(@TempDir Path dir) throws Exception {
        String buildah = Requirements.tool("buildah");
        String image = "localhost/guerrillad:it-" + UUID.randomUUID().toString().substring(0, 8);
        Commands.run(List.of(ServerProcess.repo().resolve("packaging/container/local-base.sh").toString(), BASE));
        Commands.run(buildah(buildah, "bud", "--format", "docker", "--build-arg", "BASE_IMAGE=" + BASE,
                "-f", "packaging/Dockerfile", "-t", image, "."));
        String ctr = null;
        try {
            JsonNode config = JSON.readTree(Commands.run(buildah(buildah, "inspect", "--type", "image", image)))
                    .path("Docker").path("config");
            assertThat(config.path("StopSignal").asText()).isEqualTo("SIGTERM");
            assertThat(config.path("User").asText()).isEqualTo("guerrillad");
            assertThat(config.path("Volumes").has("/var/lib/guerrillad")).isTrue();
            List<String> exposed = new ArrayList<>();
            config.path("ExposedPorts").fieldNames().forEachRemaining(exposed::add);
            String imageConfig = Files.readString(Path.of("packaging/docker/guerrillad.yaml"));
            Matcher listen = Pattern.compile("listen_interface: [^:]+:(\\d+)").matcher(imageConfig);
            assertThat(listen.find()).isTrue();
            assertThat(exposed).as("only the configured SMTP port").containsExactly(listen.group(1) + "/tcp");
            List<String> healthcheck = new ArrayList<>();
            config.path("Healthcheck").path("Test").forEach(n -> healthcheck.add(n.asText()));
            assertThat(healthcheck).contains("CMD", "/opt/guerrillad/bin/guerrillad", "health");
            assertThat(imageConfig).contains("admin:\n  listen: 127.0.0.1:");
            Matcher shutdown = Pattern.compile("shutdown_timeout: (\\d+)").matcher(imageConfig);
            Matcher stop = Pattern.compile("--stop-timeout (\\d+)").matcher(Files.readString(Path.of("packaging/Dockerfile")));
            assertThat(shutdown.find() && stop.find()).isTrue();
            assertThat(Integer.parseInt(stop.group(1))).isGreaterThan(Integer.parseInt(shutdown.group(1)));

            ctr = Commands.run(buildah(buildah, "from", image)).strip();
            assertThat(Commands.run(buildah(buildah, "run", ctr, "--", "stat", "-c", "%U %a", "/var/lib/guerrillad")).strip())
                    .isEqualTo("guerrillad 750");

            // Chroot isolation shares this machine's network: the image's config with free ports mounted over it.
            int smtp = Ports.free();
            int admin = Ports.free();
            Path cfg = dir.resolve("guerrillad.yaml");
            Files.writeString(cfg, imageConfig.replace("0.0.0.0:2525", "127.0.0.1:" + smtp)
                    .replace("127.0.0.1:8025", "127.0.0.1:" + admin));
            cfg.toFile().setReadable(true, false);
            dir.toFile().setExecutable(true, false);
            String mount = cfg + ":/etc/guerrillad/guerrillad.yaml:ro";
            Process server = new ProcessBuilder(buildah(buildah, "run", "-v", mount, ctr, "--",
                    "/opt/guerrillad/bin/guerrillad", "serve", "-c", "/etc/guerrillad/guerrillad.yaml"))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("server.log").toFile()).start();
            try {
                awaitPort(server, smtp, dir.resolve("server.log"));
                assertThat(SmtpClient.deliver(smtp, "a@example.net", "someone@localhost", "in a container"))
                        .startsWith("250 ");
                List<String> check = new ArrayList<>(List.of("run", "-v", mount, ctr, "--"));
                check.addAll(healthcheck.subList(1, healthcheck.size()));
                Commands.Result health = Commands.exec(buildah(buildah, check.toArray(String[]::new)));
                assertThat(health.exitCode()).as(health.output()).isZero();
                assertThat(health.output()).contains("/healthz: ok");
                assertThat(Commands.run(buildah(buildah, "run", ctr, "--", "ls", "-l", "/var/lib/guerrillad")))
                        .contains("guerrilla.db").contains("guerrillad");
            } finally {
                server.descendants().forEach(ProcessHandle::destroy);
                server.destroy();
                server.waitFor(30, TimeUnit.SECONDS);
            }
        } finally {
            if (ctr != null) {
                Commands.exec(buildah(buildah, "rm", ctr));
            }
            Commands.exec(buildah(buildah, "rmi", image));
        }
    }

    /** buildah with chroot isolation: no cgroup set-up, which a machine without systemd cannot give it. */
    private static List<String> buildah(String buildah, String... args) {
        List<String> cmd = new ArrayList<>(List.of("env", "BUILDAH_ISOLATION=chroot", buildah));
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static void awaitPort(Process p, int port, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("container exited:\n" + Files.readString(log));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("container did not listen on " + port + ":\n" + Files.readString(log));
    }
}
