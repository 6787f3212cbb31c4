package io.guerrilla.smtpd.config;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A go-sql-driver/mysql data source name, as go-guerrilla's {@code sql_dsn} holds it:
 * {@code [user[:password]@][protocol[(address)]]/dbname[?param=value&...]}. Parsed as that driver
 * does: the database follows the last '/', the credentials end at the last '@' before it (so a
 * password may contain '@' or ':'), and a missing address is the driver's default 127.0.0.1:3306.
 */
record GoSqlDsn(String user, String password, String protocol, String host, int port, String database,
                Map<String, String> params) {
    private static final String DEFAULT_HOST = "127.0.0.1";
    private static final int DEFAULT_PORT = 3306;

    static GoSqlDsn parseMysql(String dsn) {
        int slash = dsn.lastIndexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("no /dbname (expected user:password@tcp(host:port)/dbname)");
        }
        String head = dsn.substring(0, slash);
        String tail = dsn.substring(slash + 1);
        int q = tail.indexOf('?');
        String database = q < 0 ? tail : tail.substring(0, q);
        Map<String, String> params = q < 0 ? Map.of() : params(tail.substring(q + 1));
        if (database.isEmpty()) {
            throw new IllegalArgumentException("no database name after /");
        }
        String user = "";
        String password = "";
        int at = head.lastIndexOf('@');
        if (at >= 0) {
            String credentials = head.substring(0, at);
            int colon = credentials.indexOf(':');
            user = colon < 0 ? credentials : credentials.substring(0, colon);
            password = colon < 0 ? "" : credentials.substring(colon + 1);
            head = head.substring(at + 1);
        }
        String protocol = "tcp";
        String address = "";
        if (!head.isEmpty()) {
            int open = head.indexOf('(');
            if (open < 0) {
                protocol = head;
            } else {
                if (!head.endsWith(")")) {
                    throw new IllegalArgumentException("address \"" + head + "\" lacks its closing parenthesis");
                }
                protocol = head.substring(0, open);
                address = head.substring(open + 1, head.length() - 1);
            }
        }
        if (!protocol.equals("tcp")) {
            return new GoSqlDsn(user, password, protocol, address, 0, database, params);
        }
        String host = DEFAULT_HOST;
        int port = DEFAULT_PORT;
        String portText = null;
        if (address.startsWith("[")) {
            int close = address.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("address \"" + address + "\" lacks its closing ]");
            }
            host = address.substring(1, close);
            String rest = address.substring(close + 1);
            if (!rest.isEmpty() && !rest.startsWith(":")) {
                throw new IllegalArgumentException("address \"" + address + "\" is not [host]:port");
            }
            portText = rest.isEmpty() ? null : rest.substring(1);
        } else if (!address.isEmpty()) {
            int colon = address.lastIndexOf(':');
            host = colon < 0 ? address : address.substring(0, colon);
            portText = colon < 0 ? null : address.substring(colon + 1);
        }
        if (portText != null) {
            try {
                port = Integer.parseInt(portText);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("port of \"" + address + "\" is not a number");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port of \"" + address + "\" is out of range 1-65535");
            }
        }
        return new GoSqlDsn(user, password, protocol, host, port, database, params);
    }

    private static Map<String, String> params(String query) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String pair : query.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String key = eq < 0 ? pair : pair.substring(0, eq);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.put(key, value);
        }
        return out;
    }
}
