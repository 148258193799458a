package io.ferry.agent.network;

import io.ferry.agent.AgentException;
import io.ferry.agent.AgentException.Kind;
import io.ferry.common.process.Command;
import io.ferry.common.process.CommandException;
import io.ferry.common.process.CommandResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link Firewall} with {@code iptables} (whichever backend the host's {@code iptables} is: nft or
 * legacy), and {@code ebtables} (Debian's {@code iptables} package ships it) for the bridge-level
 * rules of the overlay. Waits for the xtables lock ({@code -w}) within the command timeout. The command prefix
 * works as in {@link IpRoute2Commands}: iptables rules belong to a network namespace, so with
 * {@code nsenter --net=...} the rules go into that namespace. Thread-safe.
 */
public final class IptablesFirewall implements Firewall {

  /** iptables -C exits 1 when the rule does not exist (2 or more on real errors). */
  private static final int RULE_MISSING = 1;

  private final List<String> prefix;
  private final Duration timeout;

  public IptablesFirewall(List<String> commandPrefix, Duration timeout) {
    this.prefix = List.copyOf(commandPrefix);
    this.timeout = timeout;
  }

  @Override
  public boolean allowForwarding(String bridge) {
    List<String> rule = List.of("FORWARD", "-i", bridge, "-o", bridge, "-j", "ACCEPT");
    CommandResult exists = run("-C", rule);
    if (exists.succeeded()) {
      return false;
    }
    if (exists.exitCode() != RULE_MISSING) {
      throw failed(exists);
    }
    CommandResult added = run("-I", rule);
    if (!added.succeeded()) {
      throw failed(added);
    }
    return true;
  }

  @Override
  public boolean inputAllowed(String bridge) {
    CommandResult rules = run("-S", List.of("INPUT"));
    if (!rules.succeeded()) {
      throw failed(rules);
    }
    for (String line : rules.stdout().split("\n")) {
      String rule = line.strip();
      if (rule.equals("-P INPUT ACCEPT") || rule.equals("-A INPUT -i " + bridge + " -j ACCEPT")) {
        return true;
      }
    }
    return false;
  }

  @Override
  public int isolateGateway(String overlayDevice, Ipv4Address gateway, MacAddress gatewayMac) {
    List<List<String>> rules = List.of(
        List.of("-t", "filter", "FORWARD", "-o", overlayDevice, "-p", "ARP", "--arp-ip-dst", gateway.toString(), "-j", "DROP"),
        List.of("-t", "filter", "OUTPUT", "-o", overlayDevice, "-s", gatewayMac.toString(), "-j", "DROP"),
        List.of("-t", "nat", "PREROUTING", "-i", overlayDevice, "-s", gatewayMac.toString(), "-j", "DROP"));
    int added = 0;
    for (List<String> rule : rules) {
      CommandResult exists = ebtables("--check", rule);
      if (exists.succeeded()) {
        continue;
      }
      if (exists.exitCode() != RULE_MISSING) {
        throw failed(exists);
      }
      CommandResult add = ebtables("-A", rule);
      if (!add.succeeded()) {
        throw failed(add);
      }
      added++;
    }
    return added;
  }

  /** {@code ebtables -t TABLE ACTION CHAIN MATCH...}: {@code rule} starts with the table. */
  private CommandResult ebtables(String action, List<String> rule) {
    List<String> argv = new ArrayList<>(prefix);
    argv.add("ebtables");
    argv.addAll(rule.subList(0, 2));
    argv.add(action);
    argv.addAll(rule.subList(2, rule.size()));
    try {
      return Command.of(argv).timeout(timeout).run();
    } catch (CommandException e) {
      throw new AgentException(
          e.timedOut() ? Kind.TIMEOUT : Kind.INTERNAL, "'" + String.join(" ", argv) + "': " + e.getMessage(), e);
    }
  }

  private CommandResult run(String action, List<String> rest) {
    List<String> argv = new ArrayList<>(prefix);
    argv.add("iptables");
    argv.add("-w");
    argv.add(action);
    argv.addAll(rest);
    try {
      return Command.of(argv).timeout(timeout).run();
    } catch (CommandException e) {
      throw new AgentException(
          e.timedOut() ? Kind.TIMEOUT : Kind.INTERNAL, "'" + String.join(" ", argv) + "': " + e.getMessage(), e);
    }
  }

  private static AgentException failed(CommandResult result) {
    return AgentException.internal(
        "'" + String.join(" ", result.argv()) + "' exited " + result.exitCode() + ": " + result.output(), null);
  }
}
