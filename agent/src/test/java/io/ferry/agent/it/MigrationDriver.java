package io.ferry.agent.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ferry.agent.it.MigrationCluster.Host;
import io.ferry.proto.v1.Container;
import io.ferry.proto.v1.ContainerSpec;
import io.ferry.proto.v1.CreateContainerRequest;
import io.ferry.proto.v1.InitKind;
import io.ferry.proto.v1.MigrateOutRequest;
import io.ferry.proto.v1.MigrationMode;
import io.ferry.proto.v1.MigrationProgress;
import io.ferry.proto.v1.MigrationRef;
import io.ferry.proto.v1.MigrationResult;
import io.ferry.proto.v1.PrepareIncomingRequest;
import io.grpc.StatusRuntimeException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives migrations between the hosts of a {@link MigrationCluster} the way the coordinator does
 * (PrepareIncoming on the target, MigrateOut on the source, then Commit on the source and the
 * target, or Abort on the target and the source), and watches containers from the outside.
 */
final class MigrationDriver {

  private static final Logger log = LoggerFactory.getLogger(MigrationDriver.class);

  /**
   * PID 1 of the test containers: draws a random id when it starts, then every 0.1 s writes "ID
   * COUNT" into /tmp/count and replaces /data/tick-(COUNT-1) with /data/tick-COUNT (files come and
   * go between the passes of a migration); a child serves an endless count on TCP port 5000. The
   * replacement is a rename, so a stop at any moment leaves exactly one tick file (a touch then rm
   * left two when the stop fell between them, and a near-live test then counted three).
   */
  static final String COUNTER =
      "id=$(cat /proc/sys/kernel/random/uuid); i=0; mkdir -p /data;"
          + " (j=0; while true; do j=$((j+1)); echo $j; sleep 0.1; done | nc -l -p 5000) &"
          + " while true; do i=$((i+1)); echo \"$id $i\" > /tmp/count; mv /data/tick-$((i-1)) /data/tick-$i 2>/dev/null || touch /data/tick-$i;"
          + " sleep 0.1; done";

  private MigrationDriver() {}

  /** A busybox counter container, running on {@code host}, with a file written before any move. */
  static Container startCounter(Host host, String name) {
    Container c = host.agent().createContainer(CreateContainerRequest.newBuilder()
        .setSpec(ContainerSpec.newBuilder().setName(name).setImage("busybox").setInit(InitKind.INIT_KIND_GENERIC)
            .addAllCommand(List.of("/bin/sh", "-c", COUNTER)))
        .setStart(true).build());
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
        .until(() -> count(host, name).map(Count::value).orElse(0L) >= 3);
    host.exec(name, "sh", "-c", "echo written-before-the-move > /data/kept.txt");
    return c;
  }

  /** What /tmp/count says: the process's random id and its count. */
  record Count(String id, long value) {}

  static Optional<Count> count(Host host, String name) {
    Path file = host.rootfsFile(name, "tmp/count");
    try {
      String[] parts = Files.readString(file).strip().split(" ");
      return parts.length == 2 ? Optional.of(new Count(parts[0], Long.parseLong(parts[1]))) : Optional.empty();
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  /**
   * The count now, waiting out the instant the counter truncates the file to rewrite it (a read
   * may find it empty).
   */
  static Count currentCount(Host host, String name) {
    AtomicReference<Count> seen = new AtomicReference<>();
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> {
      Optional<Count> c = count(host, name);
      c.ifPresent(seen::set);
      return c.isPresent();
    });
    return seen.get();
  }

  /**
   * The number of the one tick file in a stopped container's /data. Its /tmp/count is no use
   * there: a stop between the counter's truncation of that file and its write leaves it empty for
   * good, while the tick file is renamed, never rewritten.
   */
  static long lastTick(Host host, String name) throws IOException {
    try (Stream<Path> files = Files.list(host.rootfsFile(name, "data"))) {
      List<Long> ticks = files.map(f -> f.getFileName().toString()).filter(f -> f.startsWith("tick-"))
          .map(f -> Long.parseLong(f.substring("tick-".length()))).toList();
      assertThat(ticks).as("tick files of stopped %s on %s", name, host.name).hasSize(1);
      return ticks.get(0);
    }
  }

  /** How a migration ended: its progress reports, and its result or its error. */
  record Run(List<MigrationProgress> progress, MigrationResult result, StatusRuntimeException error) {
    MigrationProgress last() {
      return progress.get(progress.size() - 1);
    }
  }

  static String token() {
    byte[] b = new byte[16];
    ThreadLocalRandom.current().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  static String newId(String what) {
    return what + "-" + Long.toHexString(System.nanoTime());
  }

  /** PrepareIncoming on {@code to}, with {@code from}'s description of the container. */
  static void prepare(String id, String name, Host from, Host to, MigrationMode mode, String token) {
    Container c = from.agent().getContainer(MigrationCluster.ref(name));
    to.migration().prepareIncoming(PrepareIncomingRequest.newBuilder()
        .setMigrationId(id).setSpec(c.getSpec()).setImageDigest(c.getImageDigest()).setNetwork(c.getNetwork())
        .setMode(mode).setSourceAddress(from.address()).setSourceHost(from.name).setToken(token).build());
  }

  /** Prepare, then MigrateOut to its end (no commit yet). */
  static Run migrate(String id, String name, Host from, Host to, MigrationMode mode, boolean tcp) {
    String token = token();
    prepare(id, name, from, to, mode, token);
    return migrateOut(id, name, from, to, mode, tcp, token);
  }

  static Run migrateOut(String id, String name, Host from, Host to, MigrationMode mode, boolean tcp, String token) {
    List<MigrationProgress> progress = new ArrayList<>();
    try {
      Iterator<MigrationProgress> it = from.migration().migrateOut(MigrateOutRequest.newBuilder()
          .setMigrationId(id).setName(name).setTargetAddress(to.address()).setMode(mode).setTcpEstablished(tcp)
          .setToken(token).build());
      it.forEachRemaining(progress::add);
    } catch (StatusRuntimeException e) {
      log.info("migration {} failed: {}", id, e.getStatus());
      return new Run(progress, null, e);
    }
    MigrationProgress last = progress.get(progress.size() - 1);
    log.info("migration {} result: {}", id, last.getResult());
    return new Run(progress, last.getResult(), null);
  }

  /** Commit on the source, then on the target (the contract's order). */
  static void commit(String id, Host from, Host to) {
    MigrationRef ref = MigrationRef.newBuilder().setMigrationId(id).build();
    from.migration().commitMigration(ref);
    to.migration().commitMigration(ref);
  }

  /** Abort on the target, then on the source (the contract's order). */
  static void abort(String id, Host from, Host to) {
    MigrationRef ref = MigrationRef.newBuilder().setMigrationId(id).build();
    to.migration().abortMigration(ref);
    from.migration().abortMigration(ref);
  }

  /** Waits until the container's count on {@code host} went past {@code beyond}; returns it. */
  static Count awaitCountPast(Host host, String name, long beyond) {
    AtomicReference<Count> seen = new AtomicReference<>();
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).until(() -> {
      Optional<Count> c = count(host, name);
      c.ifPresent(seen::set);
      return c.isPresent() && c.get().value() > beyond;
    });
    return seen.get();
  }

  /** Asserts that nothing of {@code name} or migration {@code id} is left on {@code host}. */
  static void assertNothingOn(Host host, String name, String id) {
    assertThat(host.agent().listContainers(io.ferry.proto.v1.ListContainersRequest.getDefaultInstance()).getContainersList())
        .as("containers on %s", host.name).noneMatch(c -> c.getSpec().getName().equals(name));
    assertThat(host.containerDir(name)).as("rootfs of %s on %s", name, host.name).doesNotExist();
    assertThat(Path.of("/run/netns", host.containerNetns(name))).as("netns of %s on %s", name, host.name).doesNotExist();
    assertThat(host.runcKnows(name)).as("runc container %s on %s", name, host.name).isFalse();
    assertThat(host.journal(id, "target")).as("target journal on %s", host.name).doesNotExist();
    assertThat(host.journal(id, "source")).as("source journal on %s", host.name).doesNotExist();
  }

  /**
   * A TCP client in the cluster's client namespace, reading the container's endless count over
   * one connection (busybox nc, with its stdin held open so it never closes its side).
   */
  static final class TcpClient implements AutoCloseable {
    private final Process process;
    final AtomicLong last = new AtomicLong();
    final AtomicLong lines = new AtomicLong();
    final AtomicLong resets = new AtomicLong();

    private TcpClient(Process process) {
      this.process = process;
      Thread reader = new Thread(this::read, "tcp-client");
      reader.setDaemon(true);
      reader.start();
    }

    static TcpClient connect(MigrationCluster cluster, Path busybox, String address) {
      AtomicReference<TcpClient> client = new AtomicReference<>();
      await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> {
        Process p = new ProcessBuilder("nsenter", "--net=/run/netns/" + cluster.clientNs, busybox.toString(), "nc", address, "5000")
            .redirectErrorStream(true).start();
        TcpClient c = new TcpClient(p);
        try {
          await().atMost(Duration.ofSeconds(3)).until(() -> c.lines.get() > 2 || !p.isAlive());
        } catch (org.awaitility.core.ConditionTimeoutException e) {
          // fall through: judged below
        }
        if (p.isAlive() && c.lines.get() > 2) {
          client.set(c);
          return true;
        }
        log.info("tcp client to {}: {} lines in 3 s, {}; trying again", address, c.lines.get(),
            p.isAlive() ? "still connected" : "exited " + p.exitValue());
        p.destroyForcibly();
        return false;
      });
      return client.get();
    }

    boolean alive() {
      return process.isAlive();
    }

    private void read() {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          try {
            long v = Long.parseLong(line.strip());
            if (v < last.get()) {
              resets.incrementAndGet();
            }
            last.set(v);
            lines.incrementAndGet();
          } catch (NumberFormatException e) {
            log.info("tcp client: {}", line);
          }
        }
      } catch (IOException e) {
        log.info("tcp client stopped reading: {}", e.getMessage());
      }
    }

    @Override
    public void close() {
      process.destroyForcibly();
    }
  }
}
