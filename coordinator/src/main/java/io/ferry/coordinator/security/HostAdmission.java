package io.ferry.coordinator.security;

import io.ferry.common.security.CertificateAuthority;
import io.ferry.common.security.JoinToken;
import io.ferry.common.security.JoinTokens;
import io.ferry.common.security.Redemption;
import io.ferry.common.security.RevocationReason;
import io.ferry.coordinator.CoordinatorException;
import io.ferry.coordinator.store.ClusterPaths;
import java.io.IOException;
import java.math.BigInteger;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hosts coming and going, as far as their certificates go: join tokens ({@link #addHost}),
 * redemption ({@link #join}) with the serial of every issued certificate recorded in ZooKeeper
 * under {@link ClusterPaths#issuedTo}, and removal ({@link #removeHost}), which revokes every
 * serial recorded for the host in the shared revocation list ({@link ZkRevocations}).
 *
 * <p>Needs the CA key: a coordinator started without it refuses joins and host additions with
 * FAILED_PRECONDITION; removal works without it. Thread-safe (state lives in ZooKeeper).
 */
public final class HostAdmission {

  private static final Logger log = LoggerFactory.getLogger(HostAdmission.class);

  private final Optional<JoinTokens> tokens;
  private final CuratorFramework client;
  private final ClusterPaths paths;
  private final ZkRevocations revocations;
  private final Duration defaultLifetime;

  public HostAdmission(
      Optional<CertificateAuthority> authority, CuratorFramework client, ClusterPaths paths, ZkRevocations revocations,
      Duration defaultLifetime, Clock clock) {
    this.tokens = authority.map(ca -> new JoinTokens(ca, new ZkJoinTokenStore(client, paths), clock));
    this.client = client;
    this.paths = paths;
    this.revocations = revocations;
    this.defaultLifetime = defaultLifetime;
  }

  /** A join token for {@code hostName}; {@code lifetime} zero means the configured default. */
  public JoinToken addHost(String hostName, Duration lifetime) {
    JoinTokens issuer = requireAuthority();
    try {
      issuer.removeExpired();
      return issuer.issue(hostName, lifetime.isZero() ? defaultLifetime : lifetime);
    } catch (IllegalArgumentException e) {
      throw new CoordinatorException(CoordinatorException.Kind.INVALID_ARGUMENT, e.getMessage());
    } catch (IOException e) {
      throw new CoordinatorException(CoordinatorException.Kind.UNAVAILABLE, e.getMessage());
    }
  }

  /** Redeems a token; records the serial of the certificate issued. */
  public Redemption join(String token, String hostName, String certificateRequestPem, List<String> addresses) {
    JoinTokens issuer = requireAuthority();
    try {
      Redemption result = issuer.redeem(token, hostName, certificateRequestPem, addresses);
      if (result instanceof Redemption.Joined joined) {
        client.create().creatingParentsIfNeeded()
            .forPath(paths.issued(hostName, joined.certificate().serial()), IssuedRecords.expiry(joined.certificate().notAfter()));
      }
      return result;
    } catch (Exception e) {
      throw new CoordinatorException(CoordinatorException.Kind.UNAVAILABLE, "join of " + hostName + " failed: " + e.getMessage());
    }
  }

  /** Revokes every certificate recorded for {@code hostName}; returns their serials. */
  public List<BigInteger> removeHost(String hostName) {
    try {
      List<String> serials;
      try {
        serials = client.getChildren().forPath(paths.issuedTo(hostName));
      } catch (KeeperException.NoNodeException e) {
        throw new CoordinatorException(CoordinatorException.Kind.NOT_FOUND, "no certificate was issued to host " + hostName + " by a join");
      }
      List<BigInteger> revoked = new ArrayList<>();
      for (String serial : serials) {
        BigInteger value = new BigInteger(serial, 16);
        revocations.revoke(value, RevocationReason.HOST_REMOVED);
        revoked.add(value);
      }
      log.atInfo().addKeyValue("host", hostName).log("host {} removed: {} certificate(s) revoked", hostName, revoked.size());
      return revoked;
    } catch (CoordinatorException e) {
      throw e;
    } catch (Exception e) {
      throw new CoordinatorException(CoordinatorException.Kind.UNAVAILABLE, "cannot remove host " + hostName + ": " + e.getMessage());
    }
  }

  private JoinTokens requireAuthority() {
    return tokens.orElseThrow(() -> new CoordinatorException(CoordinatorException.Kind.FAILED_PRECONDITION,
        "this coordinator has no CA key (ca.key in security.dir): it cannot admit hosts"));
  }
}
