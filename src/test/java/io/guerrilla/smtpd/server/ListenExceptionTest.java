package io.guerrilla.smtpd.server;

import io.guerrilla.smtpd.config.HostPort;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.BindException;
import java.nio.channels.UnresolvedAddressException;

import static org.assertj.core.api.Assertions.assertThat;

/** A bind failure reads the same whichever transport (epoll's native error, NIO's BindException) met it. */
class ListenExceptionTest {

    @Test
    void theAddressAndTheSystemsReasonInOneLine() {
        assertThat(new ListenException(new HostPort("127.0.0.1", 25), new BindException("Permission denied")))
                .hasMessage("cannot listen on 127.0.0.1:25: permission denied");
        assertThat(new ListenException(new HostPort("::", 25), new IOException("bind(..) failed: Address already in use")))
                .as("epoll's native error text").hasMessage("cannot listen on [::]:25: address already in use");
        assertThat(new ListenException(new HostPort("mx.invalid", 25), new UnresolvedAddressException()))
                .hasMessage("cannot listen on mx.invalid:25: cannot resolve the host");
    }
}
