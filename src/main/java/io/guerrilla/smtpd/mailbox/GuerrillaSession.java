package io.guerrilla.smtpd.mailbox;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Optional;

/**
 * A Guerrilla Mail API session, kept entirely in its token ({@code sid_token} and the {@code PHPSESSID}
 * cookie) and signed with HMAC-SHA256, so any node that shares the key serves any session and no
 * node keeps session state. The token is re-issued on every call (the API lets {@code PHPSESSID}
 * change at every call), which is how the idle timeout is carried.
 *
 * @param address   the mailbox the session owns; empty after forget_me
 * @param created   Unix seconds the address was (re)given, for extend's limit
 * @param timestamp Unix seconds of {@code email_timestamp}: the address expires an address lifetime after it
 * @param seen      Unix seconds of the session's last call
 */
public record GuerrillaSession(String address, long created, long timestamp, long seen) {
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getUrlDecoder();
    private static final String VERSION = "g1";
    /** Longest token read: an address is at most 254 octets, so a longer token is not one of ours. */
    static final int MAX_TOKEN_CHARS = 512;

    public boolean hasAddress() {
        return !address.isEmpty();
    }

    public GuerrillaSession seenAt(long now) {
        return new GuerrillaSession(address, created, timestamp, now);
    }

    /** Signs and reads tokens with one key. */
    public static final class Codec {
        private final SecretKeySpec key;

        public Codec(byte[] secret) {
            this.key = new SecretKeySpec(secret, "HmacSHA256");
        }

        public String encode(GuerrillaSession s) {
            String payload = VERSION + "\n" + s.address + "\n" + s.created + "\n" + s.timestamp + "\n" + s.seen;
            byte[] body = payload.getBytes(StandardCharsets.UTF_8);
            return B64.encodeToString(body) + "." + B64.encodeToString(mac(body));
        }

        /**
         * The session a token carries, if the token is ours, unaltered, and the session has not been
         * idle longer than {@code idleSeconds} at {@code now}; anything else (garbage, another key, an
         * old session) is no session, as an unknown PHPSESSID is to PHP.
         */
        public Optional<GuerrillaSession> decode(String token, long now, long idleSeconds) {
            if (token == null || token.isEmpty() || token.length() > MAX_TOKEN_CHARS) {
                return Optional.empty();
            }
            int dot = token.indexOf('.');
            if (dot < 0) {
                return Optional.empty();
            }
            try {
                byte[] body = B64D.decode(token.substring(0, dot));
                byte[] sig = B64D.decode(token.substring(dot + 1));
                // Only the one spelling encode() writes: base64's unused trailing bits would allow others.
                if (!MessageDigest.isEqual(sig, mac(body)) || !token.equals(B64.encodeToString(body) + "." + B64.encodeToString(sig))) {
                    return Optional.empty();
                }
                String[] f = new String(body, StandardCharsets.UTF_8).split("\n", -1);
                if (f.length != 5 || !VERSION.equals(f[0])) {
                    return Optional.empty();
                }
                GuerrillaSession s = new GuerrillaSession(f[1], Long.parseLong(f[2]), Long.parseLong(f[3]), Long.parseLong(f[4]));
                return now - s.seen > idleSeconds || s.seen > now + idleSeconds ? Optional.empty() : Optional.of(s);
            } catch (IllegalArgumentException e) {
                // Not base64, or not numbers where numbers go: not a token of ours.
                return Optional.empty();
            }
        }

        private byte[] mac(byte[] body) {
            try {
                Mac m = Mac.getInstance("HmacSHA256");
                m.init(key);
                return m.doFinal(body);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
            }
        }
    }
}
