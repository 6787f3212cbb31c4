package io.guerrilla.smtpd.smtp;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Parses the arguments of MAIL FROM and RCPT TO following the path grammar of RFC 5321 section
 * 4.1.2 (with the address literals of section 4.1.3), the UTF-8 extensions of RFC 6531 section
 * 3.3 and the size limits of section 4.5.3.1.
 *
 * <p>The parser only decides whether the text is well-formed. Policy stays with the caller: a
 * non-ASCII address is accepted here and the session answers 553 5.6.7 when the transaction
 * lacks SMTPUTF8 (RFC 6531), and parameters other than {@code SIZE} are not
 * interpreted, so the session can answer 555 for ones it does not support.
 *
 * <p>Reply codes. Every rejection is a 501 because RFC 5321 section 4.2.2 reserves 501 for
 * syntax errors in parameters or arguments, and section 4.5.3.1 lets a server answer an
 * oversized path with the same code. The enhanced codes (RFC 3463) distinguish the cause:
 * <ul>
 *   <li>{@code 5.5.2} ("syntax error"): missing {@code FROM:} / {@code TO:}, anything glued to
 *       the closing {@code >}, and control characters anywhere in the argument. Controls are
 *       refused outright because a CR or LF smuggled into an address would end up inside the
 *       Received and Return-Path headers this server writes.
 *   <li>{@code 5.1.7} ("bad sender's mailbox address syntax") for every syntax or length error
 *       in the MAIL FROM path, missing angle brackets included.
 *   <li>{@code 5.1.3} ("bad destination mailbox address syntax") for every syntax or length
 *       error in the RCPT TO path, including the null path {@code <>}.
 *   <li>{@code 5.5.4} ("invalid command arguments") for a malformed or duplicated ESMTP
 *       parameter, and for any failure of {@link #checkDomainSyntax(String)}.
 * </ul>
 * Angle brackets are required, unlike Postfix's lenient mode, because without them a space
 * cannot be told apart from the start of the parameters.
 */
public final class AddressParser {

    /** RFC 5321 section 4.5.3.1.1: maximum local-part length. */
    public static final int MAX_LOCAL_PART_OCTETS = 64;
    /** RFC 5321 section 4.5.3.1.2: maximum domain length. */
    public static final int MAX_DOMAIN_OCTETS = 255;
    /** RFC 5321 section 4.5.3.1.3: maximum path length, angle brackets and source route included. */
    public static final int MAX_PATH_OCTETS = 256;

    /** RFC 1035 section 2.3.4; RFC 5321 section 2.3.5 defers to DNS for domain name rules. */
    private static final int MAX_LABEL_OCTETS = 63;
    /** RFC 1870 section 3 allows up to 20 digits for the SIZE value. */
    private static final int MAX_SIZE_DIGITS = 20;

    private static final String SIZE = "SIZE";
    private static final String SMTPUTF8 = "SMTPUTF8";
    private static final String POSTMASTER = "postmaster";

    /** What differs between the two commands; the grammar itself is shared. */
    private enum Verb {
        MAIL("FROM:", "Syntax: MAIL FROM:<address>", "5.1.7", "Bad sender address syntax"),
        RCPT("TO:", "Syntax: RCPT TO:<address>", "5.1.3", "Bad recipient address syntax");

        final String keyword;
        final String usage;
        final String addressStatus;
        final String addressText;

        Verb(String keyword, String usage, String addressStatus, String addressText) {
            this.keyword = keyword;
            this.usage = usage;
            this.addressStatus = addressStatus;
            this.addressText = addressText;
        }

        AddressException syntax() {
            return new AddressException(501, "5.5.2", usage);
        }

        AddressException badAddress(String detail) {
            return new AddressException(501, addressStatus, addressText + ": " + detail);
        }
    }

    private AddressParser() {
    }

    /**
     * Parses everything after the {@code MAIL} verb, e.g. {@code FROM:<a@b.example> SIZE=100}.
     * Spaces after {@code FROM:} are tolerated because many clients send {@code MAIL FROM: <x>}.
     * Non-ASCII parameter values are accepted only when the same command carries
     * {@code SMTPUTF8}, the condition under which RFC 6531 section 3.3 extends
     * {@code esmtp-value}.
     *
     * @return the sender, {@link MailAddress#NULL_SENDER} for {@code <>}, and the parameters
     */
    public static PathArgument parseMailFrom(String argument) throws AddressException {
        return parse(argument, Verb.MAIL, false);
    }

    /** Same as {@link #parseRcptTo(String, boolean)} for a transaction without SMTPUTF8. */
    public static PathArgument parseRcptTo(String argument) throws AddressException {
        return parseRcptTo(argument, false);
    }

    /**
     * Parses everything after the {@code RCPT} verb, e.g. {@code TO:<a@b.example>}. The bare
     * {@code <postmaster>} (any case) is accepted with a {@code null} domain as RFC 5321 section
     * 4.5.1 requires; the null path is refused because it cannot receive mail.
     *
     * @param smtpUtf8 whether the transaction's MAIL FROM carried {@code SMTPUTF8}; RCPT itself
     *     has no such keyword, so only the caller knows whether RFC 6531 section 3.3 lets
     *     parameter values contain UTF-8
     */
    public static PathArgument parseRcptTo(String argument, boolean smtpUtf8)
            throws AddressException {
        return parse(argument, Verb.RCPT, smtpUtf8);
    }

    /**
     * Validates a HELO/EHLO argument as a {@code Domain} or {@code address-literal} (RFC 5321
     * section 4.1.1.1) under the same rules as the domain of a path, U-labels included. The session
     * accepts any HELO (real clients announce all sorts of names); the {@code Received:} header uses
     * this to decide whether the name may stand as written or must go into an escaped comment.
     *
     * @throws AddressException 501 5.5.4 when the argument is not a valid domain or literal
     */
    public static void checkDomainSyntax(String domain) throws AddressException {
        if (domain == null || domain.isEmpty()) {
            throw invalidArguments("Domain name required");
        }
        if (firstControl(domain) >= 0) {
            throw invalidArguments("Control characters are not allowed");
        }
        String problem = domainOrLiteralProblem(domain);
        if (problem != null) {
            throw invalidArguments(problem);
        }
    }

    private static PathArgument parse(String argument, Verb verb, boolean smtpUtf8)
            throws AddressException {
        if (argument == null) {
            throw verb.syntax();
        }
        if (firstControl(argument) >= 0) {
            throw new AddressException(501, "5.5.2", "Control characters are not allowed");
        }
        int pos = skipSpaces(argument, 0);
        if (!argument.regionMatches(true, pos, verb.keyword, 0, verb.keyword.length())) {
            throw verb.syntax();
        }
        pos = skipSpaces(argument, pos + verb.keyword.length());
        if (pos >= argument.length() || argument.charAt(pos) != '<') {
            throw verb.badAddress("address must be enclosed in <>");
        }
        PathParser path = new PathParser(argument, pos, verb);
        MailAddress address = path.parse();
        int end = path.pos;
        if (utf8Length(argument, pos, end) > MAX_PATH_OCTETS) {
            throw verb.badAddress("path exceeds " + MAX_PATH_OCTETS + " octets");
        }
        if (end < argument.length() && argument.charAt(end) != ' ') {
            throw verb.syntax();
        }
        return new PathArgument(address, parseParameters(argument, end, verb, smtpUtf8));
    }

    /**
     * Scanner for {@code Reverse-path} / {@code Forward-path}. Following the grammar
     * rather than searching for {@code >} matters because a quoted local part may
     * itself contain {@code >}.
     */
    private static final class PathParser {
        private final String s;
        private final Verb verb;
        private int pos;

        PathParser(String s, int openBracket, Verb verb) {
            this.s = s;
            this.pos = openBracket + 1;
            this.verb = verb;
        }

        MailAddress parse() throws AddressException {
            if (peek() == '>') {
                pos++;
                if (verb == Verb.RCPT) {
                    throw verb.badAddress("null recipient <> is not allowed");
                }
                return MailAddress.NULL_SENDER;
            }
            // RFC 5321 section 4.1.1.3 and appendix C: servers MUST accept a source route and
            // SHOULD ignore it, since relaying along it is obsolete and a relay risk.
            boolean routed = peek() == '@';
            if (routed) {
                skipSourceRoute();
            }
            int localStart = pos;
            if (peek() == '"') {
                scanQuotedString();
            } else {
                scanDotString();
            }
            String localPart = s.substring(localStart, pos);
            if (utf8Length(localPart, 0, localPart.length()) > MAX_LOCAL_PART_OCTETS) {
                throw verb.badAddress("local part exceeds " + MAX_LOCAL_PART_OCTETS + " octets");
            }
            if (peek() == '>' && !routed && verb == Verb.RCPT
                    && localPart.equalsIgnoreCase(POSTMASTER)) {
                pos++;
                return new MailAddress(localPart, null);
            }
            expect('@', "domain required");
            int domainStart = pos;
            int close = s.indexOf('>', pos);
            if (close < 0) {
                throw verb.badAddress("missing closing >");
            }
            String domain = s.substring(domainStart, close);
            String problem = domainOrLiteralProblem(domain);
            if (problem != null) {
                throw verb.badAddress(problem);
            }
            pos = close + 1;
            return new MailAddress(localPart, domain);
        }

        /** {@code A-d-l ":"} where {@code A-d-l = At-domain *( "," At-domain )}. */
        private void skipSourceRoute() throws AddressException {
            while (true) {
                expect('@', "malformed source route");
                int start = pos;
                while (pos < s.length() && s.charAt(pos) != ',' && s.charAt(pos) != ':') {
                    pos++;
                }
                String problem = domainProblem(s.substring(start, pos));
                if (problem != null) {
                    throw verb.badAddress("source route: " + problem);
                }
                char separator = peek();
                if (separator == ':') {
                    pos++;
                    return;
                }
                expect(',', "malformed source route");
            }
        }

        /** {@code Quoted-string}, with RFC 6531's UTF-8 extension of {@code qtextSMTP}. */
        private void scanQuotedString() throws AddressException {
            pos++;
            while (pos < s.length()) {
                int cp = s.codePointAt(pos);
                if (cp == '"') {
                    pos++;
                    return;
                }
                if (cp == '\\') {
                    // quoted-pairSMTP is backslash followed by printable ASCII or space only.
                    if (pos + 1 >= s.length() || s.charAt(pos + 1) < 32 || s.charAt(pos + 1) > 126) {
                        throw verb.badAddress("invalid quoted-pair in local part");
                    }
                    pos += 2;
                } else if (isQtext(cp)) {
                    pos += Character.charCount(cp);
                } else {
                    throw verb.badAddress("invalid character in quoted local part");
                }
            }
            throw verb.badAddress("unterminated quoted local part");
        }

        /** {@code Dot-string = Atom *("." Atom)}: no empty atoms, hence no stray dots. */
        private void scanDotString() throws AddressException {
            int start = pos;
            while (pos < s.length()) {
                int cp = s.codePointAt(pos);
                if (cp != '.' && !isAtext(cp)) {
                    break;
                }
                pos += Character.charCount(cp);
            }
            String local = s.substring(start, pos);
            if (local.isEmpty()) {
                throw verb.badAddress("local part required");
            }
            if (local.startsWith(".") || local.endsWith(".") || local.contains("..")) {
                throw verb.badAddress("misplaced dot in local part");
            }
        }

        /** NUL marks the end; it cannot be real input since control characters were refused. */
        private char peek() {
            return pos < s.length() ? s.charAt(pos) : '\0';
        }

        private void expect(char c, String detail) throws AddressException {
            if (peek() != c) {
                throw verb.badAddress(detail);
            }
            pos++;
        }
    }

    /**
     * {@code Mail-parameters} / {@code Rcpt-parameters}. RFC 5321 asks for single spaces between
     * parameters; runs of spaces and trailing spaces are tolerated because they are harmless and
     * common, while other separators were already refused as control characters.
     */
    private static Map<String, String> parseParameters(
            String s, int from, Verb verb, boolean smtpUtf8) throws AddressException {
        List<String> tokens = new ArrayList<>();
        int pos = skipSpaces(s, from);
        while (pos < s.length()) {
            int end = s.indexOf(' ', pos);
            if (end < 0) {
                end = s.length();
            }
            tokens.add(s.substring(pos, end));
            pos = skipSpaces(s, end);
        }
        boolean utf8Values = smtpUtf8
                || (verb == Verb.MAIL && tokens.stream().anyMatch(SMTPUTF8::equalsIgnoreCase));
        Map<String, String> parameters = new LinkedHashMap<>();
        for (String token : tokens) {
            int eq = token.indexOf('=');
            String keyword = eq < 0 ? token : token.substring(0, eq);
            String value = eq < 0 ? null : token.substring(eq + 1);
            if (!isEsmtpKeyword(keyword)) {
                throw invalidArguments("Malformed parameter " + token);
            }
            if (value != null && !isEsmtpValue(value, utf8Values)) {
                throw invalidArguments("Malformed value for parameter " + keyword);
            }
            String key = keyword.toUpperCase(Locale.ROOT);
            if (parameters.containsKey(key)) {
                throw invalidArguments("Duplicate parameter " + key);
            }
            // SIZE is the one parameter checked here: RFC 1870 section 3 fixes its syntax, and
            // the session needs a number it can parse without further validation.
            if (verb == Verb.MAIL && key.equals(SIZE) && !isSizeValue(value)) {
                throw invalidArguments("SIZE requires 1 to " + MAX_SIZE_DIGITS + " digits");
            }
            parameters.put(key, value);
        }
        return parameters;
    }

    /** {@code esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")}. */
    private static boolean isEsmtpKeyword(String keyword) {
        if (keyword.isEmpty() || !isAsciiLetterOrDigit(keyword.charAt(0))) {
            return false;
        }
        for (int i = 1; i < keyword.length(); i++) {
            char c = keyword.charAt(i);
            if (!isAsciiLetterOrDigit(c) && c != '-') {
                return false;
            }
        }
        return true;
    }

    /**
     * {@code esmtp-value = 1*(%d33-60 / %d62-126)}, extended by RFC 6531 section 3.3 with
     * {@code UTF8-non-ascii} when SMTPUTF8 is in effect.
     */
    private static boolean isEsmtpValue(String value, boolean utf8) {
        if (value.isEmpty()) {
            return false;
        }
        for (int i = 0; i < value.length(); ) {
            int cp = value.codePointAt(i);
            boolean ok = cp >= 0x80 ? utf8 && isUtf8NonAscii(cp) : cp >= 33 && cp <= 126 && cp != '=';
            if (!ok) {
                return false;
            }
            i += Character.charCount(cp);
        }
        return true;
    }

    private static boolean isSizeValue(String value) {
        if (value == null || value.isEmpty() || value.length() > MAX_SIZE_DIGITS) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            if (!isAsciiDigit(value.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /**
     * @return why {@code d} is neither a {@code Domain} nor an {@code address-literal}, or null;
     *     RFC 5321 section 4.5.3.1.2 bounds "a domain name or number", so literals are measured
     */
    private static String domainOrLiteralProblem(String d) {
        if (utf8Length(d, 0, d.length()) > MAX_DOMAIN_OCTETS) {
            return "domain exceeds " + MAX_DOMAIN_OCTETS + " octets";
        }
        return d.startsWith("[") ? addressLiteralProblem(d) : domainProblem(d);
    }

    /**
     * {@code Domain = sub-domain *("." sub-domain)}, where RFC 6531 section 3.3 adds U-labels as
     * an alternative {@code sub-domain}. A trailing dot (the DNS root) is refused because the
     * grammar has no empty label. Length is left to the caller: a source-route domain is
     * already bounded by the path limit.
     */
    private static String domainProblem(String d) {
        if (d.isEmpty()) {
            return "domain required";
        }
        for (String label : d.split("\\.", -1)) {
            String problem = labelProblem(label);
            if (problem != null) {
                return problem;
            }
        }
        return null;
    }

    /**
     * {@code sub-domain = Let-dig [Ldh-str]}: letters, digits and inner hyphens. Non-ASCII
     * labels are U-labels; without the IDNA2008 tables (RFC 5892) they are approximated by
     * admitting letters, combining marks and decimal digits, which keeps out spaces, symbols,
     * punctuation such as U+3002 (a dot look-alike) and unpaired surrogates. Their 63-octet
     * limit applies to the A-label form, which needs Punycode conversion, so only ASCII labels
     * are measured here; the domain limit still bounds U-labels.
     */
    private static String labelProblem(String label) {
        if (label.isEmpty()) {
            return "empty label in domain";
        }
        if (label.charAt(0) == '-' || label.charAt(label.length() - 1) == '-') {
            return "domain label starts or ends with a hyphen";
        }
        boolean ascii = true;
        for (int i = 0; i < label.length(); ) {
            int cp = label.codePointAt(i);
            if (cp >= 0x80) {
                ascii = false;
                if (!isULabelCodePoint(cp)) {
                    return "invalid character in domain";
                }
            } else if (!isAsciiLetterOrDigit((char) cp) && cp != '-') {
                return "invalid character in domain";
            }
            i += Character.charCount(cp);
        }
        if (ascii && label.length() > MAX_LABEL_OCTETS) {
            return "domain label exceeds " + MAX_LABEL_OCTETS + " octets";
        }
        return null;
    }

    private static boolean isULabelCodePoint(int cp) {
        switch (Character.getType(cp)) {
            case Character.LOWERCASE_LETTER:
            case Character.UPPERCASE_LETTER:
            case Character.TITLECASE_LETTER:
            case Character.MODIFIER_LETTER:
            case Character.OTHER_LETTER:
            case Character.NON_SPACING_MARK:
            case Character.COMBINING_SPACING_MARK:
            case Character.ENCLOSING_MARK:
            case Character.DECIMAL_DIGIT_NUMBER:
                return true;
            default:
                return false;
        }
    }

    /**
     * {@code address-literal = "[" ( IPv4-address-literal / IPv6-address-literal /
     * General-address-literal ) "]"} (RFC 5321 section 4.1.3). A literal tagged {@code IPv6}
     * must be a valid IPv6 address rather than falling through to the general form.
     */
    private static String addressLiteralProblem(String d) {
        if (d.length() < 3 || !d.endsWith("]")) {
            return "malformed address literal";
        }
        String content = d.substring(1, d.length() - 1);
        int colon = content.indexOf(':');
        if (colon < 0) {
            return isIPv4(content) ? null : "invalid IPv4 address literal";
        }
        String tag = content.substring(0, colon);
        String value = content.substring(colon + 1);
        if (tag.equalsIgnoreCase("IPv6")) {
            return isIPv6(value) ? null : "invalid IPv6 address literal";
        }
        return isLdhStr(tag) && isDcontent(value) ? null : "malformed address literal";
    }

    /** {@code IPv4-address-literal = Snum 3("." Snum)}, Snum being 1 to 3 digits up to 255. */
    static boolean isIPv4(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String part : parts) {
            if (part.isEmpty() || part.length() > 3) {
                return false;
            }
            for (int i = 0; i < part.length(); i++) {
                if (!isAsciiDigit(part.charAt(i))) {
                    return false;
                }
            }
            if (Integer.parseInt(part) > 255) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@code IPv6-addr} of RFC 5321 section 4.1.3, parsed by hand so no string ever reaches a
     * resolver. The RFC's compressed forms are stricter than RFC 4291: {@code "::"} stands for
     * at least two groups, so at most 6 explicit groups (4 before an embedded IPv4) may
     * accompany it.
     */
    static boolean isIPv6(String s) {
        String hex = s;
        int groups = 8;
        if (s.indexOf('.') >= 0) {
            int lastColon = s.lastIndexOf(':');
            if (lastColon < 0 || !isIPv4(s.substring(lastColon + 1))) {
                return false;
            }
            // Keep a "::" that directly precedes the IPv4 part; drop a plain separator colon.
            boolean compressed = lastColon > 0 && s.charAt(lastColon - 1) == ':';
            hex = s.substring(0, compressed ? lastColon + 1 : lastColon);
            groups = 6;
        }
        int gap = hex.indexOf("::");
        if (gap < 0) {
            return countHexGroups(hex) == groups;
        }
        if (hex.indexOf("::", gap + 1) >= 0) {
            return false;
        }
        int left = countHexGroups(hex.substring(0, gap));
        int right = countHexGroups(hex.substring(gap + 2));
        return left >= 0 && right >= 0 && left + right <= groups - 2;
    }

    /** @return the number of {@code IPv6-hex} groups in a colon-separated list, or -1 */
    private static int countHexGroups(String s) {
        if (s.isEmpty()) {
            return 0;
        }
        String[] parts = s.split(":", -1);
        for (String part : parts) {
            if (part.isEmpty() || part.length() > 4) {
                return -1;
            }
            for (int i = 0; i < part.length(); i++) {
                char c = part.charAt(i);
                if (!isAsciiDigit(c) && (c < 'a' || c > 'f') && (c < 'A' || c > 'F')) {
                    return -1;
                }
            }
        }
        return parts.length;
    }

    /** {@code Ldh-str = *( ALPHA / DIGIT / "-" ) Let-dig}, the {@code Standardized-tag}. */
    private static boolean isLdhStr(String s) {
        if (s.isEmpty() || s.charAt(s.length() - 1) == '-') {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!isAsciiLetterOrDigit(c) && c != '-') {
                return false;
            }
        }
        return true;
    }

    /** {@code 1*dcontent}, {@code dcontent = %d33-90 / %d94-126}: printable ASCII minus [\]. */
    private static boolean isDcontent(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 33 || c > 126 || c == '[' || c == '\\' || c == ']') {
                return false;
            }
        }
        return true;
    }

    /** RFC 5322 {@code atext}, plus {@code UTF8-non-ascii} from RFC 6531 section 3.3. */
    private static boolean isAtext(int cp) {
        if (cp >= 0x80) {
            return isUtf8NonAscii(cp);
        }
        return isAsciiLetterOrDigit((char) cp) || "!#$%&'*+-/=?^_`{|}~".indexOf(cp) >= 0;
    }

    /** {@code qtextSMTP = %d32-33 / %d35-91 / %d93-126}, plus RFC 6531's UTF-8. */
    private static boolean isQtext(int cp) {
        if (cp >= 0x80) {
            return isUtf8NonAscii(cp);
        }
        return cp >= 32 && cp <= 126 && cp != '"' && cp != '\\';
    }

    /** A lone surrogate has no UTF-8 encoding, so it cannot be {@code UTF8-non-ascii}. */
    private static boolean isUtf8NonAscii(int cp) {
        return cp >= 0x80 && Character.getType(cp) != Character.SURROGATE;
    }

    /**
     * Index of the first C0 or C1 control character or DEL, or -1. C1 controls are included
     * because some software treats U+0085 (NEL) as a line break.
     */
    private static int firstControl(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isISOControl(s.charAt(i))) {
                return i;
            }
        }
        return -1;
    }

    /** RFC 5321 section 4.5.3.1 counts octets on the wire, and the wire encoding is UTF-8. */
    private static int utf8Length(String s, int from, int to) {
        int octets = 0;
        for (int i = from; i < to; ) {
            int cp = s.codePointAt(i);
            octets += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            i += Character.charCount(cp);
        }
        return octets;
    }

    private static int skipSpaces(String s, int pos) {
        while (pos < s.length() && s.charAt(pos) == ' ') {
            pos++;
        }
        return pos;
    }

    private static boolean isAsciiLetterOrDigit(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isAsciiDigit(c);
    }

    private static boolean isAsciiDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static AddressException invalidArguments(String detail) {
        return new AddressException(501, "5.5.4", detail);
    }
}
