package io.guerrilla.smtpd.smtp;

/** What validate_process said about a recipient: accept it, reject it (550 5.1.1), or could not tell (451 4.3.0). */
public enum RecipientVerdict { ACCEPT, REJECT, TEMPFAIL }
