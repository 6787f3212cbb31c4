package io.guerrilla.smtpd.support;

import io.guerrilla.smtpd.config.StoreConfig;
import io.guerrilla.smtpd.store.MailBytes;
import io.guerrilla.smtpd.store.MailRow;
import io.guerrilla.smtpd.store.MailStore;
import io.guerrilla.smtpd.store.SaveClaim;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Rows written through a real store with a receive time the test chooses, as the pipeline would write them. */
public final class Rows {
    private Rows() {
    }

    /** Stores one message of {@code size} body octets to {@code to}, received at {@code date}; returns its mail_id. */
    public static long save(MailStore store, StoreConfig config, Instant date, String to, int size) throws Exception {
        byte[] mail = message(size);
        MailBytes bytes = new MailBytes() {
            @Override
            public long length() {
                return mail.length;
            }

            @Override
            public InputStream open() {
                return new ByteArrayInputStream(mail);
            }
        };
        store.save(List.of(new MailRow(date, "s@y.test", to, "t", "", "", bytes, 0f, "0".repeat(32), "text/plain", to,
                false, "127.0.0.1", "", "", "", "s@y.test", false)), new SaveClaim()).get();
        List<Long> all = ids(config);
        return all.get(all.size() - 1);
    }

    /** Octets of the message {@link #save} stores for {@code size}. */
    public static long messageOctets(int size) {
        return message(size).length;
    }

    private static byte[] message(int size) {
        return ("Subject: t\r\n\r\n" + "x".repeat(size)).getBytes(StandardCharsets.US_ASCII);
    }

    /** Every mail_id in the store, oldest first. */
    public static List<Long> ids(StoreConfig config) throws Exception {
        List<Long> out = new ArrayList<>();
        try (Connection c = Databases.connect(config); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT mail_id FROM new_mail ORDER BY mail_id")) {
            while (rs.next()) {
                out.add(rs.getLong(1));
            }
        }
        return out;
    }
}
