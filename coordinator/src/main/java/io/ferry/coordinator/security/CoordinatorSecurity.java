package io.ferry.coordinator.security;

import io.ferry.common.security.CertificateAuthority;
import io.ferry.common.security.CertificateValidity;
import io.ferry.common.security.ClusterTls;
import io.ferry.common.security.CredentialsException;
import io.ferry.common.security.IssuedCertificate;
import io.ferry.common.security.RevocationList;
import io.ferry.coordinator.config.CoordinatorConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A coordinator's security material, read from its {@code security.dir} at start:
 *
 * <ul>
 *   <li>{@code ca.crt}: the cluster CA certificate, required;
 *   <li>{@code ca.key}: the CA key (0600), optional: with it the coordinator can issue host
 *       certificates (joins) and its own; without it joins are refused;
 *   <li>{@code host.crt} + {@code host.key}: the coordinator's own host certificate (identity =
 *       {@code coordinator.id}, valid for its listen address and {@code security.addresses}). When
 *       absent and the CA key is there, the coordinator issues itself one in memory at each start
 *       (never written to disk; its serial is not recorded, it expires with the host validity).
 * </ul>
 *
 * @param tls the coordinator's mTLS material for its server and its channels to agents and peers
 * @param authority the CA, when its key is in the directory
 */
public record CoordinatorSecurity(ClusterTls tls, Optional<CertificateAuthority> authority) {

  private static final Logger log = LoggerFactory.getLogger(CoordinatorSecurity.class);
  private static final Set<String> WILDCARDS = Set.of("0.0.0.0", "::", "[::]");

  /**
   * @throws IOException when a file cannot be read
   * @throws CredentialsException when the material is missing or inconsistent, naming the file
   */
  public static CoordinatorSecurity load(CoordinatorConfig config, Supplier<RevocationList> revocations, Clock clock) throws IOException {
    Path dir = config.security().dir();
    if (!Files.exists(dir.resolve(ClusterTls.CA_FILE))) {
      throw new CredentialsException(
          "no cluster CA certificate at " + dir.resolve(ClusterTls.CA_FILE) + " (security.dir): create one with `ferry cluster init --dir " + dir + "`");
    }
    Optional<CertificateAuthority> authority =
        Files.exists(dir.resolve(CertificateAuthority.KEY_FILE))
            ? Optional.of(CertificateAuthority.load(dir, CertificateValidity.DEFAULTS, clock))
            : Optional.empty();
    if (ClusterTls.hostFilesIn(dir)) {
      ClusterTls tls = ClusterTls.loadHost(dir, revocations, clock);
      return new CoordinatorSecurity(tls, authority);
    }
    if (authority.isEmpty()) {
      throw new CredentialsException(
          dir + " holds neither the coordinator's certificate (" + ClusterTls.HOST_CERTIFICATE_FILE + ", " + ClusterTls.HOST_KEY_FILE
              + ") nor the CA key to issue one");
    }
    List<String> addresses = new ArrayList<>();
    if (!WILDCARDS.contains(config.listenAddress())) {
      addresses.add(config.listenAddress());
    }
    String join = config.security().joinAddress();
    if (!WILDCARDS.contains(join) && !addresses.contains(join)) {
      addresses.add(join);
    }
    config.security().addresses().stream().filter(a -> !addresses.contains(a)).forEach(addresses::add);
    IssuedCertificate own = authority.get().issueHost(config.coordinatorId(), addresses);
    log.info("coordinator {}: issued itself a host certificate for {} (serial {}, until {})",
        config.coordinatorId(), addresses, own.serial().toString(16), own.notAfter());
    return new CoordinatorSecurity(ClusterTls.of(own.certifiedKey(), authority.get().certificate(), revocations, clock), authority);
  }
}
