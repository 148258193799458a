package io.ferry.agent.network;

import io.ferry.agent.AgentException;
import io.ferry.agent.AgentException.Kind;
import io.ferry.common.Names;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leases of addresses (and MACs) of one subnet to containers, persisted in {@code
 * <stateDir>/network/leases.json} so they survive agent restarts.
 *
 * <p>Contract: at most one lease per container; no two leases share an address or a MAC; every
 * leased address is {@linkplain Ipv4Subnet#isAssignable assignable}. Each change is written to disk
 * (atomically, see {@link LeaseFile}) before it becomes visible: a failed write changes nothing.
 *
 * <p>Thread-safe: every method is synchronized on the allocator; each takes microseconds plus one
 * file write for changes.
 */
public final class AddressAllocator {

  /** Where the leases live, relative to the agent's state directory. */
  public static final Path LEASES_FILE = Path.of("network", "leases.json");

  private static final Logger log = LoggerFactory.getLogger(AddressAllocator.class);

  private final Ipv4Subnet subnet;
  private final LeaseFile file;
  private final Clock clock;
  private Map<String, Lease> leases;

  private AddressAllocator(Ipv4Subnet subnet, LeaseFile file, Clock clock, Map<String, Lease> leases) {
    this.subnet = subnet;
    this.file = file;
    this.clock = clock;
    this.leases = leases;
  }

  /**
   * Loads the leases of {@code stateDir}, or starts empty when there are none yet.
   *
   * @throws AgentException FAILED_PRECONDITION when a stored lease does not fit {@code subnet} (the
   *     subnet was reconfigured while containers held addresses) or two leases clash; INTERNAL when
   *     the file cannot be read or is damaged
   */
  public static AddressAllocator open(Path stateDir, Ipv4Subnet subnet, Clock clock) {
    LeaseFile file = new LeaseFile(stateDir.resolve(LEASES_FILE));
    Map<String, Lease> loaded = new LinkedHashMap<>();
    Optional<LeaseFile.Content> content = file.read();
    if (content.isPresent()) {
      Set<Ipv4Address> addresses = new HashSet<>();
      Set<MacAddress> macs = new HashSet<>();
      for (Lease lease : content.get().leases()) {
        if (!subnet.isAssignable(lease.address())) {
          throw AgentException.precondition(
              file.path() + ": container " + lease.container() + " holds " + lease.address() + " of subnet "
                  + content.get().subnet() + ", which is not an assignable address of the configured subnet "
                  + subnet + "; detach its containers before changing " + NetworkConfig.KEY_SUBNET);
        }
        if (!addresses.add(lease.address()) || !macs.add(lease.mac()) || loaded.put(lease.container(), lease) != null) {
          throw AgentException.precondition(
              file.path() + ": lease of container " + lease.container() + " (" + lease.address() + ", "
                  + lease.mac() + ") clashes with another lease");
        }
      }
    }
    log.atInfo()
        .addKeyValue("leases", loaded.size())
        .log("network leases of {} loaded from {}: {} held", subnet, file.path(), loaded.size());
    return new AddressAllocator(subnet, file, clock, loaded);
  }

  public Ipv4Subnet subnet() {
    return subnet;
  }

  /** The file the leases are kept in. */
  public Path file() {
    return file.path();
  }

  /**
   * The lease of {@code container}: its existing lease if it has one (so calling again after a
   * crash or restart changes nothing), else the lowest free address with the container's derived
   * MAC ({@link MacAddress#derive}; a counter is appended to the seed in the unlikely case another
   * lease holds that MAC).
   *
   * @throws AgentException INVALID_ARGUMENT for a bad container name; RESOURCE_EXHAUSTED when
   *     every address of the subnet is leased; INTERNAL when the leases cannot be written
   */
  public synchronized Lease allocate(String container) {
    requireName(container);
    Lease existing = leases.get(container);
    if (existing != null) {
      return existing;
    }
    Set<Ipv4Address> used = new HashSet<>();
    leases.values().forEach(l -> used.add(l.address()));
    Ipv4Address free =
        subnet.assignable()
            .filter(a -> !used.contains(a))
            .findFirst()
            .orElseThrow(
                () ->
                    new AgentException(
                        Kind.RESOURCE_EXHAUSTED,
                        "no free address for container " + container + " in subnet " + subnet + ": all "
                            + (subnet.size() - 3) + " assignable addresses are leased"));
    return put(new Lease(container, free, freeMac(container), clock.instant()));
  }

  /**
   * Leases exactly {@code address} to {@code container}, with {@code mac} (a container that moves in
   * keeps its identity). Idempotent: the same container asking again for the same address and MAC
   * gets its lease.
   *
   * @throws AgentException INVALID_ARGUMENT for a bad name, an address outside the subnet's
   *     assignable range or a group MAC; ALREADY_EXISTS naming the holder when another container holds
   *     the address or the MAC; FAILED_PRECONDITION when the container already holds a different
   *     address or MAC; INTERNAL when the leases cannot be written
   */
  public synchronized Lease reserve(String container, Ipv4Address address, MacAddress mac) {
    requireName(container);
    if (!subnet.isAssignable(address)) {
      throw AgentException.invalid(
          address + " is not an assignable address of subnet " + subnet
              + " (the network, gateway " + subnet.gateway() + " and broadcast addresses are reserved)");
    }
    if (!mac.isUnicast()) {
      throw AgentException.invalid("MAC " + mac + " for container " + container + " is a group address");
    }
    Lease existing = leases.get(container);
    if (existing != null) {
      if (existing.address().equals(address) && existing.mac().equals(mac)) {
        return existing;
      }
      throw AgentException.precondition(
          "container " + container + " already holds " + existing.address() + " (MAC " + existing.mac()
              + "), not " + address + " (MAC " + mac + "); detach it first");
    }
    for (Lease other : leases.values()) {
      if (other.address().equals(address)) {
        throw new AgentException(
            Kind.ALREADY_EXISTS, "address " + address + " is already leased to container " + other.container());
      }
      if (other.mac().equals(mac)) {
        throw new AgentException(
            Kind.ALREADY_EXISTS, "MAC " + mac + " is already leased to container " + other.container());
      }
    }
    return put(new Lease(container, address, mac, clock.instant()));
  }

  /** As {@link #reserve(String, Ipv4Address, MacAddress)} with the container's derived MAC. */
  public synchronized Lease reserve(String container, Ipv4Address address) {
    Lease existing = leases.get(container);
    MacAddress mac = existing != null && existing.address().equals(address) ? existing.mac() : freeMac(container);
    return reserve(container, address, mac);
  }

  /**
   * Gives up the container's lease; nothing happens when it holds none.
   *
   * @return the lease released, if there was one
   * @throws AgentException INTERNAL when the leases cannot be written (the lease is then kept)
   */
  public synchronized Optional<Lease> release(String container) {
    Lease existing = leases.get(container);
    if (existing == null) {
      return Optional.empty();
    }
    Map<String, Lease> next = new LinkedHashMap<>(leases);
    next.remove(container);
    commit(next);
    log.atInfo().addKeyValue("container", container).log("released {} of container {}", existing.address(), container);
    return Optional.of(existing);
  }

  public synchronized Optional<Lease> lease(String container) {
    return Optional.ofNullable(leases.get(container));
  }

  /** All leases, ordered by address. */
  public synchronized List<Lease> leases() {
    List<Lease> all = new ArrayList<>(leases.values());
    all.sort(Comparator.comparing(Lease::address));
    return all;
  }

  private Lease put(Lease lease) {
    Map<String, Lease> next = new LinkedHashMap<>(leases);
    next.put(lease.container(), lease);
    commit(next);
    log.atInfo()
        .addKeyValue("container", lease.container())
        .log("leased {} (MAC {}) to container {}", lease.address(), lease.mac(), lease.container());
    return lease;
  }

  private void commit(Map<String, Lease> next) {
    file.write(new LeaseFile.Content(subnet, new ArrayList<>(next.values())));
    leases = next;
  }

  private MacAddress freeMac(String container) {
    Map<MacAddress, String> used = new HashMap<>();
    leases.values().forEach(l -> used.put(l.mac(), l.container()));
    MacAddress mac = MacAddress.derive(container);
    for (int i = 1; used.containsKey(mac) && !container.equals(used.get(mac)); i++) {
      mac = MacAddress.derive(container + "#" + i);
    }
    return mac;
  }

  private static void requireName(String container) {
    String problem = Names.problem("container", container);
    if (problem != null) {
      throw AgentException.invalid(problem);
    }
  }
}
