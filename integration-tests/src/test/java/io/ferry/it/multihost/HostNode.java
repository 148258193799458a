package io.ferry.it.multihost;

import io.ferry.common.process.Command;
import io.ferry.common.process.CommandResult;
import io.ferry.it.FerryHostContainer;
import io.ferry.it.cluster.DaemonProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.testcontainers.containers.BindMode;
import org.testcontainers.containers.Network;

/**
 * One Ferry host of a {@link MultiHostCluster}: a {@link FerryHostContainer} (the rights to run
 * runc and CRIU inside) with a fixed address on the harness network, running one agent.
 *
 * <p>The container's PID 1 is tini (it reaps what the agent's containers leave behind); the agent
 * runs beside it, started with {@code docker exec} through a {@link DaemonProcess} whose log is a
 * file of the test, so that the agent can be killed and started again while the host lives on
 * ({@link #killAgent}, {@link #startAgent}). The agent's state directory is a directory of the
 * test mounted at the same path (the agent's overlays need a real filesystem under them, not the
 * container's own overlay), and the agent's jar directory is mounted read-only at its path in the
 * repository, so a rebuilt jar needs no new image.
 *
 * <p>The agent puts its containers' cgroups under the host container's own cgroup ({@code
 * /docker/ID/ferry}): a {@code docker pause} of the host freezes them too, {@code docker kill}
 * ends them with it, and no two hosts share a cgroup.
 */
final class HostNode {

  private static final String PID_FILE = "/run/ferry-agent.pid";

  private final String name;
  private final String address;
  private final Path stateDir;
  private final Path log;
  private final Path agentJar;
  private final FerryHostContainer container;
  private DaemonProcess agent;

  HostNode(String image, Network network, String containerName, String label, String name, String address, Path dir, Path agentJar) throws IOException {
    this.name = name;
    this.address = address;
    this.stateDir = Files.createDirectories(dir.resolve(name));
    this.log = dir.resolve(name + ".log");
    this.agentJar = agentJar;
    Path jars = agentJar.getParent();
    this.container = new FerryHostContainer(image)
        .withNetwork(network)
        .withFileSystemBind(stateDir.toString(), stateDir.toString(), BindMode.READ_WRITE)
        .withFileSystemBind(jars.toString(), jars.toString(), BindMode.READ_ONLY)
        .withLabel(MultiHostCluster.LABEL, label)
        .withCreateContainerCmdModifier(cmd -> cmd.withName(containerName).withHostName(name).withIpv4Address(address));
  }

  String name() {
    return name;
  }

  String address() {
    return address;
  }

  Path stateDir() {
    return stateDir;
  }

  String containerId() {
    return container.getContainerId();
  }

  Path log() {
    return log;
  }

  /** Starts the host container (not the agent). */
  void startContainer() {
    container.start();
  }

  /** The agent's settings that depend on this host alone; the cluster adds the rest. */
  Map<String, String> ownSettings() {
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("host.name", name);
    settings.put("listen.address", address);
    settings.put("listen.port", Integer.toString(MultiHostCluster.AGENT_PORT));
    settings.put("metrics.port", "0");
    settings.put("state.dir", stateDir.toString());
    settings.put("network.overlay.enabled", "true");
    settings.put("runtime.cgroup-parent", "/docker/" + containerId() + "/ferry");
    return settings;
  }

  /** Starts the agent with {@code settings} ({@code key=value}) in the running host container. */
  void startAgent(Map<String, String> settings) throws IOException {
    List<String> argv = new ArrayList<>();
    settings.forEach((k, v) -> argv.add(k + "=" + v));
    // sh records its pid and execs the JVM: the pid file names the agent itself.
    List<String> prefix = List.of(FerryHostImage.docker(), "exec", containerId(), "sh", "-c", "echo $$ > " + PID_FILE + " && exec \"$@\"", "sh");
    agent = new DaemonProcess(name, agentJar, argv, log, prefix).start();
  }

  /** True once {@link #startAgent} ran (the agent may have died since). */
  boolean agentStarted() {
    return agent != null;
  }

  /** True while the agent process runs (its {@code docker exec} ends with it). */
  boolean agentAlive() {
    return agent != null && agent.isAlive();
  }

  /**
   * Kills the agent with SIGKILL inside the host (a crash: the host and its containers stay) and
   * waits until it is gone.
   *
   * @throws IllegalStateException when it cannot be killed or is still there after 30 s
   */
  void killAgent() throws InterruptedException {
    // SIGKILL, then poll (bounded) until the pid is gone, so a new agent finds its port free.
    CommandResult kill = exec("sh", "-c", "pid=$(cat " + PID_FILE + ") && kill -9 $pid && timeout 20 sh -c \"while kill -0 $pid 2>/dev/null; do sleep 0.05; done\"");
    if (!kill.succeeded()) {
      throw new IllegalStateException("cannot kill the agent of " + name + ": " + kill.output());
    }
    // The docker exec client ends with the agent; kill() reaps it (at most 30 s).
    agent.kill();
    if (agent.isAlive()) {
      throw new IllegalStateException("the agent of " + name + " is still running 30 s after SIGKILL");
    }
  }

  /** The agent's pid inside the host (from its pid file). */
  long agentPid() {
    CommandResult pid = exec("cat", PID_FILE);
    if (!pid.succeeded()) {
      throw new IllegalStateException("no agent pid on " + name + ": " + pid.output());
    }
    return Long.parseLong(pid.stdout().strip());
  }

  /** Runs a command in the host container (not in a Ferry container). */
  CommandResult exec(String... command) {
    List<String> argv = new ArrayList<>(List.of(FerryHostImage.docker(), "exec", containerId()));
    argv.addAll(List.of(command));
    return Command.of(argv).timeout(Duration.ofSeconds(30)).run();
  }

  String agentLogTail(int lines) {
    return MultiHostCluster.tail(log, lines);
  }

  /** Removes the container (and everything running in it); the agent's docker exec ends with it. */
  void remove() throws InterruptedException {
    try {
      container.stop();
    } finally {
      if (agent != null) {
        agent.kill();
      }
    }
  }
}
