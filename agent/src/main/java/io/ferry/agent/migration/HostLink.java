package io.ferry.agent.migration;

import io.ferry.common.process.Command;
import io.ferry.common.process.CommandException;
import io.ferry.migration.protocol.MigrationException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sets the host side of a container's veth down or up. While it is down, this host neither
 * delivers nor acknowledges anything for the container's address: a frozen source copy cannot
 * answer TCP peers that the restored copy on the target now serves. Uses only the network
 * package's public facts (the attachment's host interface); {@code ip link set dev X up|down} in
 * the agent's own network namespace, with a timeout.
 */
final class HostLink {

  private static final Logger log = LoggerFactory.getLogger(HostLink.class);

  private final Duration timeout;

  HostLink(Duration timeout) {
    this.timeout = timeout;
  }

  void set(String container, String hostInterface, boolean up) {
    try {
      Command.of("ip", "link", "set", "dev", hostInterface, up ? "up" : "down").timeout(timeout).check();
      log.info("container={} host link {} {}", container, hostInterface, up ? "up" : "down");
    } catch (CommandException e) {
      throw MigrationException.internal("cannot set the link " + hostInterface + " of " + container + (up ? " up" : " down")
          + ": " + e.getMessage(), e);
    }
  }
}
