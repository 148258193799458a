package io.ferry.common.security.zookeeper;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;

/**
 * The ACLs Ferry puts on the znodes it creates.
 *
 * <p>With ZooKeeper TLS on, a znode is granted (all permissions) to the cluster's host identities
 * only ({@code ferry:hosts}, see {@link HostAuthenticationProvider}): no other client of a shared
 * ensemble can read or change Ferry's desired state, placements, operations, join tokens or
 * revocation list, not even with a connection the ensemble admits. With TLS off (an external
 * ensemble without TLS, tests of the store) there is no identity to grant to, so znodes are open.
 *
 * <p>Helix creates its own znodes open; Ferry closes the cluster's top-level Helix nodes ({@link
 * #locked}) so nobody else can add or remove Helix's records under them, and on an ensemble that
 * requires TLS nobody else gets a session at all.
 */
public final class ZooKeeperAcls {

  /**
   * Every permission, for Ferry's host identities only. (Not {@code List.of}: ZooKeeper asks the
   * list whether it contains null, which immutable lists answer with an exception.)
   */
  public static final List<ACL> HOSTS_ONLY =
      Collections.unmodifiableList(
          Arrays.asList(new ACL(ZooDefs.Perms.ALL, new Id(ZooKeeperTls.SCHEME, HostAuthenticationProvider.HOSTS))));

  private ZooKeeperAcls() {}

  /** The ACL for a new Ferry znode: hosts only when this JVM talks TLS to ZooKeeper, else open. */
  public static List<ACL> forNewNodes() {
    return ZooKeeperTls.installed() ? HOSTS_ONLY : ZooDefs.Ids.OPEN_ACL_UNSAFE;
  }

  /** True when {@code acl} is {@link #HOSTS_ONLY}. */
  public static boolean locked(List<ACL> acl) {
    return HOSTS_ONLY.equals(acl);
  }
}
