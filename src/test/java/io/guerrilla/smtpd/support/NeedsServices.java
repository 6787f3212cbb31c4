package io.guerrilla.smtpd.support;

import org.junit.jupiter.api.Tag;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a test (or a class of them) that needs MariaDB, PostgreSQL, Redis or Memcached, running (as
 * .ci/services.sh starts them) or installed (for a {@link PrivateService}). The tag lets a run leave
 * them out ({@code -DexcludedGroups=services}). Whether one runs is decided where the service is
 * asked for ({@link Databases#require}, {@link Requirements}): skipped locally when it is missing,
 * failed under CI; {@link SkippedTestsSummary} lists what was skipped and why at the end of a run.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag("services")
public @interface NeedsServices {
}
