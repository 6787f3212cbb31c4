package io.guerrilla.smtpd.it;

import io.guerrilla.smtpd.config.StoreConfig;
import io.guerrilla.smtpd.support.Databases;
import io.guerrilla.smtpd.support.NeedsServices;
import io.guerrilla.smtpd.support.Ports;
import io.guerrilla.smtpd.support.Requirements;
import io.guerrilla.smtpd.support.RetryingSender;
import io.guerrilla.smtpd.support.ServerProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Several nodes, as docs/deployment.md deploys them: three packaged servers on one MariaDB database
 * behind HAProxy ({@code mode tcp}, PROXY protocol v2, health checks on each node's {@code /readyz}),
 * and senders that retry as an MTA does. Mid-load one node is killed with -9 and another is drained
 * with SIGTERM and started again. Every message must end acknowledged, every acknowledged message
 * stored once (twice only where a reply was lost with its connection, so that the sender could not
 * know), with the original client's address and the name of the node that took it.
 */
class ClusterIT {
    private static final int NODES = 3;
    private static final int SENDERS = 8;
    /** Acknowledged messages between one step of the test and the next: enough for every node to take some. */
    private static final int STEP = 250;
    /** Bounded wait for each step; the whole test takes well under a minute when nothing is wrong. */
    private static final Duration STEP_TIMEOUT = Duration.ofSeconds(60);
    /** The sender's own address: not the balancer's (127.0.0.1), so a stored 127.0.0.2 came from the PROXY header. */
    private static final String CLIENT_ADDRESS = "127.0.0.2";
    private static final Pattern RECEIVED_BY = Pattern.compile("\tby mx\\.cluster\\.test \\(guerrillad (node-\\d)\\) with ESMTP id (\\w+)");
    private static final Pattern STORED_LINE = Pattern.compile("message stored .*queue_id=(\\w+)");

    @NeedsServices
    @Test
    void everyAcknowledgedMessageIsStoredOnceThroughAKillAndADrain(@TempDir Path dir) throws Exception {
        String haproxyBinary = Requirements.tool("haproxy");
        StoreConfig store = Databases.privateDatabase("mysql", "cluster", dir);
        List<Node> nodes = new ArrayList<>();
        for (int i = 1; i <= NODES; i++) {
            nodes.add(Node.configure(dir, i, store));
        }
        int front = Ports.free();
        Path haproxyConfig = dir.resolve("haproxy.cfg");
        Files.writeString(haproxyConfig, haproxyConfig(nodes));

        List<ServerProcess> started = Collections.synchronizedList(new ArrayList<>());
        Map<Node, ServerProcess> firstRuns = new ConcurrentHashMap<>();
        Process haproxy = null;
        RetryingSender sender = null;
        try {
            // In parallel; allOf waits for every start to end, so one that fails leaves none running unseen.
            CompletableFuture.allOf(nodes.stream().map(n -> CompletableFuture.runAsync(() -> {
                ServerProcess p = n.start("first");
                started.add(p);
                firstRuns.put(n, p);
            })).toArray(CompletableFuture[]::new)).get(90, TimeUnit.SECONDS);
            for (Node n : nodes) {
                n.awaitReady();
            }
            Path haproxyLog = dir.resolve("haproxy.log");
            ProcessBuilder balancer = new ProcessBuilder(haproxyBinary, "-db", "-f", haproxyConfig.toString())
                    .redirectErrorStream(true).redirectOutput(haproxyLog.toFile());
            balancer.environment().put("GUERRILLAD_BIND", "127.0.0.1:" + front);
            // Checks every 500 ms: the test does not wait long for a node to be taken out or put back.
            balancer.environment().put("GUERRILLAD_CHECK_INTER", "500ms");
            haproxy = balancer.start();
            awaitListening(front, haproxy, haproxyLog);

            sender = new RetryingSender("cluster", new InetSocketAddress("127.0.0.1", front),
                    InetAddress.getByName(CLIENT_ADDRESS), SENDERS);
            RetryingSender load = sender;
            long t0 = System.nanoTime();
            await("first " + STEP + " acknowledged", () -> load.acknowledgedCount() >= STEP);
            say(t0, "load running", load);

            ServerProcess killed = firstRuns.get(nodes.get(0));
            killed.signal("KILL");
            killed.waitForExit(Duration.ofSeconds(30));
            say(t0, "node-1 killed", load);
            int beforeKill = load.acknowledgedCount();
            await(STEP + " more acknowledged after the kill", () -> load.acknowledgedCount() >= beforeKill + STEP);
            say(t0, STEP + " more acknowledged", load);

            ServerProcess drained = firstRuns.get(nodes.get(1));
            drained.signal("TERM");
            assertThat(drained.waitForExit(Duration.ofSeconds(60))).as("a drained node exits 0").isZero();
            say(t0, "node-2 drained and exited", load);
            ServerProcess restarted = nodes.get(1).start("restarted");
            started.add(restarted);
            nodes.get(1).awaitReady();
            say(t0, "node-2 listening again", load);
            restarted.awaitLog(restarted.log, "message stored", STEP_TIMEOUT);
            say(t0, "node-2 stored its first message since the restart", load);
            int afterRestart = load.acknowledgedCount();
            await(STEP + " more acknowledged after the restart", () -> load.acknowledgedCount() >= afterRestart + STEP);
            sender.close();
            say(t0, "load stopped", load);

            assertStoredOnceEach(store, sender, nodes);
            assertLogsAndMetricsNameTheirNode(nodes);
            System.out.printf("ClusterIT: %d messages acknowledged, %d retried attempts %s; %d with a lost reply%n",
                    sender.acknowledgedCount(), sender.retryCount(), new TreeMap<>(sender.retries), sender.lostReplies.size());
            System.out.println("ClusterIT: haproxy said:\n" + Files.readString(haproxyLog));
        } finally {
            if (sender != null) {
                sender.close();
            }
            if (haproxy != null) {
                haproxy.destroy();
                haproxy.waitFor(10, TimeUnit.SECONDS);
            }
            started.forEach(ServerProcess::close);
        }
    }

    private static void assertStoredOnceEach(StoreConfig store, RetryingSender sender, List<Node> nodes) throws Exception {
        assertThat(sender.failed).as("messages never acknowledged").isEmpty();
        Map<String, Integer> copies = new HashMap<>();
        Set<String> addresses = new HashSet<>();
        Map<String, Set<String>> queueIdsByNode = new HashMap<>();
        try (Connection c = Databases.connect(store); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT message_id, ip_addr, mail FROM new_mail")) {
            while (rs.next()) {
                copies.merge(rs.getString(1), 1, Integer::sum);
                addresses.add(rs.getString(2));
                String mail = new String(rs.getBytes(3), java.nio.charset.StandardCharsets.UTF_8);
                Matcher by = RECEIVED_BY.matcher(mail);
                assertThat(by.find()).as("Received header naming a node in %s", mail).isTrue();
                queueIdsByNode.computeIfAbsent(by.group(1), k -> new HashSet<>()).add(by.group(2));
            }
        }
        assertThat(copies.keySet()).as("rows are for acknowledged messages only")
                .isSubsetOf(sender.acknowledged.keySet());
        assertThat(sender.acknowledged.keySet()).as("every acknowledged message is stored")
                .isSubsetOf(copies.keySet());
        copies.forEach((id, n) -> {
            int lost = sender.lostReplies.containsKey(id) ? sender.lostReplies.get(id).get() : 0;
            assertThat(n).as("copies of %s, whose final reply was lost %d times", id, lost).isLessThanOrEqualTo(1 + lost);
        });
        assertThat(addresses).as("ip_addr is the sender's, from the PROXY header").containsExactly(CLIENT_ADDRESS);
        assertThat(queueIdsByNode.keySet()).as("nodes named in Received headers")
                .containsExactlyInAnyOrder("node-1", "node-2", "node-3");
        for (Node n : nodes) {
            Set<String> logged = n.loggedQueueIds();
            for (Node other : nodes) {
                if (other != n) {
                    assertThat(queueIdsByNode.get(other.name)).as("%s's rows in %s's log", other.name, n.name)
                            .doesNotContainAnyElementsOf(logged);
                }
            }
            if (!n.name.equals("node-1")) {
                // A killed node's last log lines may die with it; the others wrote all of theirs.
                assertThat(logged).as("%s logged every message its Received header claims", n.name)
                        .containsAll(queueIdsByNode.get(n.name));
            }
        }
        long duplicates = copies.values().stream().filter(n -> n > 1).count();
        System.out.printf("ClusterIT: %d rows, %d messages stored twice, by node %s%n",
                copies.values().stream().mapToInt(Integer::intValue).sum(), duplicates,
                new TreeMap<>(Map.of("node-1", queueIdsByNode.get("node-1").size(),
                        "node-2", queueIdsByNode.get("node-2").size(), "node-3", queueIdsByNode.get("node-3").size())));
    }

    private static void assertLogsAndMetricsNameTheirNode(List<Node> nodes) throws Exception {
        for (Node n : nodes) {
            for (Path log : n.logs()) {
                List<String> lines = Files.readAllLines(log).stream().filter(l -> l.matches("^\\d{4}-\\d\\d-\\d\\dT.*")).toList();
                assertThat(lines).as(log.toString()).isNotEmpty().allMatch(l -> l.endsWith(" node=" + n.name));
            }
        }
        Node last = nodes.get(NODES - 1);
        HttpResponse<String> metrics = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + last.adminPort + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.body()).contains("guerrilla_messages_total{code=\"250\",node=\"node-3\",outcome=\"accepted\"}");
    }

    /** packaging/haproxy/haproxy.cfg, the one docs/deployment.md shows, with a server line per node. */
    static String haproxyConfig(List<Node> nodes) throws IOException {
        String file = Files.readString(ServerProcess.repo().resolve("packaging/haproxy/haproxy.cfg"));
        assertThat(Files.readString(ServerProcess.repo().resolve("docs/deployment.md")))
                .as("docs/deployment.md shows packaging/haproxy/haproxy.cfg as it is")
                .contains(file.substring(file.indexOf("global\n")));
        StringBuilder config = new StringBuilder(file);
        for (Node n : nodes) {
            config.append("    server ").append(n.name).append(" 127.0.0.1:").append(n.smtpPort)
                    .append(" send-proxy-v2 check port ").append(n.adminPort).append('\n');
        }
        return config.toString();
    }

    private static void awaitListening(int port, Process haproxy, Path log) throws Exception {
        long deadline = System.nanoTime() + STEP_TIMEOUT.toNanos();
        while (Ports.refused(port)) {
            if (!haproxy.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("haproxy is not listening on " + port + ":\n" + Files.readString(log));
            }
            Thread.sleep(50);
        }
    }

    /** A line for the fault table of docs/deployment.md: when each step happened, and the load's counts then. */
    private static void say(long t0, String what, RetryingSender load) {
        System.out.printf("ClusterIT: %6d ms  %-50s %6d acknowledged, %4d retried%n", (System.nanoTime() - t0) / 1_000_000,
                what, load.acknowledgedCount(), load.retryCount());
    }

    private static void await(String what, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + STEP_TIMEOUT.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no " + what + " within " + STEP_TIMEOUT);
            }
            Thread.sleep(20);
        }
    }

    /** One node: its ports, its config file, and the directories its runs wrote their logs in. */
    private record Node(String name, int smtpPort, int adminPort, Path config, Path home) {
        static Node configure(Path dir, int i, StoreConfig store) throws IOException {
            String name = "node-" + i;
            int smtp = Ports.free();
            int admin = Ports.free();
            Path home = Files.createDirectories(dir.resolve(name));
            Path config = home.resolve("guerrillad.yaml");
            Files.writeString(config, """
                listen_interface: 127.0.0.1:%d
                host_name: mx.cluster.test
                node_name: %s
                allowed_hosts: [example.com]
                proxy_protocol: true
                trusted_proxies: [127.0.0.1]
                admin:
                  listen: 127.0.0.1:%d
                shutdown_timeout: 30
                store:
                  type: mysql
                  host: %s
                  port: 3306
                  database: %s
                  user: %s
                  password: %s
                  pool_size: 2
                retention:
                  max_age: "0"
                  max_per_mailbox: 0
                """.formatted(smtp, name, admin, store.host, store.database, store.user, store.password));
            return new Node(name, smtp, admin, config, home);
        }

        /** Starts a run of this node in its own directory, so a restart keeps the first run's log. */
        ServerProcess start(String run) {
            try {
                Path work = Files.createDirectories(home.resolve(run));
                return ServerProcess.start(work, smtpPort, "serve", "-c", config.toString());
            } catch (Exception e) {
                throw new IllegalStateException(name + " did not start", e);
            }
        }

        /**
         * Waits for {@code /readyz} to answer 200, as a deployment does before it puts a node behind the
         * balancer: a JVM just started on a busy machine answers its first requests slower than the
         * balancer's check timeout, and all three nodes at once would leave the balancer none.
         */
        void awaitReady() throws Exception {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            HttpRequest readyz = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/readyz"))
                    .timeout(Duration.ofSeconds(10)).build();
            long deadline = System.nanoTime() + STEP_TIMEOUT.toNanos();
            while (true) {
                try {
                    if (http.send(readyz, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                        return;
                    }
                } catch (IOException notYet) {
                    // The admin listener starts after the SMTP one.
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(name + ": /readyz did not answer 200 within " + STEP_TIMEOUT);
                }
                Thread.sleep(100);
            }
        }

        List<Path> logs() throws IOException {
            try (var runs = Files.list(home)) {
                return runs.map(r -> r.resolve("server.log")).filter(Files::exists).toList();
            }
        }

        Set<String> loggedQueueIds() throws IOException {
            Set<String> ids = new HashSet<>();
            for (Path log : logs()) {
                for (String line : Files.readAllLines(log)) {
                    Matcher m = STORED_LINE.matcher(line);
                    if (m.find()) {
                        ids.add(m.group(1));
                    }
                }
            }
            return ids;
        }
    }
}
