package io.guerrilla.smtpd.support;

import io.guerrilla.smtpd.config.TlsConfig;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * A self-signed certificate for mx.test.local, made once per test JVM with the openssl CLI (as an
 * operator would make one), and a client TLS context that trusts exactly that certificate.
 */
public final class TestCertificates {
    private static Path dir;

    private TestCertificates() {
    }

    private static synchronized Path dir() throws Exception {
        if (dir == null) {
            String openssl = Requirements.tool("openssl");
            Path d = Files.createTempDirectory("guerrilla-tls");
            // Kept for the whole JVM (every TLS test shares it); deleted at exit, files before the directory.
            d.toFile().deleteOnExit();
            d.resolve("key.pem").toFile().deleteOnExit();
            d.resolve("cert.pem").toFile().deleteOnExit();
            Commands.run(List.of(openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", d.resolve("key.pem").toString(), "-out", d.resolve("cert.pem").toString(),
                    "-days", "2", "-subj", "/CN=mx.test.local", "-addext", "subjectAltName=DNS:mx.test.local,IP:127.0.0.1"));
            dir = d;
        }
        return dir;
    }

    public static String certFile() throws Exception {
        return dir().resolve("cert.pem").toString();
    }

    public static String keyFile() throws Exception {
        return dir().resolve("key.pem").toString();
    }

    /** Points a listener's tls section at the test certificate and key. */
    public static void install(TlsConfig tls) {
        try {
            tls.certFile = certFile();
            tls.keyFile = keyFile();
        } catch (Exception e) {
            throw new IllegalStateException("cannot make the test certificate", e);
        }
    }

    /** A client context whose only trust anchor is the test certificate. */
    public static SSLContext clientContext() throws Exception {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(Path.of(certFile()))) {
            trust.setCertificateEntry("mx", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    /** For tests that look at which certificate is served, not at whether it is trusted. */
    public static SSLContext trustAnything() throws Exception {
        X509TrustManager any = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new TrustManager[] {any}, null);
        return ctx;
    }
}
