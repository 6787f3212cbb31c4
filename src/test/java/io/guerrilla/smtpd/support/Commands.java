package io.guerrilla.smtpd.support;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Runs real client programs (swaks, python3, the launcher) and returns what they printed. */
public final class Commands {
    private Commands() {
    }

    public record Result(int exitCode, String output) {
    }

    /** Runs cmd, stdout and stderr merged; fails the test if it does not exit within a minute. */
    public static Result exec(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s finished", cmd).isTrue();
        return new Result(p.exitValue(), out);
    }

    /** Runs cmd and fails the test unless it exits 0. */
    public static String run(List<String> cmd) throws Exception {
        Result r = exec(cmd);
        assertThat(r.exitCode()).as("exit of %s, output:%n%s", cmd, r.output()).isZero();
        return r.output();
    }
}
