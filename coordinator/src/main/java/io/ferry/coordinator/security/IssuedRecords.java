package io.ferry.coordinator.security;

import io.ferry.common.security.CertificateAuthority;
import io.ferry.common.security.CertificateRequests;
import io.ferry.common.security.CredentialsException;
import io.ferry.common.security.Identity;
import io.ferry.common.security.RevocationList;
import io.ferry.common.security.RevocationReason;
import io.ferry.common.security.Role;
import io.ferry.common.security.SignedCertificate;
import io.ferry.coordinator.CoordinatorException;
import io.ferry.coordinator.CoordinatorException.Kind;
import io.ferry.coordinator.store.ClusterPaths;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The certificates this cluster issued and their revocation, one serial at a time: client
 * certificates signed for a key the client made ({@link #issueClient}), the record of every issued
 * certificate (clients here, hosts by {@link HostAdmission} at their join), and {@link #revoke}.
 *
 * <p>Records live under {@code /ferry/<cluster>/security}: {@code clients/<name>/<serial>} with
 * "{@code <role> <not-after epoch seconds>}" and {@code issued/<host>/<serial>} with the not-after
 * time. A certificate not recorded (the first admin's from {@code ferry cluster init}, a test
 * PKI's) cannot be revoked through here: the serial is unknown, so a typo is refused rather than
 * silently "revoked".
 *
 * <p>Thread-safe: ZooKeeper serialises the writes; revocations go through {@link ZkRevocations}.
 */
public final class IssuedRecords {

  private static final Logger log = LoggerFactory.getLogger(IssuedRecords.class);

  /** One issued certificate as recorded. */
  public record Issued(BigInteger serial, String name, Role role, Optional<Instant> notAfter, boolean revoked) {}

  private final Optional<CertificateAuthority> authority;
  private final CuratorFramework client;
  private final ClusterPaths paths;
  private final ZkRevocations revocations;

  public IssuedRecords(Optional<CertificateAuthority> authority, CuratorFramework client, ClusterPaths paths, ZkRevocations revocations) {
    this.authority = authority;
    this.client = client;
    this.paths = paths;
    this.revocations = revocations;
  }

  /** A host record's data: the certificate's expiry in epoch seconds. */
  static byte[] expiry(Instant notAfter) {
    return Long.toString(notAfter.getEpochSecond()).getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Signs a client certificate for the key in {@code certificateRequestPem} and records it.
   *
   * @throws CoordinatorException INVALID_ARGUMENT for a bad name, an unknown or host role or a
   *     malformed request; FAILED_PRECONDITION without the CA key; UNAVAILABLE when the record
   *     cannot be written (then no certificate is returned)
   */
  public SignedCertificate issueClient(String name, String roleName, String certificateRequestPem) {
    CertificateAuthority ca =
        authority.orElseThrow(() -> new CoordinatorException(Kind.FAILED_PRECONDITION,
            "this coordinator has no CA key (ca.key in security.dir): it cannot issue certificates"));
    Role role;
    Identity identity;
    PublicKey key;
    try {
      role = Role.fromCertificateName(roleName);
      if (!role.isClientRole()) {
        throw new IllegalArgumentException("a client certificate has role admin, operator or viewer, not " + roleName
            + " (hosts get theirs by joining: ferry host add)");
      }
      identity = new Identity(name, role);
      key = CertificateRequests.verifiedPublicKey(certificateRequestPem);
    } catch (IllegalArgumentException | CredentialsException e) {
      throw new CoordinatorException(Kind.INVALID_ARGUMENT, e.getMessage());
    }
    SignedCertificate signed = ca.signClient(identity, key);
    String record = role.certificateName() + " " + signed.notAfter().getEpochSecond();
    try {
      client.create().creatingParentsIfNeeded().forPath(paths.issuedClient(name, signed.serial()), record.getBytes(StandardCharsets.UTF_8));
    } catch (Exception e) {
      throw new CoordinatorException(Kind.UNAVAILABLE, "cannot record the certificate of " + identity + ": " + e.getMessage());
    }
    log.atInfo().addKeyValue("identity", identity.toString()).addKeyValue("serial", signed.serial().toString(16))
        .log("issued a client certificate to {} (serial {})", identity, signed.serial().toString(16));
    return signed;
  }

  /** Every recorded certificate, clients and hosts, by name then serial. */
  public List<Issued> list() {
    RevocationList revoked = revocations.get();
    List<Issued> all = new ArrayList<>();
    try {
      for (String name : children(paths.issuedClients())) {
        for (String serial : children(paths.issuedClients() + "/" + name)) {
          String[] record = data(paths.issuedClients() + "/" + name + "/" + serial).split(" ");
          BigInteger value = new BigInteger(serial, 16);
          all.add(new Issued(value, name, Role.fromCertificateName(record[0]), Optional.of(Instant.ofEpochSecond(Long.parseLong(record[1]))),
              revoked.isRevoked(value)));
        }
      }
      for (String host : children(paths.issuedHosts())) {
        for (String serial : children(paths.issuedTo(host))) {
          String expiry = data(paths.issuedTo(host) + "/" + serial);
          BigInteger value = new BigInteger(serial, 16);
          all.add(new Issued(value, host, Role.HOST,
              expiry.isEmpty() ? Optional.empty() : Optional.of(Instant.ofEpochSecond(Long.parseLong(expiry))), revoked.isRevoked(value)));
        }
      }
    } catch (CoordinatorException e) {
      throw e;
    } catch (Exception e) {
      throw new CoordinatorException(Kind.UNAVAILABLE, "cannot read the certificate records: " + e.getMessage());
    }
    all.sort(Comparator.comparing(Issued::name).thenComparing(Issued::serial));
    return all;
  }

  /**
   * Revokes one recorded certificate.
   *
   * @param caller the serial of the calling client's own certificate, refused as a target
   * @return false when it was revoked already
   * @throws CoordinatorException INVALID_ARGUMENT for a malformed serial or reason, NOT_FOUND for
   *     a serial not recorded, FAILED_PRECONDITION for the caller's own, UNAVAILABLE when the
   *     revocation list cannot be written
   */
  public boolean revoke(String serialHex, String reasonName, Optional<BigInteger> caller) {
    BigInteger serial;
    RevocationReason reason;
    try {
      serial = new BigInteger(serialHex.strip(), 16);
      reason = reasonName.isBlank() ? RevocationReason.ACCESS_WITHDRAWN : RevocationReason.valueOf(reasonName.strip().toUpperCase().replace('-', '_'));
    } catch (IllegalArgumentException e) {
      throw new CoordinatorException(Kind.INVALID_ARGUMENT, "not a serial (hex) and reason (key-compromised, superseded, access-withdrawn): "
          + serialHex + " " + reasonName);
    }
    if (serial.signum() <= 0) {
      throw new CoordinatorException(Kind.INVALID_ARGUMENT, "a serial is a positive hex number: " + serialHex);
    }
    Issued target = list().stream().filter(i -> i.serial().equals(serial)).findFirst()
        .orElseThrow(() -> new CoordinatorException(Kind.NOT_FOUND, "no certificate with serial " + serial.toString(16)
            + " was issued through this cluster (see ferry cert list)"));
    if (caller.isPresent() && caller.get().equals(serial)) {
      throw new CoordinatorException(Kind.FAILED_PRECONDITION, "serial " + serial.toString(16) + " is the certificate of this call: use another admin's");
    }
    if (target.revoked()) {
      return false;
    }
    try {
      revocations.revoke(serial, reason);
    } catch (Exception e) {
      throw new CoordinatorException(Kind.UNAVAILABLE, "cannot revoke " + serial.toString(16) + ": " + e.getMessage());
    }
    log.atInfo().addKeyValue("serial", serial.toString(16))
        .log("revoked the certificate {} of {} ({}, {})", serial.toString(16), target.name(), target.role().certificateName(), reason);
    return true;
  }

  private List<String> children(String path) throws Exception {
    try {
      return client.getChildren().forPath(path);
    } catch (KeeperException.NoNodeException e) {
      return List.of();
    }
  }

  private String data(String path) throws Exception {
    return new String(client.getData().forPath(path), StandardCharsets.UTF_8).strip();
  }
}
