package io.guerrilla.smtpd.store;

import org.junit.jupiter.api.Test;

import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTimeoutException;
import java.sql.SQLTransactionRollbackException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Only a rollback the database reports makes a failed COMMIT certain; a timeout or a broken connection
 * leaves it unknown (FrozenDatabaseIT once found a timed-out COMMIT stored after the thaw, unlogged).
 */
class CommitOutcomeTest {
    @Test
    void aReportedRollbackIsCertain() {
        assertThat(SqlStore.rolledBack(new SQLTransactionRollbackException("deadlock"))).isTrue();
        assertThat(SqlStore.rolledBack(new SQLException("serialization failure", "40001"))).isTrue();
    }

    @Test
    void aTimeoutOrABrokenConnectionIsNot() {
        assertThat(SqlStore.rolledBack(new SQLTimeoutException("Query execution was interrupted", "70100"))).isFalse();
        assertThat(SqlStore.rolledBack(new SQLNonTransientConnectionException("Read timed out", "08000"))).isFalse();
        assertThat(SqlStore.rolledBack(new SQLException("no state"))).isFalse();
    }
}
