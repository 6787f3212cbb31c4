package io.guerrilla.smtpd.config;

import com.fasterxml.jackson.annotation.JsonAlias;

import java.util.Locale;

/** Which database a {@code store:} section names ({@code type}); any case, with the usual aliases. */
public enum StoreType {
    /** The embedded default: one file, no server. */
    SQLITE,
    /** MySQL or MariaDB, with go-guerrilla's schema. */
    @JsonAlias("mariadb")
    MYSQL,
    /** PostgreSQL. */
    @JsonAlias("postgresql")
    POSTGRES;

    /** The name a config writes, and logs and messages show. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
