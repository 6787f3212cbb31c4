package io.guerrilla.smtpd.mailbox;

import io.guerrilla.smtpd.config.StoreConfig;
import io.guerrilla.smtpd.store.MailboxQueries;
import io.guerrilla.smtpd.store.MailboxQueries.Summary;
import io.guerrilla.smtpd.store.SqlStore;
import io.guerrilla.smtpd.support.Databases;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shared new-mail poll on a real SQLite store: one poll serves every listener of a mailbox, and
 * a row that becomes visible after rows with larger ids (another writer's slower commit) is still
 * delivered, until the gap's grace has passed on a clock the test moves.
 */
class MailboxEventsTest {

    static final class MovableClock extends Clock {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private static void insert(StoreConfig c, long id, String to) throws Exception {
        try (Connection conn = Databases.connect(c); PreparedStatement ps = conn.prepareStatement(
                "INSERT INTO new_mail (mail_id, date, \"from\", \"to\", subject, body, charset, mail, spam_score, hash,"
                        + " content_type, recipient, has_attach, ip_addr) VALUES (?, '2026-01-01 00:00:00', 'f@x.test', ?,"
                        + " 's', 'raw', '', x'00', 0, 'h', 'text/plain', ?, 0, '127.0.0.1')")) {
            ps.setLong(1, id);
            ps.setString(2, to);
            ps.setString(3, to);
            ps.executeUpdate();
        }
    }

    @Test
    void lateCommitsAreDeliveredAndEveryListenerOfAMailboxGetsEachRowOnce(@TempDir Path dir) throws Exception {
        StoreConfig c = Databases.config("sqlite");
        c.path = dir.resolve("m.db").toString();
        try (SqlStore store = new SqlStore(c)) {
            store.createSchema();
        }
        insert(c, 1, "a@x.test");
        MovableClock clock = new MovableClock();
        try (MailboxQueries q = MailboxQueries.open(c, 2); MailboxEvents events = new MailboxEvents(q, clock)) {
            List<Long> first = new ArrayList<>();
            List<Long> second = new ArrayList<>();
            List<Long> other = new ArrayList<>();
            events.subscribe("a@x.test", s -> first.add(s.id()));
            events.subscribe("a@x.test", s -> second.add(s.id()));
            MailboxEvents.Listener otherListener = s -> other.add(s.id());
            events.subscribe("b@x.test", otherListener);
            events.poll();
            assertThat(first).as("the first poll starts at what is there").isEmpty();

            // Ids 2 and 3 were handed out, 4 committed first.
            insert(c, 4, "a@x.test");
            events.poll();
            assertThat(first).containsExactly(4L);
            // 2 commits a little later: still delivered.
            clock.now = clock.now.plusSeconds(5);
            insert(c, 2, "b@x.test");
            insert(c, 5, "a@x.test");
            events.poll();
            assertThat(first).containsExactly(4L, 5L);
            assertThat(second).isEqualTo(first);
            assertThat(other).containsExactly(2L);
            events.poll();
            assertThat(first).as("each row once").containsExactly(4L, 5L);

            // 3 was rolled back: after the grace it is no longer asked for, and a row written
            // with that id much later (which no real store does) is not reported.
            clock.now = clock.now.plus(Duration.ofMillis(MailboxEvents.GAP_GRACE_MS + 1));
            events.poll();
            insert(c, 3, "a@x.test");
            events.poll();
            assertThat(first).containsExactly(4L, 5L);

            assertThat(events.listenerCount()).isEqualTo(3);
            events.unsubscribe("b@x.test", otherListener);
            assertThat(events.listenerCount()).isEqualTo(2);
        }
    }

    @Test
    void queriesPageNewestFirstAndKeepMailboxesApart(@TempDir Path dir) throws Exception {
        StoreConfig c = Databases.config("sqlite");
        c.path = dir.resolve("m.db").toString();
        try (SqlStore store = new SqlStore(c)) {
            store.createSchema();
        }
        for (long id = 1; id <= 7; id++) {
            insert(c, id, id % 2 == 0 ? "even@x.test" : "odd@x.test");
        }
        try (MailboxQueries q = MailboxQueries.open(c, 2)) {
            List<Summary> page = q.list("odd@x.test", MailboxQueries.Filter.NONE, 0, 2);
            assertThat(page).extracting(Summary::id).containsExactly(7L, 5L);
            assertThat(q.list("odd@x.test", MailboxQueries.Filter.NONE, 5, 2)).extracting(Summary::id).containsExactly(3L, 1L);
            assertThat(q.newer("even@x.test", 2, 10)).extracting(Summary::id).containsExactly(4L, 6L);
            assertThat(q.message("even@x.test", 3)).isEmpty();
            assertThat(q.delete("even@x.test", 3)).isFalse();
            assertThat(q.deleteMailbox("even@x.test")).isEqualTo(3);
            assertThat(q.maxId()).isEqualTo(7);
        }
    }
}
