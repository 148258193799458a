package io.ferry.it.multihost;

import io.ferry.it.cluster.DaemonProcess;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.BindMode;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.utility.DockerImageName;

/**
 * One coordinator of a {@link MultiHostCluster}: a plain container (a coordinator needs no special
 * rights) from the harness image with a fixed address, the coordinator started in it with {@code
 * docker exec} (a {@link DaemonProcess}, its log a file of the test). The cluster CA's directory
 * is mounted at its path in the test directory, the jar directory read-only at its repository path.
 */
final class CoordinatorNode {

  private final String id;
  private final String address;
  private final Path log;
  private final Path jar;
  private final GenericContainer<?> container;
  private DaemonProcess process;
  private boolean killed;

  CoordinatorNode(String image, Network network, String containerName, String label, String id, String address, Path dir, Path pkiDir, Path jar) {
    this.id = id;
    this.address = address;
    this.log = dir.resolve(id + ".log");
    this.jar = jar;
    this.container = new GenericContainer<>(DockerImageName.parse(image))
        .withNetwork(network)
        .withFileSystemBind(pkiDir.toString(), pkiDir.toString(), BindMode.READ_WRITE)
        .withFileSystemBind(jar.getParent().toString(), jar.getParent().toString(), BindMode.READ_ONLY)
        .withLabel(MultiHostCluster.LABEL, label)
        .withCreateContainerCmdModifier(cmd -> cmd.withName(containerName).withHostName(id).withIpv4Address(address));
  }

  String id() {
    return id;
  }

  String address() {
    return address;
  }

  void startContainer() {
    container.start();
  }

  String containerId() {
    return container.getContainerId();
  }

  /** Starts the coordinator with {@code settings} in the running container (again after {@link #kill}). */
  void startProcess(Map<String, String> settings) throws IOException {
    killed = false;
    List<String> argv = new ArrayList<>();
    settings.forEach((k, v) -> argv.add(k + "=" + v));
    process = new DaemonProcess(id, jar, argv, log, List.of(FerryHostImage.docker(), "exec", container.getContainerId())).start();
  }

  /** False once killed, or when the coordinator process exited by itself. */
  boolean alive() {
    return !killed && process != null && process.isAlive();
  }

  /** A crash of the coordinator's machine: {@code docker kill} of its container. */
  void kill() {
    killed = true;
    DockerClientFactory.instance().client().killContainerCmd(container.getContainerId()).exec();
  }

  String logTail(int lines) {
    return MultiHostCluster.tail(log, lines);
  }

  void remove() throws InterruptedException {
    try {
      container.stop();
    } finally {
      if (process != null) {
        process.kill();
      }
    }
  }
}
