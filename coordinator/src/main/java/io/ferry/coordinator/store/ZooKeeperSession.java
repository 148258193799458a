package io.ferry.coordinator.store;

import io.ferry.common.security.zookeeper.ZooKeeperAcls;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.ACLProvider;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.ACL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator's session with ZooKeeper: connects, creates the cluster's tree, announces this
 * coordinator with an ephemeral node, and reports connection changes (a suspended or lost session
 * means this coordinator must stop acting on the cluster until it is back).
 *
 * <p>Every znode it creates (the store's too, which shares the client) carries {@link
 * ZooKeeperAcls#forNewNodes()}: host identities only when this JVM talks TLS to ZooKeeper.
 *
 * <p>Thread-safety: the listener is called on Curator's event thread; everything else may be
 * called from any thread.
 */
public final class ZooKeeperSession implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ZooKeeperSession.class);

  private final CuratorFramework client;
  private final ClusterPaths paths;

  /**
   * @param connectString ZooKeeper ensemble, {@code host:port[,host:port...]}
   * @param sessionTimeout how long the ensemble keeps the session without hearing from us
   * @param onConnectionChange told {@code true} on (re)connection, {@code false} on suspension/loss
   */
  public ZooKeeperSession(
      String connectString, Duration sessionTimeout, ClusterPaths paths, Consumer<Boolean> onConnectionChange) {
    this.paths = paths;
    int sessionMillis = Math.toIntExact(sessionTimeout.toMillis());
    this.client =
        CuratorFrameworkFactory.builder()
            .connectString(connectString)
            .sessionTimeoutMs(sessionMillis)
            .connectionTimeoutMs(Math.min(sessionMillis, 5000))
            .retryPolicy(new ExponentialBackoffRetry(200, 10, 2000))
            .aclProvider(new FerryAcls(ZooKeeperAcls.forNewNodes()))
            // Parents made on the way get no data (Curator's default is this machine's address).
            .defaultData(new byte[0])
            .build();
    client
        .getConnectionStateListenable()
        .addListener(
            (c, state) -> {
              log.info("ZooKeeper connection {}", state);
              onConnectionChange.accept(state == ConnectionState.CONNECTED || state == ConnectionState.RECONNECTED);
            });
  }

  /**
   * Connects, waiting at most {@code timeout}, and makes sure the cluster's tree exists.
   *
   * @throws StoreUnavailableException when ZooKeeper cannot be reached in time
   */
  public void connect(Duration timeout) throws InterruptedException {
    client.start();
    if (!client.blockUntilConnected(Math.toIntExact(timeout.toMillis()), TimeUnit.MILLISECONDS)) {
      client.close();
      throw new StoreUnavailableException("cannot reach ZooKeeper within " + timeout.toMillis() + " ms");
    }
    try {
      if (client.checkExists().forPath(paths.coordinators()) == null) {
        client.create().creatingParentsIfNeeded().forPath(paths.coordinators());
      }
    } catch (KeeperException.NodeExistsException e) {
      // Another coordinator created it at the same moment: fine.
    } catch (Exception e) {
      throw new StoreUnavailableException("cannot create the cluster tree " + paths.root(), e);
    }
  }

  /** The Curator client, for the store built on this session. */
  public CuratorFramework client() {
    return client;
  }

  /** Announces a coordinator as alive with its API address, for as long as this session lives. */
  public void announceCoordinator(String coordinatorId, String address) {
    try {
      client
          .create()
          .orSetData()
          .withMode(CreateMode.EPHEMERAL)
          .forPath(paths.coordinator(coordinatorId), address.getBytes(StandardCharsets.UTF_8));
    } catch (Exception e) {
      throw new StoreUnavailableException("cannot announce coordinator " + coordinatorId, e);
    }
  }

  /** The coordinators currently alive, by id. */
  public List<String> liveCoordinators() {
    try {
      return client.getChildren().forPath(paths.coordinators()).stream().sorted().toList();
    } catch (KeeperException.NoNodeException e) {
      return List.of();
    } catch (Exception e) {
      throw new StoreUnavailableException("cannot list coordinators", e);
    }
  }

  @Override
  public void close() {
    client.close();
  }

  /** One ACL for every path. */
  private record FerryAcls(List<ACL> acl) implements ACLProvider {
    @Override
    public List<ACL> getDefaultAcl() {
      return acl;
    }

    @Override
    public List<ACL> getAclForPath(String path) {
      return acl;
    }
  }
}
