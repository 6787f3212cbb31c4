package io.guerrilla.smtpd.server;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static io.guerrilla.smtpd.server.PerAddressConnectionLimiter.Verdict.ADMITTED;
import static io.guerrilla.smtpd.server.PerAddressConnectionLimiter.Verdict.TOO_FAST;
import static io.guerrilla.smtpd.server.PerAddressConnectionLimiter.Verdict.TOO_MANY_CONNECTIONS;
import static org.assertj.core.api.Assertions.assertThat;

class PerAddressConnectionLimiterTest {
    private final AtomicLong now = new AtomicLong(1_000);

    private static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void capsOpenConnectionsPerAddress() throws Exception {
        PerAddressConnectionLimiter l = new PerAddressConnectionLimiter(2, 0, now::get);
        InetAddress a = ip("192.0.2.1");
        assertThat(l.acquire(a)).isEqualTo(ADMITTED);
        assertThat(l.acquire(a)).isEqualTo(ADMITTED);
        assertThat(l.acquire(a)).isEqualTo(TOO_MANY_CONNECTIONS);
        assertThat(l.acquire(ip("192.0.2.2"))).as("other addresses unaffected").isEqualTo(ADMITTED);
        l.release(a);
        assertThat(l.open(a)).isEqualTo(1);
        assertThat(l.acquire(a)).isEqualTo(ADMITTED);
    }

    @Test
    void idleAddressesAreForgotten() throws Exception {
        PerAddressConnectionLimiter l = new PerAddressConnectionLimiter(2, 0, now::get);
        for (int i = 0; i < 1000; i++) {
            InetAddress a = ip("10.0." + (i / 256) + "." + (i % 256));
            assertThat(l.acquire(a)).isEqualTo(ADMITTED);
            l.release(a);
        }
        assertThat(l.trackedAddresses()).isZero();
    }

    @Test
    void rateWindowOfAMinute() throws Exception {
        PerAddressConnectionLimiter l = new PerAddressConnectionLimiter(0, 3, now::get);
        InetAddress a = ip("2001:db8::1");
        for (int i = 0; i < 3; i++) {
            assertThat(l.acquire(a)).isEqualTo(ADMITTED);
            l.release(a);
        }
        assertThat(l.acquire(a)).isEqualTo(TOO_FAST);
        now.addAndGet(TimeUnit.SECONDS.toNanos(59));
        assertThat(l.acquire(a)).isEqualTo(TOO_FAST);
        now.addAndGet(TimeUnit.SECONDS.toNanos(1));
        assertThat(l.acquire(a)).isEqualTo(ADMITTED);
    }

    @Test
    void rateEntriesAreSweptAfterTheirWindow() throws Exception {
        PerAddressConnectionLimiter l = new PerAddressConnectionLimiter(0, 10, now::get);
        for (int i = 0; i < 100; i++) {
            InetAddress a = ip("198.51.100." + i);
            l.acquire(a);
            l.release(a);
        }
        assertThat(l.trackedAddresses()).isEqualTo(100);
        now.addAndGet(TimeUnit.MINUTES.toNanos(2));
        l.acquire(ip("203.0.113.9"));
        assertThat(l.trackedAddresses()).isEqualTo(1);
    }

    @Test
    void zeroMeansNoLimit() throws Exception {
        PerAddressConnectionLimiter l = new PerAddressConnectionLimiter(0, 0, now::get);
        InetAddress a = ip("192.0.2.7");
        for (int i = 0; i < 10_000; i++) {
            assertThat(l.acquire(a)).isEqualTo(ADMITTED);
        }
        assertThat(l.open(a)).isEqualTo(10_000);
    }
}
