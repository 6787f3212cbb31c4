package io.guerrilla.smtpd.config;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code tls:} section of a listener: STARTTLS (RFC 3207) and/or implicit TLS (RFC 8314,
 * port 465), with a PEM certificate chain and a PEM PKCS#8 private key. The JDK's TLS provider is
 * used (no native library to ship); TLS is off unless {@code start_tls} or {@code implicit} is true.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public class TlsConfig {
    /** RFC 8996 deprecates TLS 1.0 and 1.1, and the JDK disables them by default. */
    static final Set<String> KNOWN_PROTOCOLS = Set.of("TLSv1.2", "TLSv1.3");
    private static final Pattern PKCS8_PEM =
            Pattern.compile("-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");

    public String certFile;
    public String keyFile;
    public boolean startTls = false;
    public boolean implicit = false;
    public List<String> protocols = List.of("TLSv1.2", "TLSv1.3");
    /** Cipher suites in JDK names; empty: the provider's defaults, which drop weak suites as the JDK updates. */
    public List<String> ciphers = List.of();
    public int handshakeTimeout = Limits.TLS_HANDSHAKE_TIMEOUT_SECONDS;

    public boolean enabled() {
        return startTls || implicit;
    }

    /** The server context for this section; call only when {@link #enabled()} and valid. */
    public SslContext newServerContext() throws SSLException {
        SslContextBuilder b = SslContextBuilder.forServer(new File(certFile), new File(keyFile))
                .sslProvider(SslProvider.JDK)
                .protocols(protocols);
        if (ciphers != null && !ciphers.isEmpty()) {
            b.ciphers(ciphers);
        }
        return b.build();
    }

    void validate(String prefix, List<String> errors) {
        if (!enabled()) {
            return;
        }
        int before = errors.size();
        readable(errors, prefix + "cert_file", certFile);
        readable(errors, prefix + "key_file", keyFile);
        if (protocols == null || protocols.isEmpty()) {
            errors.add(prefix + "protocols: must list TLSv1.2 and/or TLSv1.3");
        } else {
            for (String p : protocols) {
                if (!KNOWN_PROTOCOLS.contains(p)) {
                    errors.add(prefix + "protocols: unknown or unsafe protocol \"" + p + "\" (use TLSv1.2, TLSv1.3)");
                }
            }
        }
        if (ciphers != null && !ciphers.isEmpty()) {
            Set<String> supported = supportedCipherSuites();
            for (String c : ciphers) {
                if (!supported.contains(c)) {
                    errors.add(prefix + "ciphers: cipher suite \"" + c + "\" is not supported by the JDK");
                }
            }
        }
        ListenerConfig.positive(errors, prefix + "handshake_timeout", handshakeTimeout);
        if (errors.size() > before) {
            return;
        }
        X509Certificate leaf;
        try (InputStream in = Files.newInputStream(Path.of(certFile))) {
            List<? extends Certificate> chain = List.copyOf(CertificateFactory.getInstance("X.509").generateCertificates(in));
            if (chain.isEmpty()) {
                errors.add(prefix + "cert_file: no certificate in " + certFile);
                return;
            }
            leaf = (X509Certificate) chain.get(0);
        } catch (CertificateException | IOException e) {
            errors.add(prefix + "cert_file: not a PEM certificate: " + e.getMessage());
            return;
        }
        String legacy = legacyKeyFormat(Path.of(keyFile));
        if (legacy != null) {
            errors.add(prefix + "key_file: " + keyFile + " is a " + legacy + " key; only PKCS#8 (\"BEGIN PRIVATE KEY\")"
                    + " is read. Convert it: openssl pkcs8 -topk8 -nocrypt -in " + keyFile + " -out key.pk8.pem");
            return;
        }
        try {
            newServerContext();
        } catch (SSLException | IllegalArgumentException e) {
            // The certificate parsed above, so what is left to fail is the key (or the pair).
            errors.add(prefix + "key_file: cannot load the private key (PEM, PKCS#8, unencrypted): "
                    + rootMessage(e));
            return;
        }
        if (!keyMatches(leaf, Path.of(keyFile))) {
            errors.add(prefix + "key_file: is not the private key of the first certificate in cert_file");
        }
    }

    /** "PKCS#1" or "SEC1" when the PEM file holds a key in that older form (what openssl wrote before 3.0); else null. */
    private static String legacyKeyFormat(Path keyFile) {
        String pem;
        try {
            pem = Files.readString(keyFile, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return null;
        }
        if (pem.contains("-----BEGIN RSA PRIVATE KEY-----")) {
            return "PKCS#1 (\"BEGIN RSA PRIVATE KEY\")";
        }
        if (pem.contains("-----BEGIN EC PRIVATE KEY-----")) {
            return "SEC1 (\"BEGIN EC PRIVATE KEY\")";
        }
        return null;
    }

    /**
     * Signs with the key and verifies with the certificate. A certificate renewed with a new key
     * while key_file still names the old one loads fine and then fails every handshake.
     */
    private static boolean keyMatches(X509Certificate leaf, Path keyFile) {
        try {
            Matcher m = PKCS8_PEM.matcher(Files.readString(keyFile, StandardCharsets.US_ASCII));
            if (!m.find()) {
                // Loaded by the provider in a form this check does not read: trust the provider.
                return true;
            }
            PublicKey pub = leaf.getPublicKey();
            PrivateKey key = KeyFactory.getInstance(pub.getAlgorithm())
                    .generatePrivate(new PKCS8EncodedKeySpec(Base64.getMimeDecoder().decode(m.group(1))));
            String alg = switch (pub.getAlgorithm()) {
                case "RSA" -> "SHA256withRSA";
                case "EC" -> "SHA256withECDSA";
                case "EdDSA", "Ed25519", "Ed448" -> "EdDSA";
                default -> null;
            };
            if (alg == null) {
                return true;
            }
            byte[] probe = "guerrillad key check".getBytes(StandardCharsets.US_ASCII);
            Signature sign = Signature.getInstance(alg);
            sign.initSign(key);
            sign.update(probe);
            Signature verify = Signature.getInstance(alg);
            verify.initVerify(pub);
            verify.update(probe);
            return verify.verify(sign.sign());
        } catch (GeneralSecurityException | IOException | IllegalArgumentException e) {
            return false;
        }
    }

    private static void readable(List<String> errors, String key, String file) {
        if (file == null || file.isBlank()) {
            errors.add(key + ": required when start_tls or implicit is true");
        } else if (!Files.isReadable(Path.of(file))) {
            errors.add(key + ": cannot read " + file);
        }
    }

    private static Set<String> supportedCipherSuites() {
        try {
            return Set.of(SSLContext.getDefault().getSupportedSSLParameters().getCipherSuites());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no default TLS context", e);
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() != null ? root.getMessage() : root.toString();
    }
}
