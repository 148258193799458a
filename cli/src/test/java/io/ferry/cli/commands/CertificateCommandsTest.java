package io.ferry.cli.commands;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.cli.testing.CliHarness.Result;
import io.ferry.common.security.CertifiedKey;
import io.ferry.common.security.Identity;
import io.ferry.common.security.Role;
import io.ferry.proto.v1.IssueClientCertificateRequest;
import io.ferry.proto.v1.RevokeCertificateRequest;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateCommandsTest extends ClusterCommandTest {

  @TempDir Path dir;

  @Test
  void issueMakesTheKeyHereAndWritesAMatchingPair() throws Exception {
    Path out = dir.resolve("certs");

    Result r = cli.run("cert", "issue", "ci-bot", "--role", "operator", "--out", out.toString());

    assertThat(r.exit()).as(r.err()).isZero();
    IssueClientCertificateRequest sent = coordinator.last(IssueClientCertificateRequest.class);
    assertThat(sent.getName()).isEqualTo("ci-bot");
    assertThat(sent.getRole()).isEqualTo("operator");
    assertThat(sent.getCertificateRequestPem()).contains("CERTIFICATE REQUEST").doesNotContain("PRIVATE KEY");
    CertifiedKey pair = CertifiedKey.load(out.resolve("ci-bot.crt"), out.resolve("ci-bot.key"));
    assertThat(pair.identity()).isEqualTo(new Identity("ci-bot", Role.OPERATOR));
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("ci-bot.key")))).isEqualTo("rw-------");
    assertThat(Files.readString(out.resolve("ca.crt"))).contains("BEGIN CERTIFICATE");
    assertThat(r.out()).contains("FERRY_CERT=" + out.resolve("ci-bot.crt"));
  }

  @Test
  void issueRefusesToOverwriteAKeyAndSendsNothing() throws Exception {
    Files.writeString(dir.resolve("ci-bot.key"), "mine");

    Result r = cli.run("cert", "issue", "ci-bot", "--role", "viewer", "--out", dir.toString());

    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("exists already");
    assertThat(coordinator.requests).isEmpty();
    assertThat(Files.readString(dir.resolve("ci-bot.key"))).isEqualTo("mine");
  }

  @Test
  void listShowsSerialsRolesAndRevocation() {
    Result r = cli.run("cert", "list");

    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("1f2e").contains("ci-bot").contains("operator").contains("3a4b").contains("host-1").contains("yes");
  }

  @Test
  void revokeSendsTheSerialAndReason() {
    Result r = cli.run("cert", "revoke", "1F2E", "--reason", "key-compromised");

    assertThat(r.exit()).as(r.err()).isZero();
    RevokeCertificateRequest sent = coordinator.last(RevokeCertificateRequest.class);
    assertThat(sent.getSerial()).isEqualTo("1F2E");
    assertThat(sent.getReason()).isEqualTo("key-compromised");
    assertThat(r.out()).contains("revoked");
  }

  @Test
  void aRefusedRevocationExitsNonZeroWithTheReason() {
    coordinator.failures.put("RevokeCertificate", Status.NOT_FOUND.withDescription("no certificate with serial abc was issued"));

    Result r = cli.run("cert", "revoke", "abc");

    assertThat(r.exit()).isNotZero();
    assertThat(r.err()).contains("no certificate with serial abc was issued");
  }
}
