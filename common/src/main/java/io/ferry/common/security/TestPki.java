package io.ferry.common.security;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.function.Supplier;

/**
 * <b>For tests, benchmarks and one-machine clusters only</b>: a cluster CA in a directory and
 * certificates issued from it without any join. Real clusters make their CA with {@code ferry
 * cluster init} and give hosts certificates through join tokens ({@link JoinTokens}); this helper
 * lives in {@code src/main} only so that every module's tests and the local cluster harnesses can
 * share one fixture without test-jar dependencies. It holds no state beyond the CA it wraps.
 *
 * <p>Layout under its directory: {@code ca.crt}, {@code ca.key} (the CA, as {@code ferry cluster
 * init} writes it, so a coordinator can use the directory as its {@code security.dir}); {@code
 * hosts/<name>/} a host's security directory ({@code ca.crt}, {@code host.crt}, {@code host.key});
 * {@code clients/<name>.crt} and {@code .key}.
 */
public final class TestPki {

  private final Path directory;
  private final CertificateAuthority authority;

  private TestPki(Path directory, CertificateAuthority authority) {
    this.directory = directory;
    this.authority = authority;
  }

  /** Creates a new CA in {@code directory}, or loads the one already there. */
  /**
   * A CA in a new temporary directory whose name starts with {@code prefix} (a fixture's one CA per
   * JVM); an I/O failure is unchecked.
   */
  public static TestPki inNewTempDirectory(String prefix) {
    try {
      return in(java.nio.file.Files.createTempDirectory(prefix).resolve("ca"));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  public static TestPki in(Path directory) throws IOException {
    CertificateAuthority authority =
        CertificateAuthority.existsIn(directory)
            ? CertificateAuthority.load(directory, CertificateValidity.DEFAULTS, Clock.systemUTC())
            : CertificateAuthority.create(directory, CertificateValidity.DEFAULTS, Clock.systemUTC());
    return new TestPki(directory, authority);
  }

  /** The CA's directory: a coordinator's {@code security.dir}. */
  public Path directory() {
    return directory;
  }

  public CertificateAuthority authority() {
    return authority;
  }

  /** The CA certificate file. */
  public Path caCertificate() {
    return directory.resolve(CertificateAuthority.CERTIFICATE_FILE);
  }

  /**
   * Issues a host certificate for {@code name} (valid for {@code addresses} besides the name) into
   * {@code securityDirectory} as an agent reads it; does nothing when a certificate is already
   * there. Returns {@code securityDirectory}.
   */
  public Path installHost(Path securityDirectory, String name, List<String> addresses) throws IOException {
    if (!ClusterTls.hostFilesIn(securityDirectory)) {
      IssuedCertificate issued = authority.issueHost(name, addresses);
      ClusterTls.writeHost(securityDirectory, authority.certificatePem(), issued.certificateChainPem(), issued.privateKeyPem());
    }
    return securityDirectory;
  }

  /** {@link #installHost} into {@code hosts/<name>} under this directory. */
  public Path host(String name, List<String> addresses) throws IOException {
    return installHost(directory.resolve("hosts").resolve(name), name, addresses);
  }

  /** A client's certificate and key files. */
  public record ClientFiles(Path certificate, Path key, Path ca) {}

  /** Issues a client certificate for {@code name} with {@code role} into {@code clients/} (reused when present). */
  public ClientFiles client(String name, Role role) throws IOException {
    Path clients = directory.resolve("clients");
    SecureFiles.createPrivateDirectory(clients);
    Path certificate = clients.resolve(name + ".crt");
    Path key = clients.resolve(name + ".key");
    if (!Files.exists(certificate)) {
      authority.issueClient(new Identity(name, role)).writeTo(certificate, key);
    }
    return new ClientFiles(certificate, key, caCertificate());
  }

  /** In-memory client material for {@code name} with {@code role}, checking {@code revocations}. */
  public ClusterTls clientTls(String name, Role role, Supplier<RevocationList> revocations) {
    return ClusterTls.of(authority.issueClient(new Identity(name, role)).certifiedKey(), authority.certificate(), revocations, Clock.systemUTC());
  }

  /** In-memory client material with no revocations. */
  public ClusterTls clientTls(String name, Role role) {
    return clientTls(name, role, RevocationList::empty);
  }

  /** In-memory host material for {@code name} reachable at {@code addresses}, with no revocations. */
  public ClusterTls hostTls(String name, List<String> addresses) {
    return ClusterTls.of(authority.issueHost(name, addresses).certifiedKey(), authority.certificate(), RevocationList::empty, Clock.systemUTC());
  }
}
