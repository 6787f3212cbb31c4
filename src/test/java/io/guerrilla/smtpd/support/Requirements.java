package io.guerrilla.smtpd.support;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import java.io.File;

/**
 * External tools and services a test needs. Outside CI a missing one skips the test, so a developer
 * without swaks can still run the rest; under CI (CI=true) it fails, so a broken CI set-up cannot
 * pass by skipping.
 */
public final class Requirements {
    private Requirements() {
    }

    public static boolean underCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    public static String tool(String name) {
        String path = System.getenv("PATH");
        for (String dir : (path == null ? "" : path).split(File.pathSeparator)) {
            File f = new File(dir, name);
            if (f.canExecute()) {
                return f.getAbsolutePath();
            }
        }
        for (String dir : new String[] {"/usr/sbin", "/usr/local/sbin", "/sbin"}) {
            File f = new File(dir, name);
            if (f.canExecute()) {
                return f.getAbsolutePath();
            }
        }
        missing(name + " is not installed");
        return null;
    }

    public static void missing(String what) {
        if (underCi()) {
            Assertions.fail(what + " (required under CI; .ci/services.sh installs it)");
        }
        Assumptions.abort(what);
    }
}
