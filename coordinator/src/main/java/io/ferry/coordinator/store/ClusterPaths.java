package io.ferry.coordinator.store;

import io.ferry.common.Names;
import io.ferry.common.net.Ipv4Cidr;

/**
 * Every ZooKeeper path Ferry uses, built in one place: {@code /ferry/<cluster>/...}. Path segments
 * that come from names are validated as DNS labels, so no input can climb out of the tree.
 */
public record ClusterPaths(String cluster) {

  public ClusterPaths {
    Names.require("cluster", cluster);
  }

  /** The root of this cluster's tree. */
  public String root() {
    return "/ferry/" + cluster;
  }

  /** Parent of the coordinators' presence nodes. */
  public String coordinators() {
    return root() + "/coordinators";
  }

  /** Ephemeral presence node of one coordinator; its data is the coordinator's API address. */
  public String coordinator(String coordinatorId) {
    return coordinators() + "/" + Names.require("coordinator", coordinatorId);
  }

  /** Parent of the hosts' allocation nodes. */
  public String hosts() {
    return root() + "/hosts";
  }

  /** One host's allocation: capacity, what placed containers reserve, how many there are. */
  public String host(String hostName) {
    return hosts() + "/" + Names.require("host", hostName);
  }

  /** Parent of the placements, one node per container. */
  public String placements() {
    return root() + "/placements";
  }

  /** Where container {@code name} is placed and what it reserves there. */
  public String placement(String containerName) {
    String name = containerName.endsWith(INCOMING) ? containerName.substring(0, containerName.length() - INCOMING.length()) : containerName;
    Names.require("container", name);
    return placements() + "/" + containerName;
  }

  /** Suffix of a migrating container's placement on its target (see Reservations#incomingKey). */
  static final String INCOMING = "~incoming";

  /** Parent of the containers' desired-state records. */
  public String containers() {
    return root() + "/containers";
  }

  /** Container {@code name}'s record: spec, host, desired and last observed state. */
  public String container(String containerName) {
    return containers() + "/" + Names.require("container", containerName);
  }

  /** Parent of the address index: one node per allocated container address. */
  public String addresses() {
    return root() + "/addresses";
  }

  /**
   * The index node of one container address ({@code addresses/10.100.0.7}), created in the same
   * transaction as the record holding the address and deleted in the one removing it: its existence
   * is what keeps two containers from ever holding one address.
   */
  public String address(String ipv4) {
    if (!Ipv4Cidr.isAddress(ipv4)) {
      throw new IllegalArgumentException("'" + ipv4 + "' is not an IPv4 address");
    }
    return addresses() + "/" + Ipv4Cidr.format(Ipv4Cidr.parseAddress(ipv4));
  }

  /** Parent of the operations' records. */
  public String operations() {
    return root() + "/operations";
  }

  /** One operation's record. */
  public String operation(String operationId) {
    return operations() + "/" + Names.require("operation", operationId);
  }

  /**
   * Ephemeral lock node held by the coordinator that creates or completes the cluster's Helix
   * structure, so that coordinators starting together do not interleave Helix's non-atomic
   * cluster creation.
   */
  public String helixSetupLock() {
    return root() + "/locks/helix-setup";
  }

  /** Parent of the cluster's security records: revocations, join tokens, issued certificates. */
  public String security() {
    return root() + "/security";
  }

  /**
   * The revocation list in force ({@code RevocationList} text form), read by every coordinator and
   * agent: {@link io.ferry.common.security.SecurityPaths#revocations}.
   */
  public String revocations() {
    return io.ferry.common.security.SecurityPaths.revocations(cluster);
  }

  /** Parent of the join tokens, one node per token named by the SHA-256 of its secret. */
  public String joinTokens() {
    return security() + "/join-tokens";
  }

  /** One join token's record, by the hash of its secret (64 lower-case hex digits). */
  public String joinToken(String secretHash) {
    if (!secretHash.matches("[0-9a-f]{64}")) {
      throw new IllegalArgumentException("not a join token hash");
    }
    return joinTokens() + "/" + secretHash;
  }

  /** Parent of the hosts that got certificates by joining, one node per host. */
  public String issuedHosts() {
    return security() + "/issued";
  }

  /** Parent of the serials issued to {@code hostName}, one node per certificate. */
  public String issuedTo(String hostName) {
    return issuedHosts() + "/" + Names.require("host", hostName);
  }

  /** Parent of the clients (people, scripts) given certificates, one node per name. */
  public String issuedClients() {
    return security() + "/clients";
  }

  /** One client certificate, by its holder's name and its serial in lower-case hex. */
  public String issuedClient(String name, java.math.BigInteger serial) {
    return issuedClients() + "/" + Names.require("client", name) + "/" + serial.toString(16);
  }

  /** One certificate issued to {@code hostName}, by its serial in lower-case hex. */
  public String issued(String hostName, java.math.BigInteger serial) {
    return issuedTo(hostName) + "/" + serial.toString(16);
  }
}
