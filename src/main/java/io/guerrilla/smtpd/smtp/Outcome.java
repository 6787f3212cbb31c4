package io.guerrilla.smtpd.smtp;

/** A reply to send (null when the action itself produces the reply later) and an action to take. */
public record Outcome(Reply reply, Action action) {
    static Outcome reply(Reply r) {
        return new Outcome(r, Action.NONE);
    }
}
