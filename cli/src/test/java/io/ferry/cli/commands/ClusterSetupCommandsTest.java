package io.ferry.cli.commands;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.cli.testing.CliHarness;
import io.ferry.common.security.CertificateAuthority;
import io.ferry.common.security.CertificateValidity;
import io.ferry.common.security.CertifiedKey;
import io.ferry.common.security.Identity;
import io.ferry.common.security.Role;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterSetupCommandsTest {

  @TempDir Path directory;

  private final CliHarness cli = new CliHarness();

  @AfterEach
  void close() {
    cli.close();
  }

  @Test
  void initCreatesTheCaAndTheFirstAdminCertificate() throws Exception {
    Path ca = directory.resolve("ca");

    CliHarness.Result result = cli.run("cluster", "init", "--dir", ca.toString(), "--admin-name", "alice");

    assertThat(result.exit()).as(result.toString()).isZero();
    Path certificate = ca.resolve("clients/alice.crt");
    Path key = ca.resolve("clients/alice.key");
    assertThat(result.out()).contains(certificate.toString()).contains(key.toString()).contains(ca.resolve("ca.key").toString());
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(ca.resolve("ca.key")))).isEqualTo("rw-------");
    CertifiedKey admin = CertifiedKey.load(certificate, key);
    assertThat(admin.identity()).isEqualTo(new Identity("alice", Role.ADMIN));
    CertificateAuthority loaded = CertificateAuthority.load(ca, CertificateValidity.DEFAULTS, Clock.systemUTC());
    admin.certificate().verify(loaded.certificate().getPublicKey());
    assertThat(result.out()).contains(loaded.fingerprint());
  }

  @Test
  void theAdminIsCalledAdminByDefault() {
    CliHarness.Result result = cli.run("cluster", "init", "--dir", directory.resolve("ca").toString());

    assertThat(result.exit()).as(result.toString()).isZero();
    assertThat(directory.resolve("ca/clients/admin.key")).exists();
  }

  @Test
  void initRefusesADirectoryThatHoldsACaAndLeavesItAsItWas() throws Exception {
    Path ca = directory.resolve("ca");
    assertThat(cli.run("cluster", "init", "--dir", ca.toString()).exit()).isZero();
    byte[] keyBefore = Files.readAllBytes(ca.resolve("ca.key"));

    CliHarness.Result again = cli.run("cluster", "init", "--dir", ca.toString(), "--admin-name", "bob");

    assertThat(again.exit()).isEqualTo(1);
    assertThat(again.err()).contains("already holds a Ferry CA");
    assertThat(Files.readAllBytes(ca.resolve("ca.key"))).isEqualTo(keyBefore);
    assertThat(ca.resolve("clients/bob.key")).doesNotExist();
  }

  @Test
  void anAdminNameThatIsNotALabelIsBadUsage() {
    CliHarness.Result result = cli.run("cluster", "init", "--dir", directory.resolve("ca").toString(), "--admin-name", "../root");

    assertThat(result.exit()).isEqualTo(2);
    assertThat(result.err()).contains("DNS label");
    assertThat(directory.resolve("ca")).doesNotExist();
  }
}
