package io.guerrilla.smtpd.codec;

/**
 * What to do with a CR or LF that is not part of a CRLF pair inside message content. Neither choice
 * lets a bare CR or LF end the message (SMTP smuggling, CVE-2023-51764): that takes CRLF.CRLF.
 */
public enum BareNewlinePolicy {
    /** Store it as CRLF, as Postfix 3.9's smtpd_forbid_bare_newline=normalize: old clients still deliver. */
    NORMALIZE,
    /** Read on to the end of data, then refuse the message with 550 5.6.0. */
    REJECT
}
