package io.ferry.cli.commands;

import io.ferry.cli.output.Table;
import io.ferry.common.security.CertificateRequests;
import io.ferry.common.security.IssuedCertificate;
import io.ferry.common.security.Pem;
import io.ferry.proto.v1.IssueClientCertificateRequest;
import io.ferry.proto.v1.IssuedCertificateInfo;
import io.ferry.proto.v1.ListCertificatesRequest;
import io.ferry.proto.v1.RevokeCertificateRequest;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Instant;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/**
 * {@code ferry cert ...}: client certificates for people and scripts, and revocation (admin).
 * {@code issue} makes the key on this machine and sends the coordinator only a certificate
 * request, so the private key never crosses the network.
 */
@Command(name = "cert", description = "Client certificates and revocation (admin).", subcommands = {CertificateCommands.Issue.class,
    CertificateCommands.ListCertificates.class, CertificateCommands.Revoke.class})
public final class CertificateCommands {

  private CertificateCommands() {}

  @Command(name = "issue", description = "Issue a client certificate: writes DIR/NAME.key (0600, made here), DIR/NAME.crt and DIR/ca.crt.")
  static final class Issue extends ClusterCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "the user or script (a DNS label)")
    String name;

    @Option(names = "--role", required = true, paramLabel = "ROLE", description = "admin, operator or viewer")
    String role;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "where to write the files (created; NAME.key and NAME.crt must not exist)")
    Path directory;

    @Override
    int run() throws Exception {
      Path key = directory.resolve(name + ".key");
      Path certificate = directory.resolve(name + ".crt");
      if (Files.exists(key) || Files.exists(certificate)) {
        throw new ParameterException(spec.commandLine(), key + " or " + certificate + " exists already: choose another --out");
      }
      KeyPair keys = CertificateRequests.newKeyPair();
      var answer = client().certificates(s -> s.issueClientCertificate(IssueClientCertificateRequest.newBuilder()
          .setName(name).setRole(role).setCertificateRequestPem(CertificateRequests.create(keys, name)).build()));
      Files.createDirectories(directory);
      new IssuedCertificate(answer.getCertificateChainPem(), Pem.privateKey(keys.getPrivate()), new BigInteger(answer.getSerial(), 16),
          Instant.ofEpochSecond(answer.getExpiresAt().getSeconds()))
          .writeTo(certificate, key);
      Path ca = directory.resolve("ca.crt");
      if (!Files.exists(ca)) {
        Files.writeString(ca, answer.getCaCertificatePem());
      }
      return print(answer, () -> "Certificate of " + name + " (" + role + ", serial " + answer.getSerial() + ", until "
          + Instant.ofEpochSecond(answer.getExpiresAt().getSeconds()) + "):\n  " + certificate + "\n  " + key + "\n  " + ca
          + "\nUse: FERRY_CERT=" + certificate + " FERRY_KEY=" + key + " FERRY_CA=" + ca + "\n");
    }
  }

  @Command(name = "list", description = "List the certificates the cluster issued: clients and hosts, revoked or not.")
  static final class ListCertificates extends ClusterCommand {
    @Override
    int run() throws Exception {
      var answer = client().certificates(s -> s.listCertificates(ListCertificatesRequest.getDefaultInstance()));
      return print(answer, () -> table(answer.getCertificatesList()));
    }

    static String table(List<IssuedCertificateInfo> certificates) {
      Table table = new Table("serial", "name", "role", "expires", "revoked");
      for (IssuedCertificateInfo c : certificates) {
        table.row(c.getSerial(), c.getName(), c.getRole(),
            c.hasExpiresAt() ? Instant.ofEpochSecond(c.getExpiresAt().getSeconds()).toString() : "-", c.getRevoked() ? "yes" : "no");
      }
      return table.render();
    }
  }

  @Command(name = "revoke", description = "Revoke one certificate by serial (as `ferry cert list` shows it); refused for your own.")
  static final class Revoke extends ClusterCommand {
    @Parameters(index = "0", paramLabel = "SERIAL", description = "the certificate's serial, hex")
    String serial;

    @Option(names = "--reason", paramLabel = "REASON", description = "access-withdrawn (default), key-compromised or superseded")
    String reason = "access-withdrawn";

    @Override
    int run() throws Exception {
      var answer = client().certificates(s -> s.revokeCertificate(RevokeCertificateRequest.newBuilder().setSerial(serial).setReason(reason).build()));
      return print(answer, () -> "Certificate " + answer.getSerial() + (answer.getNewlyRevoked() ? " revoked" : " was revoked already") + "\n");
    }
  }
}
