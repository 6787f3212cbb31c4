package io.guerrilla.smtpd.smtp;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

class AddressParserTest {

    private static final String LABEL_63 = "a".repeat(63);

    private static MailAddress from(String argument) throws AddressException {
        return AddressParser.parseMailFrom(argument).address();
    }

    private static MailAddress to(String argument) throws AddressException {
        return AddressParser.parseRcptTo(argument).address();
    }

    private static void assertRejected(ThrowingCallable call, String enhancedCode) {
        assertThatThrownBy(call)
                .isInstanceOf(AddressException.class)
                .satisfies(e -> {
                    AddressException ae = (AddressException) e;
                    assertThat(ae.code()).isEqualTo(501);
                    assertThat(ae.enhancedCode()).isEqualTo(enhancedCode);
                    assertThat(ae.getMessage()).isNotBlank();
                });
    }

    private static void assertMailRejected(String argument, String enhancedCode) {
        assertRejected(() -> AddressParser.parseMailFrom(argument), enhancedCode);
    }

    private static void assertRcptRejected(String argument, String enhancedCode) {
        assertRejected(() -> AddressParser.parseRcptTo(argument), enhancedCode);
    }

    @Nested
    class Paths {

        @Test
        void plainAddress() throws Exception {
            PathArgument arg = AddressParser.parseMailFrom("FROM:<john.doe@example.com>");
            assertThat(arg.address()).isEqualTo(new MailAddress("john.doe", "example.com"));
            assertThat(arg.address().toString()).isEqualTo("john.doe@example.com");
            assertThat(arg.address().isNullSender()).isFalse();
            assertThat(arg.address().isAscii()).isTrue();
            assertThat(arg.parameters()).isEmpty();
            assertThat(to("TO:<Jane@Example.COM>").domainLowerCase()).isEqualTo("example.com");
        }

        @Test
        void nullSender() throws Exception {
            MailAddress sender = from("FROM:<>");
            assertThat(sender).isSameAs(MailAddress.NULL_SENDER);
            assertThat(sender.isNullSender()).isTrue();
            assertThat(sender.toString()).isEmpty();
            assertThat(sender.domainLowerCase()).isNull();
        }

        @Test
        void nullRecipientRejected() {
            assertRcptRejected("TO:<>", "5.1.3");
        }

        @ParameterizedTest
        @ValueSource(strings = {"postmaster", "Postmaster", "POSTMASTER"})
        void bareRecipientPostmasterInAnyCase(String local) throws Exception {
            MailAddress rcpt = to("TO:<" + local + ">");
            assertThat(rcpt.localPart()).isEqualTo(local);
            assertThat(rcpt.domain()).isNull();
            assertThat(rcpt.isNullSender()).isFalse();
            assertThat(rcpt.toString()).isEqualTo(local);
        }

        @Test
        void bareSenderPostmasterRejected() {
            assertMailRejected("FROM:<postmaster>", "5.1.7");
        }

        @ParameterizedTest
        @ValueSource(strings = {"TO:<user>", "TO:<\"postmaster\">", "TO:<@relay.example:postmaster>"})
        void recipientWithoutDomainRejected(String argument) {
            assertRcptRejected(argument, "5.1.3");
        }

        @Test
        void sourceRouteDropped() throws Exception {
            assertThat(to("TO:<@a.example,@b.example:user@c.example>"))
                    .isEqualTo(new MailAddress("user", "c.example"));
            assertThat(from("FROM:<@a.example:user@c.example>"))
                    .isEqualTo(new MailAddress("user", "c.example"));
        }

        @ParameterizedTest
        @ValueSource(strings = {
            "TO:<@:user@c.example>", "TO:<@a.example,user@c.example>", "TO:<@-a.example:user@c.example>",
            "TO:<@[1.2.3.4]:user@c.example>"
        })
        void malformedSourceRouteRejected(String argument) {
            assertRcptRejected(argument, "5.1.3");
        }

        @Test
        void quotedLocalPartKeptAsWritten() throws Exception {
            MailAddress a = from("FROM:<\"john doe\"@example.com>");
            assertThat(a.localPart()).isEqualTo("\"john doe\"");
            assertThat(a.toString()).isEqualTo("\"john doe\"@example.com");

            MailAddress b = to("TO:<\"say \\\"hi\\\" <now>\"@example.com> NOTIFY=NEVER");
            assertThat(b.localPart()).isEqualTo("\"say \\\"hi\\\" <now>\"");
            assertThat(b.domain()).isEqualTo("example.com");
        }

        @ParameterizedTest
        @ValueSource(strings = {
            "TO:<\"unterminated@example.com>", "TO:<\"a\"b@example.com>", "TO:<\"a\\\u00e9\"@example.com>"
        })
        void malformedQuotedLocalPartRejected(String argument) {
            assertRcptRejected(argument, "5.1.3");
        }

        @ParameterizedTest
        @ValueSource(strings = {
            ".john@example.com", "john.@example.com", "jo..hn@example.com", "@example.com",
            "jo hn@example.com", "jo(hn@example.com"
        })
        void badDotStringRejected(String mailbox) {
            assertMailRejected("FROM:<" + mailbox + ">", "5.1.7");
            assertRcptRejected("TO:<" + mailbox + ">", "5.1.3");
        }

        @Test
        void atextSpecialsAccepted() throws Exception {
            assertThat(to("TO:<a!#$%&'*+-/=?^_`{|}~z@example.com>").localPart())
                    .isEqualTo("a!#$%&'*+-/=?^_`{|}~z");
        }

        @ParameterizedTest
        @ValueSource(strings = {
            "-example.com", "example-.com", "exa_mple.com", "example..com", "example.com.", ".example.com",
            "exa mple.com", "example.com\u3002org", ""
        })
        void badDomainRejected(String domain) {
            assertMailRejected("FROM:<user@" + domain + ">", "5.1.7");
            assertRcptRejected("TO:<user@" + domain + ">", "5.1.3");
        }

        @Test
        void hyphensInsideLabelsAndSingleLabelDomainsAccepted() throws Exception {
            assertThat(to("TO:<u@xn--bcher-kva.example>").domain()).isEqualTo("xn--bcher-kva.example");
            assertThat(to("TO:<u@localhost>").domain()).isEqualTo("localhost");
        }

        @Test
        void labelOver63OctetsRejected() throws Exception {
            assertThat(to("TO:<u@" + LABEL_63 + ".com>").domain()).startsWith(LABEL_63);
            assertRcptRejected("TO:<u@a" + LABEL_63 + ".com>", "5.1.3");
        }

        @ParameterizedTest
        @ValueSource(strings = {"FROM:user@example.com", "FROM:", "FROM: ", "FROM:user@example.com>"})
        void senderWithoutAngleBracketsRejected(String argument) {
            assertMailRejected(argument, "5.1.7");
        }

        @ParameterizedTest
        @ValueSource(strings = {"TO:user@example.com", "TO:", "TO:<user@example.com"})
        void recipientWithoutAngleBracketsRejected(String argument) {
            assertRcptRejected(argument, "5.1.3");
        }

        @Test
        void keywordIsCaseInsensitiveAndSpacesAfterColonTolerated() throws Exception {
            MailAddress expected = new MailAddress("a", "b.example");
            assertThat(from("from:<a@b.example>")).isEqualTo(expected);
            assertThat(from("FROM: <a@b.example>")).isEqualTo(expected);
            assertThat(from("From:   <a@b.example>")).isEqualTo(expected);
            assertThat(to("to: <a@b.example>")).isEqualTo(expected);
        }

        @ParameterizedTest
        @ValueSource(strings = {"<a@b.example>", "FROM <a@b.example>", "FROM :<a@b.example>", "TO:<a@b.example>", ""})
        void missingFromKeywordRejected(String argument) {
            assertMailRejected(argument, "5.5.2");
        }

        @ParameterizedTest
        @ValueSource(strings = {"<a@b.example>", "FROM:<a@b.example>", "T O:<a@b.example>"})
        void missingToKeywordRejected(String argument) {
            assertRcptRejected(argument, "5.5.2");
        }

        @Test
        void nullArgumentRejected() {
            assertMailRejected(null, "5.5.2");
            assertRcptRejected(null, "5.5.2");
        }

        @ParameterizedTest
        @ValueSource(strings = {"FROM:<a@b.example>x", "FROM:<a@b.example>SIZE=1", "FROM:<>x"})
        void garbageAfterPathRejected(String argument) {
            assertMailRejected(argument, "5.5.2");
        }

        @ParameterizedTest
        @ValueSource(strings = {
            "FROM:<a@b.example>\r\nRCPT TO:<x@y.example>", "FROM:<a@b.\rexample>", "FROM:<a@b.example>\n",
            "FROM:<a\u0000@b.example>", "FROM:<a@b.example>\tSIZE=1", "FROM:<a@b.example> X=\u007f",
            "FROM:<\"a\u0085\"@b.example>"
        })
        void controlCharactersRejected(String argument) {
            assertMailRejected(argument, "5.5.2");
            assertRcptRejected("TO" + argument.substring(4), "5.5.2");
        }
    }

    @Nested
    class AddressLiterals {

        @ParameterizedTest
        @ValueSource(strings = {
            "[1.2.3.4]", "[255.255.255.255]", "[0.0.0.0]", "[IPv6:::1]", "[ipv6:::]", "[IPv6:2001:db8::1]",
            "[IPv6:2001:0db8:0000:0000:0000:ff00:0042:8329]", "[IPv6:1::2:3:4:5:6]", "[IPv6:::ffff:192.0.2.1]",
            "[IPv6:1:2:3:4:5:6:1.2.3.4]", "[IPv6:1::1.2.3.4]", "[IPv6:1:2:3::4:1.2.3.4]", "[x-tag:any~thing]"
        })
        void validLiteralsKeptAsWritten(String literal) throws Exception {
            MailAddress a = to("TO:<user@" + literal + ">");
            assertThat(a.domain()).isEqualTo(literal);
        }

        @ParameterizedTest
        @ValueSource(strings = {
            "[256.1.1.1]", "[1.2.3]", "[1.2.3.4.5]", "[1.2.3.]", "[1.2.3.1234]", "[a.b.c.d]", "[]", "[1.2.3.4",
            "[IPv6:]", "[IPv6:1:2:3:4:5:6:7]", "[IPv6:1:2:3:4:5:6:7:8:9]", "[IPv6:1::2::3]", "[IPv6:12345::]",
            "[IPv6:g::1]", "[IPv6:1:2:3:4:5:6:7::]", "[IPv6::::1]", "[IPv6:1:2:3:4:5::1.2.3.4]",
            "[IPv6:::256.1.1.1]", "[IPv6:1.2.3.4]", "[IPv6:1:2:3:4:5:6:7:1.2.3.4]", "[-tag-:x]", "[tag:a[b]",
            "[tag:]", "[tag:a b]", "[ta_g:x]"
        })
        void invalidLiteralsRejected(String literal) {
            assertRcptRejected("TO:<user@" + literal + ">", "5.1.3");
        }
    }

    @Nested
    class Limits {

        @Test
        void localPartOf64OctetsAcceptedAnd65Rejected() throws Exception {
            String local = "l".repeat(AddressParser.MAX_LOCAL_PART_OCTETS);
            assertThat(to("TO:<" + local + "@example.com>").localPart()).isEqualTo(local);
            assertRcptRejected("TO:<" + local + "l@example.com>", "5.1.3");
            assertMailRejected("FROM:<" + local + "l@example.com>", "5.1.7");
        }

        @Test
        void localPartLimitCountsUtf8Octets() throws Exception {
            String local = "\u00e9".repeat(32); // 32 characters, 64 octets
            assertThat(to("TO:<" + local + "@example.com>").localPart()).isEqualTo(local);
            assertRcptRejected("TO:<" + local + "x@example.com>", "5.1.3");
            assertRcptRejected("TO:<" + "\ud83d\udce7".repeat(17) + "@example.com>", "5.1.3");
        }

        @Test
        void domainOf256OctetsRejected() {
            String domain256 = String.join(".", LABEL_63, LABEL_63, LABEL_63, "a".repeat(62), "b");
            assertThat(domain256).hasSize(AddressParser.MAX_DOMAIN_OCTETS + 1);
            assertRcptRejected("TO:<u@" + domain256 + ">", "5.1.3");
        }

        @Test
        void pathLimitCountsUtf8OctetsOfTheDomain() throws Exception {
            // 4 labels of 31 two-octet characters: 127 characters but 251 octets, so "<u@" + it + ">"
            // is 255 octets; two more characters make 257, over the limit, in 133 characters.
            String label = "\u00fc".repeat(31);
            String domain = String.join(".", label, label, label, label);
            assertThat(to("TO:<u@" + domain + ">").domain()).isEqualTo(domain);
            assertRcptRejected("TO:<u@" + domain + ".a>", "5.1.3");
        }

        @Test
        void pathOf256OctetsAcceptedAnd257Rejected() throws Exception {
            // "<" + 64 + "@" + domain + ">" = 256 needs a 189-octet domain: three labels 63, 63, 61.
            String local = "l".repeat(64);
            String domain = String.join(".", LABEL_63, LABEL_63, "a".repeat(61));
            assertThat(("<" + local + "@" + domain + ">").getBytes(StandardCharsets.UTF_8))
                    .hasSize(AddressParser.MAX_PATH_OCTETS);
            assertThat(to("TO:<" + local + "@" + domain + ">").domain()).isEqualTo(domain);
            assertRcptRejected("TO:<" + local + "@" + domain + "a>", "5.1.3");
            assertMailRejected("FROM:<" + local + "@" + domain + "a>", "5.1.7");
        }

        @Test
        void pathLimitIncludesSourceRoute() throws Exception {
            String route = "@" + "r".repeat(63) + ",@" + "s".repeat(63) + ":";
            String mailbox = "user@" + String.join(".", LABEL_63, LABEL_63, "e".repeat(40));
            assertThat(to("TO:<" + mailbox + ">").localPart()).isEqualTo("user");
            assertThat(("<" + route + mailbox + ">").length()).isGreaterThan(AddressParser.MAX_PATH_OCTETS);
            assertRcptRejected("TO:<" + route + mailbox + ">", "5.1.3");
        }

        @Test
        void pathLimitCountsUtf8Octets() throws Exception {
            String local = "l".repeat(64);
            String label = "\u00fc".repeat(30); // 60 octets
            String domain256 = String.join(".", label, label, label, "abcdef");
            String path256 = "<" + local + "@" + domain256 + ">";
            assertThat(path256.getBytes(StandardCharsets.UTF_8)).hasSize(AddressParser.MAX_PATH_OCTETS);
            assertThat(path256.length()).isLessThan(AddressParser.MAX_PATH_OCTETS - 80);
            assertThat(to("TO:" + path256).domain()).isEqualTo(domain256);
            assertRcptRejected("TO:<" + local + "@" + domain256 + "g>", "5.1.3");
        }
    }

    @Nested
    class Utf8 {

        @Test
        void utf8LocalPartAndDomainAccepted() throws Exception {
            MailAddress a = to("TO:<用户@例子.广告>");
            assertThat(a).isEqualTo(new MailAddress("用户", "例子.广告"));
            assertThat(a.isAscii()).isFalse();

            MailAddress b = from("FROM:<\"Jörg Müller\"@bücher.example> SMTPUTF8");
            assertThat(b.localPart()).isEqualTo("\"Jörg Müller\"");
            assertThat(b.isAscii()).isFalse();
            assertThat(from("FROM:<x@BÜCHER.Example>").domainLowerCase()).isEqualTo("bücher.example");
            assertThat(to("TO:<\ud83d\udce7@example.com>").isAscii()).isFalse();
        }

        @Test
        void nonAsciiDomainOnlyMakesAddressNonAscii() throws Exception {
            assertThat(to("TO:<user@bücher.example>").isAscii()).isFalse();
            assertThat(to("TO:<user@xn--bcher-kva.example>").isAscii()).isTrue();
        }

        @ParameterizedTest
        @ValueSource(strings = {"a\u00a0b.example", "a\u2028b.example", "a\u2603b.example", "\u0301-.example"})
        void uLabelWithSpacesOrSymbolsRejected(String domain) {
            assertRcptRejected("TO:<user@" + domain + ">", "5.1.3");
        }

        @Test
        void loneSurrogateRejected() {
            assertRcptRejected("TO:<a\ud83d@example.com>", "5.1.3");
            assertRcptRejected("TO:<a@ex\udce7ample.com>", "5.1.3");
        }
    }

    @Nested
    class Parameters {

        @Test
        void parametersParsedInOrderWithUpperCasedKeywords() throws Exception {
            PathArgument arg = AddressParser.parseMailFrom("FROM:<a@b.example> SIZE=100 body=8BITMIME SmtpUtf8");
            assertThat(arg.parameters()).containsExactly(
                    entry("SIZE", "100"), entry("BODY", "8BITMIME"), entry("SMTPUTF8", null));
            assertThat(AddressParser.parseMailFrom("FROM:<> SIZE=0").parameters())
                    .containsExactly(entry("SIZE", "0"));
        }

        @Test
        void parametersAreUnmodifiable() throws Exception {
            PathArgument arg = AddressParser.parseRcptTo("TO:<a@b.example> NOTIFY=SUCCESS,FAILURE");
            assertThat(arg.parameters()).containsExactly(entry("NOTIFY", "SUCCESS,FAILURE"));
            assertThatThrownBy(() -> arg.parameters().put("X", "y"))
                    .isInstanceOf(UnsupportedOperationException.class);
        }

        @Test
        void extraSpacesBetweenAndAfterParametersTolerated() throws Exception {
            assertThat(AddressParser.parseMailFrom("FROM:<a@b.example>  SIZE=1   BODY=7BIT  ").parameters())
                    .containsExactly(entry("SIZE", "1"), entry("BODY", "7BIT"));
        }

        @ParameterizedTest
        @ValueSource(strings = {"SIZE=1 SIZE=2", "SIZE=1 size=1", "SMTPUTF8 smtputf8"})
        void duplicateParameterRejected(String parameters) {
            assertMailRejected("FROM:<a@b.example> " + parameters, "5.5.4");
        }

        @ParameterizedTest
        @ValueSource(strings = {
            "=x", "-X=1", "X_Y=1", "X=", "X=a=b", "X==", "BODY=8BIT\u00e9", "Ü=1", "SIZE", "SIZE=", "SIZE=-1",
            "SIZE=1k", "SIZE=123456789012345678901", "SIZE=１"
        })
        void malformedParameterRejected(String parameter) {
            assertMailRejected("FROM:<a@b.example> " + parameter, "5.5.4");
        }

        @Test
        void sizeOf20DigitsLeftForCallerToCheck() throws Exception {
            assertThat(AddressParser.parseMailFrom("FROM:<a@b.example> SIZE=99999999999999999999").parameters())
                    .containsEntry("SIZE", "99999999999999999999");
        }

        @Test
        void utf8ValuesOnlyUnderSmtpUtf8() throws Exception {
            assertThat(AddressParser.parseMailFrom("FROM:<a@b.example> X-NAME=Jörg SMTPUTF8").parameters())
                    .containsEntry("X-NAME", "Jörg");
            assertMailRejected("FROM:<a@b.example> X-NAME=Jörg", "5.5.4");
            assertRcptRejected("TO:<a@b.example> ORCPT=utf-8;Jörg@b.example", "5.5.4");
            assertThat(AddressParser.parseRcptTo("TO:<a@b.example> ORCPT=utf-8;Jörg@b.example", true)
                    .parameters()).containsEntry("ORCPT", "utf-8;Jörg@b.example");
        }

        @Test
        void otherParametersNotInterpreted() throws Exception {
            assertThat(AddressParser.parseRcptTo("TO:<a@b.example> SIZE=huge X-FOO").parameters())
                    .containsExactly(entry("SIZE", "huge"), entry("X-FOO", null));
        }
    }
}
