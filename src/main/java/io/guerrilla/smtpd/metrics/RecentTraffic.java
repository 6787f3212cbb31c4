package io.guerrilla.smtpd.metrics;

import java.time.Clock;

/**
 * Who has been sending lately: the top client addresses, HELO names and recipient domains over
 * a sliding window. Kept apart from the Prometheus meters on purpose: these values come from
 * clients and are unbounded in number, so they must never become label values of a time series.
 */
public record RecentTraffic(RecentTopValues clients, RecentTopValues heloNames, RecentTopValues recipientDomains) {

    public RecentTraffic(Clock clock) {
        this(new RecentTopValues(clock), new RecentTopValues(clock), new RecentTopValues(clock));
    }
}
