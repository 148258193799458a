package io.ferry.common.security.zookeeper;

import io.ferry.common.Names;
import io.ferry.common.security.CertificateIdentity;
import io.ferry.common.security.ClusterTls;
import io.ferry.common.security.CredentialsException;
import io.ferry.common.security.Identity;
import io.ferry.common.security.Role;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.KeyManager;
import javax.net.ssl.X509KeyManager;
import javax.net.ssl.X509TrustManager;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.common.X509Exception;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.server.ServerCnxn;
import org.apache.zookeeper.server.auth.X509AuthenticationProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ZooKeeper server's gate when it serves Ferry over TLS (scheme {@value ZooKeeperTls#SCHEME}):
 * a connection keeps its session only when its client certificate is a live host certificate of
 * the cluster, that is, a Ferry agent or coordinator. Everything else (no certificate, another
 * CA's, a revoked or expired one, an admin's, operator's or viewer's client certificate) is closed
 * right after the handshake and logged.
 *
 * <p>An admitted connection is authenticated as {@code ferry:host:NAME}. In ACLs the id {@value
 * #HOSTS} matches every such identity, so one ACL entry grants a znode to all of the cluster's
 * hosts and coordinators and to no one else ({@link ZooKeeperAcls}).
 *
 * <p>ZooKeeper makes this class itself (by name, with no arguments) and also takes the server's
 * own TLS key and trust from it, so both come from the identity {@link ZooKeeperTls#install}
 * installed in this JVM. Only the TLS client port uses it; the admin HTTP server, which the
 * embedded server does not run, is not covered.
 */
public final class HostAuthenticationProvider extends X509AuthenticationProvider {

  private static final Logger log = LoggerFactory.getLogger(HostAuthenticationProvider.class);

  /** The ACL id that matches every host identity. */
  public static final String HOSTS = "hosts";

  private static final String HOST_PREFIX = "host:";

  /** For ZooKeeper's provider registry. */
  public HostAuthenticationProvider() {
    super(null, null);
  }

  @Override
  public String getScheme() {
    return ZooKeeperTls.SCHEME;
  }

  /** The server's trust: the installed identity's cluster CA and revocation list. */
  @Override
  public X509TrustManager getTrustManager() {
    return ZooKeeperTls.current().trust();
  }

  /** The server's own key and chain: the installed identity's. */
  @Override
  public X509KeyManager getKeyManager() throws X509Exception.KeyManagerException {
    for (KeyManager manager : ZooKeeperTls.current().key().keyManagers()) {
      if (manager instanceof X509KeyManager x509) {
        return x509;
      }
    }
    throw new X509Exception.KeyManagerException("the installed identity has no X.509 key manager");
  }

  @Override
  public KeeperException.Code handleAuthentication(ServerCnxn connection, byte[] authData) {
    Certificate[] presented = connection.getClientCertificateChain();
    if (presented == null || presented.length == 0) {
      log.warn("ZooKeeper refused a connection from {}: no client certificate", connection.getRemoteSocketAddress());
      return KeeperException.Code.AUTHFAILED;
    }
    X509Certificate[] chain = new X509Certificate[presented.length];
    for (int i = 0; i < presented.length; i++) {
      if (!(presented[i] instanceof X509Certificate certificate)) {
        log.warn("ZooKeeper refused a connection from {}: not an X.509 chain", connection.getRemoteSocketAddress());
        return KeeperException.Code.AUTHFAILED;
      }
      chain[i] = certificate;
    }
    Identity identity;
    try {
      ClusterTls tls = ZooKeeperTls.current();
      // The handshake checked the chain already; this repeats it with the revocation list as it is
      // now, and is what the registry's contract asks of a provider.
      tls.trust().checkClientTrusted(chain, chain[0].getPublicKey().getAlgorithm());
      identity = CertificateIdentity.of(chain[0]);
    } catch (CertificateException | CredentialsException e) {
      log.warn("ZooKeeper refused a connection from {}: {}", connection.getRemoteSocketAddress(), e.getMessage());
      return KeeperException.Code.AUTHFAILED;
    }
    if (identity.role() != Role.HOST) {
      log.warn(
          "ZooKeeper refused {} from {}: only hosts and coordinators use ZooKeeper",
          identity, connection.getRemoteSocketAddress());
      return KeeperException.Code.AUTHFAILED;
    }
    connection.addAuthInfo(new Id(getScheme(), HOST_PREFIX + identity.name()));
    return KeeperException.Code.OK;
  }

  /** {@value #HOSTS} matches every host; anything else matches itself only. */
  @Override
  public boolean matches(String id, String aclExpr) {
    return aclExpr.equals(id) || (HOSTS.equals(aclExpr) && id.startsWith(HOST_PREFIX));
  }

  @Override
  public boolean isValid(String id) {
    return HOSTS.equals(id) || (id.startsWith(HOST_PREFIX) && Names.problem("host", id.substring(HOST_PREFIX.length())) == null);
  }
}
