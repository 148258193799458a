package io.ferry.common.security.zookeeper;

import io.ferry.common.security.ClusterTls;
import io.ferry.common.security.Pem;
import io.ferry.common.security.RevocationList;
import io.ferry.common.security.Role;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.zookeeper.server.auth.ProviderRegistry;

/**
 * Puts this JVM's ZooKeeper clients (Ferry's own, Curator's and Helix's alike) and an embedded
 * ZooKeeper server on mutual TLS with the process's cluster identity.
 *
 * <p>Why JVM-wide: Helix builds its ZooKeeper clients itself, and a ZooKeeper client reads its
 * TLS settings from system properties when it is made. So {@link #install} sets those properties,
 * before any client is made. ZooKeeper 3.9's Netty client loads its key and trust only from files,
 * so the identity is also written as two PEM files (the key with its chain, mode 0600, and the CA
 * certificate) in a private directory the caller names (beside the process's other security
 * files: a copy of a key it already keeps there). The server side instead takes key and trust
 * from {@link HostAuthenticationProvider}, which reads the identity installed here. A process has one identity
 * (a coordinator's or an agent's host certificate), so one installation per JVM is the normal
 * case; a later {@link #install} replaces it for connections made afterwards (tests run several
 * clusters in one JVM), and {@link #uninstall} returns the JVM to plaintext.
 *
 * <p>What it gives: a client dials only a server with a certificate of the cluster CA (host names
 * are not checked: an external ensemble's servers carry whatever names their operators gave); a
 * server admits only clients with a live host certificate of the cluster ({@link
 * HostAuthenticationProvider}, revocation list included), so an operator's or viewer's
 * certificate, a foreign CA's or no certificate gets no session at all. Revocations apply to new
 * connections; a session open when its certificate is revoked lasts until it reconnects.
 *
 * <p>Thread-safety: installing is serialised on the class; the installed identity is read
 * atomically.
 */
public final class ZooKeeperTls {

  /** The authentication scheme of Ferry's host identities, as ZooKeeper ACLs name it. */
  public static final String SCHEME = "ferry";

  /** For a stand-alone ZooKeeper server: the directory of its host identity. */
  public static final String SERVER_IDENTITY_DIR = "ferry.zookeeper.identity-dir";

  private static final String AUTH_PROVIDER_KEY = "zookeeper.authProvider." + SCHEME;
  private static final String KEY_STORE_KEY = "zookeeper.ssl.keyStore.location";
  private static final String TRUST_STORE_KEY = "zookeeper.ssl.trustStore.location";

  /** What {@link #install} sets besides the two store locations; {@link #uninstall} clears all. */
  private static final Map<String, String> PROPERTIES =
      Map.of(
          "zookeeper.client.secure", "true",
          "zookeeper.clientCnxnSocket", "org.apache.zookeeper.ClientCnxnSocketNetty",
          "zookeeper.ssl.keyStore.type", "PEM",
          "zookeeper.ssl.trustStore.type", "PEM",
          "zookeeper.ssl.hostnameVerification", "false",
          // ZooKeeper 3.9 was built for Netty 4.1; Netty 4.2 (which gRPC's version aligns us to)
          // checks host names on every client context by default, past ZooKeeper's own switch.
          // Only ZooKeeper uses this (unshaded) Netty; read once, when Netty's SslContext loads.
          "io.netty.handler.ssl.defaultEndpointVerificationAlgorithm", "NONE",
          // The server side: its TLS key and trust come from the provider named here, which also
          // decides who gets a session.
          "zookeeper.ssl.authProvider", SCHEME,
          AUTH_PROVIDER_KEY, HostAuthenticationProvider.class.getName());

  private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY_DIRECTORY =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
  private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY_FILE =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

  private static final AtomicReference<ClusterTls> installed = new AtomicReference<>();

  private ZooKeeperTls() {}

  /**
   * Makes every ZooKeeper client and server made in this JVM from now on use {@code tls}.
   *
   * @param directory where the client's PEM files go (made 0700 when missing); files of an
   *     earlier installation there are replaced atomically
   * @throws IllegalArgumentException when {@code tls} is not a host identity (only hosts and
   *     coordinators talk to ZooKeeper)
   * @throws UncheckedIOException when the PEM files cannot be written
   */
  public static synchronized void install(ClusterTls tls, Path directory) {
    Objects.requireNonNull(tls, "tls");
    if (tls.identity().role() != Role.HOST) {
      throw new IllegalArgumentException("ZooKeeper is reached with a host identity, not " + tls.identity());
    }
    try {
      if (!Files.isDirectory(directory)) {
        Files.createDirectories(directory, OWNER_ONLY_DIRECTORY);
      }
      Path keyStore = replace(directory.resolve("zookeeper-identity.pem"), Pem.privateKey(tls.key().privateKey()) + Pem.certificates(tls.key().chain()));
      Path trustStore = replace(directory.resolve("zookeeper-ca.pem"), Pem.certificates(List.of(tls.trust().authority())));
      System.setProperty(KEY_STORE_KEY, keyStore.toString());
      System.setProperty(TRUST_STORE_KEY, trustStore.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the ZooKeeper TLS files in " + directory + ": " + e.getMessage(), e);
    }
    installed.set(tls);
    PROPERTIES.forEach(System::setProperty);
    // The registry reads its providers once per JVM; this (re)registers Ferry's after that.
    ProviderRegistry.addOrUpdateProvider(AUTH_PROVIDER_KEY);
  }

  /** Returns the JVM to plaintext ZooKeeper for clients and servers made from now on. */
  public static synchronized void uninstall() {
    PROPERTIES.keySet().forEach(System::clearProperty);
    System.clearProperty(KEY_STORE_KEY);
    System.clearProperty(TRUST_STORE_KEY);
    ProviderRegistry.removeProvider(SCHEME);
    installed.set(null);
  }

  /** True while an identity is installed. */
  public static boolean installed() {
    return installed.get() != null;
  }

  /**
   * The installed identity; in a ZooKeeper server of its own (an external ensemble running
   * {@link HostAuthenticationProvider}), where nobody calls {@link #install}, the host identity in
   * the directory named by the system property {@value #SERVER_IDENTITY_DIR} ({@code ca.crt},
   * {@code host.crt}, {@code host.key}), loaded once, with no revocation list (the ensemble cannot
   * read Ferry's).
   *
   * @throws IllegalStateException when there is neither
   */
  static ClusterTls current() {
    ClusterTls tls = installed.get();
    if (tls != null) {
      return tls;
    }
    String dir = System.getProperty(SERVER_IDENTITY_DIR);
    if (dir == null) {
      throw new IllegalStateException(
          "ZooKeeper TLS is configured but no cluster identity is installed (nor -D" + SERVER_IDENTITY_DIR + " given)");
    }
    synchronized (ZooKeeperTls.class) {
      if (installed.get() == null) {
        try {
          installed.set(ClusterTls.loadHost(Path.of(dir), RevocationList::empty, Clock.systemUTC()));
        } catch (IOException e) {
          throw new UncheckedIOException("cannot read the ZooKeeper server's identity in " + dir + ": " + e.getMessage(), e);
        }
      }
      return installed.get();
    }
  }

  /** Writes {@code file} (0600) through a temporary file and a rename: a reader sees old or new. */
  private static Path replace(Path file, String text) throws IOException {
    Path temporary = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp", OWNER_ONLY_FILE);
    try {
      Files.writeString(temporary, text);
      Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(temporary);
    }
    return file;
  }
}
