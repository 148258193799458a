package io.ferry.bench;

import io.ferry.common.security.ClusterTls;
import io.ferry.common.security.Role;
import io.ferry.common.security.TestPki;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/**
 * One cluster CA per benchmark run ({@link TestPki} in a temporary directory): Ferry serves and
 * dials only with mutual TLS, so benchmarks measure it with TLS on, as it runs.
 */
final class BenchCerts {

  private static TestPki pki;

  private BenchCerts() {}

  static synchronized TestPki pki() {
    if (pki == null) {
      pki = TestPki.inNewTempDirectory("ferry-bench-pki");
    }
    return pki;
  }

  /** Installs {@code host}'s certificate, valid at {@code addresses}, into an agent's {@code security.dir}; returns it. */
  static Path install(Path securityDir, String host, String... addresses) {
    try {
      return pki().installHost(securityDir, host, List.of(addresses));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** What the benchmarks dial with: an admin client certificate. */
  static ClusterTls admin() {
    return pki().clientTls("bench", Role.ADMIN);
  }

  static ClusterTls host(String name) {
    return pki().hostTls(name, List.of("127.0.0.1"));
  }
}
