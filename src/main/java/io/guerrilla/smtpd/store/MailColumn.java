package io.guerrilla.smtpd.store;

import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * The {@code new_mail} columns a received message fills, in INSERT order, each with how it binds its
 * {@link MailRow} field: the INSERT's column list, its parameters and their indexes all come from here,
 * so a new column is one line. {@code mail} is not among them: it comes last (parameter
 * {@link #MAIL_PARAMETER}) and is bound as its size asks, batched as an array or streamed.
 */
enum MailColumn {
    DATE("date", (d, ps, i, r) -> d.bindDate(ps, i, SqlDialect.utc(r.date()))),
    FROM("from", (d, ps, i, r) -> ps.setString(i, r.from())),
    TO("to", (d, ps, i, r) -> ps.setString(i, r.to())),
    SUBJECT("subject", (d, ps, i, r) -> ps.setString(i, r.subject())),
    BODY("body", (d, ps, i, r) -> ps.setString(i, r.body())),
    CHARSET("charset", (d, ps, i, r) -> ps.setString(i, r.charset())),
    HASH("hash", (d, ps, i, r) -> ps.setString(i, r.hash())),
    CONTENT_TYPE("content_type", (d, ps, i, r) -> ps.setString(i, r.contentType())),
    RECIPIENT("recipient", (d, ps, i, r) -> ps.setString(i, r.recipient())),
    HAS_ATTACH("has_attach", (d, ps, i, r) -> ps.setInt(i, r.hasAttach() ? 1 : 0)),
    IP_ADDR("ip_addr", (d, ps, i, r) -> ps.setString(i, r.ipAddr())),
    MESSAGE_ID("message_id", (d, ps, i, r) -> ps.setString(i, r.messageId())),
    REPLY_TO("reply_to", (d, ps, i, r) -> ps.setString(i, r.replyTo())),
    SENDER("sender", (d, ps, i, r) -> ps.setString(i, r.sender())),
    RETURN_PATH("return_path", (d, ps, i, r) -> ps.setString(i, r.returnPath())),
    IS_TLS("is_tls", (d, ps, i, r) -> ps.setBoolean(i, r.isTls())),
    SPAM_SCORE("spam_score", (d, ps, i, r) -> ps.setFloat(i, r.spamScore()));

    /** The JDBC index of {@code mail}, the parameter after every column here. */
    static final int MAIL_PARAMETER = values().length + 1;

    /** Sets one parameter of a prepared INSERT from a row. */
    @FunctionalInterface
    private interface Binder {
        void bind(SqlDialect dialect, PreparedStatement ps, int index, MailRow row) throws SQLException;
    }

    final String column;
    private final Binder binder;

    MailColumn(String column, Binder binder) {
        this.column = column;
        this.binder = binder;
    }

    /** Binds every column but {@code mail}, each to its index in the INSERT. */
    static void bindAll(SqlDialect dialect, PreparedStatement ps, MailRow row) throws SQLException {
        for (MailColumn c : values()) {
            c.binder.bind(dialect, ps, c.ordinal() + 1, row);
        }
    }
}
