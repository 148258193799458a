package io.ferry.agent.security;

import io.ferry.agent.config.SecuritySettings;
import io.ferry.common.security.CertificateAuthority;
import io.ferry.common.security.CertificateRequests;
import io.ferry.common.security.CertifiedKey;
import io.ferry.common.security.ClusterTls;
import io.ferry.common.security.CredentialsException;
import io.ferry.common.security.JoinTls;
import io.ferry.common.security.JoinToken;
import io.ferry.common.security.Pem;
import io.ferry.proto.v1.JoinRequest;
import io.ferry.proto.v1.JoinResponse;
import io.ferry.proto.v1.JoinServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A new host getting its certificate with a join token: it makes its own EC P-256 key (which never
 * leaves it), sends a certificate request with the token to the coordinator's join endpoint over
 * TLS that trusts only a coordinator chained to the CA the token pins ({@link JoinTls}), checks
 * the answer, and writes {@code ca.crt}, {@code host.crt} and {@code host.key} (0600) into its
 * security directory. One attempt; a refusal (used, expired, unknown or foreign token) fails the
 * agent's start with the coordinator's reason.
 */
public final class HostJoin {

  private static final Logger log = LoggerFactory.getLogger(HostJoin.class);
  private static final Duration DEADLINE = Duration.ofSeconds(30);

  private final String hostName;
  private final SecuritySettings settings;
  private final List<String> addresses;
  private final Clock clock;

  public HostJoin(String hostName, SecuritySettings settings, List<String> addresses, Clock clock) {
    this.hostName = hostName;
    this.settings = settings;
    this.addresses = List.copyOf(addresses);
    this.clock = clock;
  }

  /**
   * @throws CredentialsException when the token is malformed or for another host, the coordinator
   *     refuses it, or its answer does not match the pinned CA or the key sent
   * @throws IOException when the files cannot be written
   */
  public void join() throws IOException {
    JoinToken token;
    try {
      token = JoinToken.parse(settings.joinToken().orElseThrow());
    } catch (IllegalArgumentException e) {
      throw new CredentialsException("join.token: " + e.getMessage(), e);
    }
    if (!token.hostName().equals(hostName)) {
      throw new CredentialsException("join.token is for host " + token.hostName() + ", this host is " + hostName);
    }
    KeyPair keys = CertificateRequests.newKeyPair();
    String coordinator = settings.joinCoordinator().orElseThrow();
    ManagedChannel channel = NettyChannelBuilder.forTarget(coordinator, JoinTls.channelCredentials(token.caFingerprint(), clock)).build();
    JoinResponse answer;
    try {
      answer = JoinServiceGrpc.newBlockingStub(channel).withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
          .join(JoinRequest.newBuilder()
              .setToken(token.encode())
              .setHostName(hostName)
              .setCertificateRequestPem(CertificateRequests.create(keys, hostName))
              .addAllAddresses(addresses)
              .build());
    } catch (StatusRuntimeException e) {
      throw new CredentialsException("joining through " + coordinator + " was refused: " + e.getStatus().getCode() + ": "
          + e.getStatus().getDescription(), e);
    } finally {
      channel.shutdownNow();
    }
    List<X509Certificate> ca = Pem.readCertificates(answer.getCaCertificatePem());
    if (ca.size() != 1 || !CertificateAuthority.fingerprint(ca.get(0)).equals(token.caFingerprint())) {
      throw new CredentialsException("the coordinator answered with a CA other than the one the join token pins");
    }
    CertifiedKey issued = CertifiedKey.fromPem(answer.getCertificateChainPem(), Pem.privateKey(keys.getPrivate()));
    if (!issued.certificate().getPublicKey().equals(keys.getPublic()) || !issued.identity().name().equals(hostName)) {
      throw new CredentialsException("the certificate the coordinator issued is not for this host's key and name");
    }
    ClusterTls.writeHost(settings.dir(), answer.getCaCertificatePem(), answer.getCertificateChainPem(), Pem.privateKey(keys.getPrivate()));
    log.atInfo().addKeyValue("host", hostName).log("host {} joined the cluster through {}: certificate {} in {}",
        hostName, coordinator, issued.certificate().getSerialNumber().toString(16), settings.dir());
  }
}
