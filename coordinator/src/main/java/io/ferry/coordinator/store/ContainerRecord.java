package io.ferry.coordinator.store;

import io.ferry.coordinator.placement.Resources;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A container as the cluster knows it, stored at {@code containers/NAME}: where it is placed, what
 * it reserves there, what the cluster drives it towards and what was last seen on its host.
 *
 * <p>The spec and the observed container are kept as the serialized {@code ferry.v1} messages the
 * agent speaks ({@code ContainerSpec} and {@code Container}): the coordinator forwards them to and
 * from agents unchanged, and protobuf keeps them readable across versions. Only the {@code api}
 * and {@code operations} packages parse them.
 *
 * @param name the container's name, unique in the cluster
 * @param host the host it is placed on
 * @param spec serialized {@code ferry.v1.ContainerSpec}
 * @param reserved what placement reserved for it on {@code host}
 * @param requiredLabels host labels it was placed with
 * @param antiAffinityGroup its anti-affinity group, empty for none
 * @param desired what the cluster drives it towards
 * @param observed serialized {@code ferry.v1.Container} as last seen on the host; empty before the
 *     host first reported it
 * @param operationId the operation working on it now, empty when none
 * @param createdAtMillis when it was launched
 * @param updatedAtMillis when this record last changed
 * @param network its address and MAC in the cluster network; null for records written before the
 *     cluster allocated addresses (their host leased one itself)
 * @param ha the standby of a high-availability container; null for the others
 */
public record ContainerRecord(
    String name,
    String host,
    byte[] spec,
    Resources reserved,
    Map<String, String> requiredLabels,
    String antiAffinityGroup,
    Desired desired,
    byte[] observed,
    String operationId,
    long createdAtMillis,
    long updatedAtMillis,
    ClusterAddress network,
    HaState ha) {

  /**
   * A high-availability container's standby: the host keeping a replica of its rootfs (placed
   * anti-affine to {@code host}, with room for it at launch; nothing is reserved there), and the
   * replica's freshness.
   *
   * @param standbyHost where the replica is kept and the container restarts when its host dies
 * @param token the secret of the replica's data-plane calls between the two agents
   * @param replicaAtMillis when the latest complete replica was taken; 0 before the first
   * @param replicaBytes what the latest pass sent
   * @param failovers how many times it was restarted from a replica
   * @param lastFailoverAtMillis when it last was; 0 never
   */
  public record HaState(String standbyHost, String token, long replicaAtMillis, long replicaBytes, int failovers, long lastFailoverAtMillis) {
    public HaState {
      Objects.requireNonNull(standbyHost, "standbyHost");
      Objects.requireNonNull(token, "token");
    }

    /** A new standby with no replica yet, and a new token for it. */
    public static HaState standbyOn(String host) {
      byte[] secret = new byte[16];
      RANDOM.nextBytes(secret);
      return new HaState(host, java.util.HexFormat.of().formatHex(secret), 0, 0, 0, 0);
    }

    /** After a complete pass recorded by the standby at {@code atMillis}. */
    public HaState withReplica(long atMillis, long bytes) {
      return new HaState(standbyHost, token, atMillis, bytes, failovers, lastFailoverAtMillis);
    }

    /** A new standby (no replica there yet, a new token), the failover count kept. */
    public HaState movedTo(String newStandby) {
      HaState fresh = standbyOn(newStandby);
      return new HaState(newStandby, fresh.token(), 0, 0, failovers, lastFailoverAtMillis);
    }

    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();
  }

  /** What the cluster drives a container towards. */
  public enum Desired {
    RUNNING,
    STOPPED,
    /** Being deleted: the record goes away once the host no longer has it. */
    DELETED
  }

  public ContainerRecord {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(host, "host");
    spec = spec == null ? new byte[0] : spec;
    Objects.requireNonNull(reserved, "reserved");
    requiredLabels = requiredLabels == null ? Map.of() : Map.copyOf(requiredLabels);
    antiAffinityGroup = antiAffinityGroup == null ? "" : antiAffinityGroup;
    Objects.requireNonNull(desired, "desired");
    observed = observed == null ? new byte[0] : observed;
    operationId = operationId == null ? "" : operationId;
  }

  /** A record without a cluster address. */
  public ContainerRecord(
      String name,
      String host,
      byte[] spec,
      Resources reserved,
      Map<String, String> requiredLabels,
      String antiAffinityGroup,
      Desired desired,
      byte[] observed,
      String operationId,
      long createdAtMillis,
      long updatedAtMillis) {
    this(name, host, spec, reserved, requiredLabels, antiAffinityGroup, desired, observed, operationId, createdAtMillis, updatedAtMillis, null, null);
  }

  /** This record with {@code address} as its network identity. */
  public ContainerRecord withNetwork(ClusterAddress address) {
    return new ContainerRecord(
        name, host, spec, reserved, requiredLabels, antiAffinityGroup, desired, observed, operationId, createdAtMillis, updatedAtMillis, address, ha);
  }

  /** Its network identity, if the cluster gave it one. */
  public Optional<ClusterAddress> clusterAddress() {
    return Optional.ofNullable(network);
  }

  public ContainerRecord withDesired(Desired newDesired, String newOperationId, long now) {
    return new ContainerRecord(
        name, host, spec, reserved, requiredLabels, antiAffinityGroup, newDesired, observed, newOperationId, createdAtMillis, now, network, ha);
  }

  public ContainerRecord withObserved(byte[] newObserved, long now) {
    return new ContainerRecord(
        name, host, spec, reserved, requiredLabels, antiAffinityGroup, desired, newObserved, operationId, createdAtMillis, now, network, ha);
  }

  public ContainerRecord withOperation(String newOperationId, long now) {
    return new ContainerRecord(
        name, host, spec, reserved, requiredLabels, antiAffinityGroup, desired, observed, newOperationId, createdAtMillis, now, network, ha);
  }

  /**
   * This container placed on {@code newHost} (a migration's commit). An HA container moved onto its
   * standby takes the host it left as its new standby, with no replica there yet.
   */
  public ContainerRecord withHost(String newHost, long now) {
    HaState standby = ha;
    if (ha != null && ha.standbyHost().equals(newHost)) {
      standby = ha.movedTo(host);
    }
    return new ContainerRecord(
        name, newHost, spec, reserved, requiredLabels, antiAffinityGroup, desired, observed, operationId, createdAtMillis, now, network, standby);
  }

  public ContainerRecord withHa(HaState newHa, long now) {
    return new ContainerRecord(
        name, host, spec, reserved, requiredLabels, antiAffinityGroup, desired, observed, operationId, createdAtMillis, now, network, newHa);
  }

  /** Its standby, if it is a high-availability container. */
  public Optional<HaState> haState() {
    return Optional.ofNullable(ha);
  }

  public ContainerRecord withSpec(byte[] newSpec, Resources newReserved, long now) {
    return new ContainerRecord(
        name, host, newSpec, newReserved, requiredLabels, antiAffinityGroup, desired, observed, operationId, createdAtMillis, now, network, ha);
  }
}
