package io.guerrilla.smtpd.smtp;

/**
 * A command line split into its verb and argument. The argument is everything after the first space,
 * untrimmed on the right only of the line terminator (already removed by the framer).
 */
public record SmtpCommand(Verb verb, String argument) {

    public static SmtpCommand parse(String line) {
        int sp = line.indexOf(' ');
        int end = sp < 0 ? line.length() : sp;
        Verb verb = Verb.lookup(line, end);
        String arg = sp < 0 ? "" : line.substring(sp + 1);
        return new SmtpCommand(verb, arg);
    }

    public boolean hasArgument() {
        return !argument.isBlank();
    }
}
