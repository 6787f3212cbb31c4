package io.guerrilla.smtpd.smtp;

/** What the framer saw while reading one message's content, judged by the state machine at its end. */
public record DataResult(long size, boolean tooBig, boolean bareNewline, boolean lineTooLong) {
}
