package io.guerrilla.smtpd.store;

import io.guerrilla.smtpd.config.RetentionConfig;
import io.guerrilla.smtpd.config.StoreConfig;
import io.guerrilla.smtpd.support.Databases;
import io.guerrilla.smtpd.support.NeedsServices;
import io.guerrilla.smtpd.support.Rows;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Retention on every SQL store, each in a database of its own (the purges must not reach other tests'
 * rows): age, per-mailbox cap and total cap delete exactly the rows they should, in batches, and report
 * each batch; the read indexes exist; SQLite hands freed pages back. Time is a fixed clock.
 */
@NeedsServices
class RetentionTest {
    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    @TempDir
    Path dir;

    private StoreConfig config;
    private final Map<Purger.Reason, Long> reported = new EnumMap<>(Purger.Reason.class);

    private static RetentionConfig policy(String maxAge, int perMailbox, long total) {
        RetentionConfig p = new RetentionConfig();
        p.maxAge = maxAge;
        p.maxPerMailbox = perMailbox;
        p.maxMessages = total;
        // Small batches, so every rule needs several.
        p.batchSize = 2;
        return p;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "mysql", "postgres"})
    void ageDeletesExactlyWhatIsOlderThanMaxAge(String type) throws Exception {
        try (SqlStore store = open(type, "retention_age")) {
            long old = save(store, NOW.minus(Duration.ofHours(30)), "a@x.test");
            long older = save(store, NOW.minus(Duration.ofHours(2)), "b@x.test");
            long justOver = save(store, NOW.minus(Duration.ofSeconds(3601)), "a@x.test");
            long justUnder = save(store, NOW.minus(Duration.ofSeconds(3599)), "a@x.test");
            long fresh = save(store, NOW, "b@x.test");
            List<Long> before = Rows.ids(config);
            assertThat(before).containsExactly(old, older, justOver, justUnder, fresh);

            markRead(old, justUnder);

            Purger.Result r = purge(store, policy("1h", 0, 0));

            assertThat(Rows.ids(config)).containsExactly(justUnder, fresh);
            assertThat(readMarks()).as("read marks of purged mail go with it").containsExactly(justUnder);
            assertThat(r.byAge()).isEqualTo(3);
            assertThat(r.byMailboxCap() + r.byTotalCap()).isZero();
            assertThat(reported).containsExactly(Map.entry(Purger.Reason.AGE, 3L));
            assertThat(purge(store, policy("1h", 0, 0)).total()).as("a second pass finds nothing").isZero();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "mysql", "postgres"})
    void mailboxCapKeepsTheNewestOfEachMailbox(String type) throws Exception {
        try (SqlStore store = open(type, "retention_mailbox")) {
            List<Long> a = new ArrayList<>();
            List<Long> b = new ArrayList<>();
            List<Long> c = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                a.add(save(store, NOW, "alice@x.test"));
                b.add(save(store, NOW, "bob@x.test"));
                if (i < 2) {
                    c.add(save(store, NOW, "carol@x.test"));
                }
            }

            Purger.Result r = purge(store, policy("0", 3, 0));

            List<Long> kept = new ArrayList<>(a.subList(2, 5));
            kept.addAll(b.subList(2, 5));
            kept.addAll(c);
            assertThat(Rows.ids(config)).containsExactlyInAnyOrderElementsOf(kept);
            assertThat(r.byMailboxCap()).isEqualTo(4);
            assertThat(reported).containsExactly(Map.entry(Purger.Reason.MAILBOX, 4L));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "mysql", "postgres"})
    void totalCapKeepsTheNewestInAllAfterTheOtherRules(String type) throws Exception {
        try (SqlStore store = open(type, "retention_total")) {
            long expired = save(store, NOW.minus(Duration.ofDays(2)), "a@x.test");
            List<Long> recent = new ArrayList<>();
            for (int i = 0; i < 7; i++) {
                recent.add(save(store, NOW.minus(Duration.ofMinutes(10 - i)), i % 2 == 0 ? "a@x.test" : "b@x.test"));
            }
            assertThat(Rows.ids(config)).startsWith(expired);

            Purger.Result r = purge(store, policy("1h", 0, 4));

            assertThat(Rows.ids(config)).containsExactlyElementsOf(recent.subList(3, 7));
            assertThat(r.byAge()).isEqualTo(1);
            assertThat(r.byTotalCap()).isEqualTo(3);
            assertThat(reported).containsEntry(Purger.Reason.AGE, 1L).containsEntry(Purger.Reason.TOTAL, 3L);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "mysql", "postgres"})
    void initDbCreatesTheReadIndexesAgainWhenMissing(String type) throws Exception {
        StoreConfig c = Databases.privateDatabase(type, "retention_index", dir);
        // SQLite and InnoDB append the row id / primary key to the seed's to index; PostgreSQL needs its own.
        List<String> wanted = switch (type) {
            case "sqlite" -> List.of("new_mail_to", "new_mail_date");
            case "mysql" -> List.of("to", "date");
            default -> List.of(SqlDialect.MAILBOX_INDEX, "new_mail_date");
        };
        try (Connection conn = Databases.connect(c); Statement st = conn.createStatement()) {
            assertThat(SqlStore.indexes(conn)).containsAll(wanted);
            if (!"mysql".equals(type)) {
                for (String index : wanted) {
                    st.execute("DROP INDEX " + index);
                }
                assertThat(SqlStore.indexes(conn)).doesNotContainAnyElementsOf(wanted);
            }
        }
        try (SqlStore store = new SqlStore(c)) {
            // What SQLite's start does, and init-db elsewhere.
            if ("sqlite".equals(type)) {
                store.open();
            } else {
                store.createSchema();
            }
        }
        try (Connection conn = Databases.connect(c)) {
            assertThat(SqlStore.indexes(conn)).containsAll(wanted);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgres"})
    void aMailboxPageIsReadFromAnIndexWithoutSorting(String type) throws Exception {
        try (SqlStore store = open(type, "retention_plan")) {
            for (int i = 0; i < 50; i++) {
                save(store, NOW, "u" + i + "@x.test");
            }
            String query = "SELECT mail_id FROM new_mail WHERE \"to\" = 'u7@x.test' ORDER BY mail_id DESC LIMIT 20";
            StringBuilder plan = new StringBuilder();
            try (Connection conn = Databases.connect(config); Statement st = conn.createStatement()) {
                if ("postgres".equals(type)) {
                    // A 50-row table is scanned whole when allowed; the question is whether the index needs a sort.
                    st.execute("SET enable_seqscan = off");
                }
                try (ResultSet rs = st.executeQuery(("sqlite".equals(type) ? "EXPLAIN QUERY PLAN " : "EXPLAIN ") + query)) {
                    while (rs.next()) {
                        plan.append(rs.getString("sqlite".equals(type) ? "detail" : "QUERY PLAN")).append('\n');
                    }
                }
            }
            if ("sqlite".equals(type)) {
                assertThat(plan.toString()).contains("INDEX new_mail_to (to=?)").doesNotContain("TEMP B-TREE");
            } else {
                assertThat(plan.toString()).contains(SqlDialect.MAILBOX_INDEX).doesNotContain("Sort");
            }
        }
    }

    @Test
    void sqliteHandsFreedPagesBackToTheFileSystem() throws Exception {
        try (SqlStore store = open("sqlite", "retention_vacuum")) {
            for (int i = 0; i < 100; i++) {
                Rows.save(store, config, NOW.minus(Duration.ofDays(1)), "a@x.test", 16 * 1024);
            }
            long pagesBefore = pragma(store, "page_count");
            assertThat(pragma(store, "auto_vacuum")).as("new files are made with incremental auto-vacuum").isEqualTo(2);

            Purger.Result r = purge(store, policy("1h", 0, 0));

            assertThat(r.byAge()).isEqualTo(100);
            assertThat(r.pagesReleased()).isGreaterThan(300);
            assertThat(pragma(store, "freelist_count")).isZero();
            assertThat(pragma(store, "page_count")).isLessThan(pagesBefore - 300);
        }
    }

    @Test
    void vacuumTurnsIncrementalAutoVacuumOnInAnOldSqliteFile() throws Exception {
        StoreConfig c = Databases.config("sqlite");
        c.path = dir.resolve("made-before.db").toString();
        try (Connection conn = Databases.connect(c); Statement st = conn.createStatement()) {
            st.execute("CREATE TABLE t (x INTEGER)");
        }
        try (SqlStore store = new SqlStore(c)) {
            store.createSchema();
            Purger purger = store.purger(policy("1h", 0, 0), CLOCK, (reason, rows) -> { });
            assertThat(purger.isSqliteWithoutIncrementalVacuum()).isTrue();
            purger.enableIncrementalVacuum();
            assertThat(purger.isSqliteWithoutIncrementalVacuum()).isFalse();
            assertThat(pragma(store, "auto_vacuum")).isEqualTo(2);
        }
    }

    private SqlStore open(String type, String name) throws Exception {
        config = Databases.privateDatabase(type, name, dir);
        SqlStore store = new SqlStore(config);
        store.open();
        return store;
    }

    private Purger.Result purge(SqlStore store, RetentionConfig p) throws Exception {
        reported.clear();
        return store.purger(p, CLOCK, (reason, rows) -> reported.merge(reason, (long) rows, Long::sum)).pass();
    }

    private long save(SqlStore store, Instant date, String to) throws Exception {
        return Rows.save(store, config, date, to, 100);
    }

    private void markRead(long... ids) throws Exception {
        try (Connection c = Databases.connect(config); Statement st = c.createStatement()) {
            for (long id : ids) {
                st.execute("INSERT INTO gm_mail_read (mail_id) VALUES (" + id + ")");
            }
        }
    }

    private List<Long> readMarks() throws Exception {
        List<Long> out = new ArrayList<>();
        try (Connection c = Databases.connect(config); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT mail_id FROM gm_mail_read ORDER BY mail_id")) {
            while (rs.next()) {
                out.add(rs.getLong(1));
            }
        }
        return out;
    }

    private static long pragma(SqlStore store, String name) throws Exception {
        try (Connection c = store.readConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("PRAGMA " + name)) {
            return rs.next() ? rs.getLong(1) : -1;
        }
    }
}
