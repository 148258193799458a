package io.ferry.agent.cluster;

import io.ferry.common.cluster.HostRegistration;
import java.time.Duration;
import org.apache.helix.HelixException;
import org.apache.helix.PropertyPathBuilder;
import org.apache.helix.manager.zk.ZKHelixAdmin;
import org.apache.helix.manager.zk.ZKUtil;
import org.apache.helix.model.InstanceConfig;
import org.apache.helix.zookeeper.api.client.RealmAwareZkClient;
import org.apache.helix.zookeeper.datamodel.ZNRecord;
import org.apache.helix.zookeeper.zkclient.DataUpdater;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds out whether a coordinator has created the Helix cluster yet, and writes this host's
 * {@link HostRegistration} into its InstanceConfig: created with Helix's {@code addInstance} the
 * first time, later only the Ferry fields replaced in one compare-and-set update, so whatever a
 * coordinator set there (the instance operation, notably) survives a re-join.
 *
 * <p>Owns one ZooKeeper connection, opened by the constructor. Not thread-safe: used by the
 * member's join thread only. Failures are Helix/ZooKeeper runtime exceptions, which the caller
 * retries.
 */
final class InstanceRegistrar implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(InstanceRegistrar.class);

  private final RealmAwareZkClient client;

  InstanceRegistrar(String connectString, Duration sessionTimeout, Duration connectTimeout) {
    this.client = HelixParticipants.adminClient(connectString, sessionTimeout, connectTimeout);
  }

  /** True when the cluster exists and all of Helix's structure for it is in place. */
  boolean clusterReady(String helixCluster) {
    // Checking the root first keeps Helix from logging every missing path while we wait.
    return client.exists("/" + helixCluster) && ZKUtil.isClusterSetup(helixCluster, client);
  }

  /** Adds the instance, or replaces the Ferry fields of its existing InstanceConfig. */
  @SuppressWarnings("deprecation") // the constructor taking our own client is the one we need
  void register(String helixCluster, HostRegistration registration) {
    String host = registration.hostName();
    String path = PropertyPathBuilder.instanceConfig(helixCluster, host);
    if (!client.exists(path)) {
      InstanceConfig config = new InstanceConfig(host);
      config.getRecord().getSimpleFields().putAll(registration.simpleFields());
      config.getRecord().getMapFields().putAll(registration.mapFields());
      try {
        new ZKHelixAdmin(client).addInstance(helixCluster, config);
        log.info("host {}: registered in cluster {} at {}", host, helixCluster, registration.address());
        return;
      } catch (HelixException e) {
        if (!client.exists(path)) {
          throw e;
        }
        // Created meanwhile (a previous attempt that timed out after all): update it below.
      }
    }
    client.updateDataSerialized(path, (DataUpdater<ZNRecord>) current -> {
      if (current == null) {
        throw new HelixException("InstanceConfig of " + host + " vanished while being updated");
      }
      HostRegistration.OPTIONAL_FIELDS.forEach(current.getSimpleFields()::remove); // values this host no longer has
      current.getSimpleFields().putAll(registration.simpleFields());
      current.getMapFields().putAll(registration.mapFields());
      return current;
    });
    log.info("host {}: registration in cluster {} updated ({})", host, helixCluster, registration.address());
  }

  @Override
  public void close() {
    client.close();
  }
}
