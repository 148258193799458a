package io.ferry.coordinator.it;

import io.ferry.common.security.ClusterTls;
import io.ferry.common.security.Role;
import io.ferry.common.security.TestPki;
import java.nio.file.Path;
import java.util.List;

/**
 * One cluster CA for this test JVM ({@link TestPki} in a temporary directory), so every
 * coordinator, fake agent and client of the coordinator's tests speaks real mutual TLS.
 */
public final class TestCerts {

  private static TestPki pki;

  private TestCerts() {}

  /** The CA; its directory serves as a coordinator's {@code security.dir}. */
  public static synchronized TestPki pki() {
    if (pki == null) {
      pki = TestPki.inNewTempDirectory("ferry-test-pki");
    }
    return pki;
  }

  /** The coordinator's {@code security.dir}. */
  public static Path securityDir() {
    return pki().directory();
  }

  /** An admin client's material. */
  public static ClusterTls admin() {
    return pki().clientTls("admin", Role.ADMIN);
  }

  /** A fake agent's host material, valid for 127.0.0.1. */
  public static ClusterTls host(String name) {
    return pki().hostTls(name, List.of("127.0.0.1", "localhost"));
  }
}
