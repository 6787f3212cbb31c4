package io.guerrilla.smtpd.config;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code retention:} section: which stored mail is deleted, and how the deleting is paced so that
 * it never holds up a message being stored. Durations are written as {@code 90s}, {@code 30m},
 * {@code 1h} or {@code 7d}, or as a number of seconds; a limit of 0 turns that rule off.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public final class RetentionConfig {
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})\\s*([smhd]?)");

    /** Mail received longer ago than this is deleted; "0" keeps mail whatever its age. */
    public String maxAge = Limits.RETENTION_MAX_AGE;
    /** Messages kept per mailbox (the newest); older ones beyond it are deleted; 0: no cap. */
    public int maxPerMailbox = Limits.RETENTION_MAX_PER_MAILBOX;
    /** Messages kept in all (the newest); 0: no cap. */
    public long maxMessages = 0;
    /** How often {@code serve} runs a purge pass. */
    public String interval = Limits.RETENTION_INTERVAL;
    /** Rows deleted per transaction. */
    public int batchSize = Limits.RETENTION_BATCH_SIZE;

    /** Whether any rule would delete anything. */
    public boolean enabled() {
        return !maxAge().isZero() || maxPerMailbox > 0 || maxMessages > 0;
    }

    public Duration maxAge() {
        return parse(maxAge);
    }

    public Duration interval() {
        return parse(interval);
    }

    void validate(String prefix, List<String> errors) {
        if (maxAge == null || parse(maxAge) == null) {
            errors.add(prefix + "max_age: must be a duration like 1h, 30m, 7d, or seconds (0 keeps mail whatever its age)");
        }
        Duration every = interval == null ? null : parse(interval);
        if (every == null || every.isZero()) {
            errors.add(prefix + "interval: must be a positive duration like 1m or 30s");
        }
        if (maxPerMailbox < 0) {
            errors.add(prefix + "max_per_mailbox: must not be negative (0: no cap)");
        }
        if (maxMessages < 0) {
            errors.add(prefix + "max_messages: must not be negative (0: no cap)");
        }
        ListenerConfig.positive(errors, prefix + "batch_size", batchSize);
    }

    /** The duration a value like "90s", "30m", "1h", "7d" or "3600" means; null if it is none of these. */
    static Duration parse(String value) {
        if (value == null) {
            return null;
        }
        Matcher m = DURATION.matcher(value.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            return null;
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            case "d" -> Duration.ofDays(n);
            default -> Duration.ofSeconds(n);
        };
    }
}
