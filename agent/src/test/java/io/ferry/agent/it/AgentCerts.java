package io.ferry.agent.it;

import io.ferry.common.security.ClusterTls;
import io.ferry.common.security.Role;
import io.ferry.common.security.TestPki;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/**
 * One cluster CA for this test JVM ({@link TestPki} in a temporary directory): agents get host
 * certificates in their {@code security.dir}, tests call them as the coordinator would (a host
 * certificate named {@value #COORDINATOR}) or as an admin.
 */
final class AgentCerts {

  static final String COORDINATOR = "coordinator";

  private static TestPki pki;
  private static ClusterTls coordinator;

  private AgentCerts() {}

  static synchronized TestPki pki() {
    if (pki == null) {
      pki = TestPki.inNewTempDirectory("ferry-agent-pki");
    }
    return pki;
  }

  /** Installs a host certificate for {@code host}, valid at {@code addresses}, into its security directory. */
  static Path install(Path securityDir, String host, String... addresses) {
    try {
      return pki().installHost(securityDir, host, List.of(addresses));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The material the tests dial agents with: a coordinator's host certificate. */
  static synchronized ClusterTls coordinator() {
    if (coordinator == null) {
      coordinator = pki().hostTls(COORDINATOR, List.of("127.0.0.1"));
    }
    return coordinator;
  }

  static ClusterTls admin() {
    return pki().clientTls("admin", Role.ADMIN);
  }
}
