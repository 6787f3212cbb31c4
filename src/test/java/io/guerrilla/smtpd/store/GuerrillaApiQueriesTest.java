package io.guerrilla.smtpd.store;

import io.guerrilla.smtpd.config.StoreConfig;
import io.guerrilla.smtpd.support.Databases;
import io.guerrilla.smtpd.support.NeedsServices;
import io.guerrilla.smtpd.support.Rows;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The Guerrilla Mail API's queries on every SQL store: slices by id range and offset, counts, read marks, the shared key. */
@NeedsServices
class GuerrillaApiQueriesTest {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "mysql", "postgres"})
    void slicesCountsReadMarksAndTheSharedKey(String type, @TempDir Path dir) throws Exception {
        StoreConfig c = Databases.privateDatabase(type, "guerrilla_api", dir);
        long[] ids = new long[5];
        try (SqlStore store = new SqlStore(c)) {
            store.open();
            Instant now = Instant.parse("2026-03-01T12:00:00Z");
            for (int i = 0; i < 5; i++) {
                ids[i] = Rows.save(store, c, now, "alice@example.com", 10 + i);
            }
            Rows.save(store, c, now, "bob@example.com", 10);
        }
        try (MailboxQueries q = MailboxQueries.open(c, 2)) {
            q.createApiTables();
            List<MailboxQueries.Listed> newest = q.slice("alice@example.com", 0, Long.MAX_VALUE, 1, 2);
            assertThat(newest).extracting(l -> l.summary().id()).containsExactly(ids[3], ids[2]);
            assertThat(newest.get(0).storedSize()).isEqualTo(Rows.messageOctets(13));
            assertThat(q.slice("alice@example.com", ids[1], ids[4], 0, 20)).extracting(l -> l.summary().id())
                    .containsExactly(ids[3], ids[2]);
            assertThat(q.count("alice@example.com", ids[1], Long.MAX_VALUE)).isEqualTo(3);
            assertThat(q.count("alice@example.com", 0, ids[1])).isEqualTo(1);

            assertThat(q.isRead(ids[2])).isFalse();
            q.markRead(ids[2]);
            q.markRead(ids[2]);
            assertThat(q.isRead(ids[2])).isTrue();
            assertThat(q.slice("alice@example.com", 0, Long.MAX_VALUE, 0, 20)).extracting(MailboxQueries.Listed::read)
                    .containsExactly(false, false, true, false, false);
            q.forgetRead(List.of(ids[2]));
            assertThat(q.isRead(ids[2])).isFalse();

            String key = q.sharedSecret("first-node-key");
            assertThat(key).isEqualTo("first-node-key");
            assertThat(q.sharedSecret("second-node-key")).as("the first key stays").isEqualTo("first-node-key");
        }
    }
}
