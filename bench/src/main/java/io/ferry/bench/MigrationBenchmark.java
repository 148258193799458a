package io.ferry.bench;

import io.ferry.proto.v1.Container;
import io.ferry.proto.v1.ContainerRef;
import io.ferry.proto.v1.ContainerSpec;
import io.ferry.proto.v1.CreateContainerRequest;
import io.ferry.proto.v1.DeleteContainerRequest;
import io.ferry.proto.v1.InitKind;
import io.ferry.proto.v1.Limits;
import io.ferry.proto.v1.MigrateOutRequest;
import io.ferry.proto.v1.MigrationMode;
import io.ferry.proto.v1.MigrationPhase;
import io.ferry.proto.v1.MigrationProgress;
import io.ferry.proto.v1.MigrationRef;
import io.ferry.proto.v1.MigrationResult;
import io.ferry.proto.v1.PrepareIncomingRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code migration}: Ferry's {@code live} and {@code post-copy} moves between two simulated hosts
 * (two agents in their own network namespaces, {@link TwoHosts}), driven as the coordinator drives
 * them (PrepareIncoming, MigrateOut, Commit), for a Debian container whose process has touched 64
 * MiB, 256 MiB and 1 GiB of memory; beside them, in the same run, CRIU stop-and-copy and CRIU
 * post-copy (lazy pages) by hand on the same workload ({@link RawCriuMove}: {@code
 * raw_criu_downtime_ms_S}, {@code raw_criu_postcopy_downtime_ms_S}) and a plain gRPC stream between
 * the same two hosts ({@link GrpcStreamProbe}).
 *
 * <p>Downtime is the agents' own measure (the result's {@code frozen_millis}: from the freeze on
 * the source to the end of the restore on the target, real time). Every move is checked: the
 * workload's counter must go on past its value before the move, on the new host, without
 * restarting. Ferry's transfer rate is the memory sent during the dump (pages are streamed while
 * CRIU reads them) over the dump's duration, as seen by the progress stream, for the largest size.
 *
 * <p>Options: {@code --sizes 64,256,1024} (MiB), {@code --rounds 3} (moves of each kind per size),
 * {@code --stream-mib 2048} (the plain gRPC stream's size), {@code --warmup-rounds 2} (unmeasured
 * moves first, see {@link #warmUp}).
 */
final class MigrationBenchmark implements Benchmark {

  private static final Path JAR = Path.of("bench/target/ferry-bench.jar").toAbsolutePath();

  @Override
  public String name() {
    return "migration";
  }

  @Override
  public String description() {
    return "live and post-copy downtime between two simulated hosts, beside raw CRIU and a plain gRPC stream";
  }

  /** The workload: touches {@code mib} MiB once, then writes a counter to /tmp/count every 0.1 s. */
  static List<String> workload(long mib) {
    return List.of("perl", "-e", "$x = \"a\"; $x x= (" + mib + " << 20); $i = 0;"
        + " while (1) { open(F, '>', '/tmp/count.new'); print F ++$i; close F; rename('/tmp/count.new', '/tmp/count');"
        + " select(undef, undef, undef, 0.1) }");
  }

  @Override
  public Map<String, String> run(Map<String, String> options) throws Exception {
    List<Long> sizes = new ArrayList<>();
    for (String s : options.getOrDefault("sizes", "64,256,1024").split(",")) {
      sizes.add(Long.parseLong(s.strip()));
    }
    int rounds = Integer.parseInt(options.getOrDefault("rounds", "3"));
    long streamMib = Long.parseLong(options.getOrDefault("stream-mib", "2048"));
    int warmupRounds = Integer.parseInt(options.getOrDefault("warmup-rounds", "2"));
    Path criu = Path.of(System.getenv().getOrDefault("FERRY_CRIU", "/opt/ferry/bin/criu"));
    Map<String, String> out = new LinkedHashMap<>();
    out.put("rounds", Integer.toString(rounds));
    double ferryRate = 0;
    try (TwoHosts hosts = TwoHosts.start(JAR)) {
      hosts.a.importImage("debian-12.tar.zst", "debian/12");
      hosts.b.importImage("debian-12.tar.zst", "debian/12");
      warmUp(hosts, warmupRounds);
      for (long mib : sizes) {
        String label = mib % 1024 == 0 ? (mib / 1024) + "gib" : mib + "mib";
        System.err.println("bench: migration of a container with " + mib + " MiB touched");
        double[] live = new double[rounds];
        double[] liveTotal = new double[rounds];
        double[] post = new double[rounds];
        double[] rates = new double[rounds];
        String name = "mig-" + label;
        create(hosts.a, name, mib);
        for (int r = 0; r < rounds; r++) {
          Move l = move(hosts.a, hosts.b, name, MigrationMode.MIGRATION_MODE_LIVE, label + "-l" + r);
          live[r] = l.result.getFrozenMillis();
          liveTotal[r] = l.result.getTotalMillis() / 1000.0;
          rates[r] = l.dumpRate;
          Move p = move(hosts.b, hosts.a, name, MigrationMode.MIGRATION_MODE_POST_COPY, label + "-p" + r);
          post[r] = p.result.getFrozenMillis();
          System.err.printf("bench: %s round %d: live frozen %d ms (total %d ms, %.0f MiB/s), post-copy frozen %d ms%n",
              label, r, l.result.getFrozenMillis(), l.result.getTotalMillis(), l.dumpRate / (1 << 20),
              p.result.getFrozenMillis());
        }
        hosts.a.agent().deleteContainer(DeleteContainerRequest.newBuilder().setName(name).setForce(true).build());
        RawDowntimes raw = rawMoves(hosts, criu, mib, rounds);
        double liveP50 = new Samples(live).percentile(50);
        double rawP50 = new Samples(raw.stopAndCopy()).percentile(50);
        double postP50 = new Samples(post).percentile(50);
        double rawPostP50 = new Samples(raw.postCopy()).percentile(50);
        out.put("live_downtime_ms_" + label, Samples.format(liveP50));
        out.put("raw_criu_downtime_ms_" + label, Samples.format(rawP50));
        out.put("live_vs_raw_downtime_ratio_" + label, Samples.format(liveP50 / rawP50));
        out.put("postcopy_downtime_ms_" + label, Samples.format(postP50));
        out.put("raw_criu_postcopy_downtime_ms_" + label, Samples.format(rawPostP50));
        out.put("postcopy_vs_raw_downtime_ratio_" + label, Samples.format(postP50 / rawPostP50));
        out.put("live_total_s_" + label, Samples.format(new Samples(liveTotal).percentile(50)));
        ferryRate = new Samples(rates).percentile(50);
      }
      System.err.println("bench: plain gRPC stream of " + streamMib + " MiB between the hosts");
      long grpcRate = GrpcStreamProbe.measure(hosts.a, hosts.b, JAR, streamMib);
      out.put("ferry_page_stream_mib_s", Samples.format(ferryRate / (1 << 20)));
      out.put("grpc_stream_mib_s", Samples.format(grpcRate / (double) (1 << 20)));
      out.put("transfer_vs_grpc_ratio", Samples.format(ferryRate / grpcRate));
    }
    return out;
  }

  /**
   * Unmeasured moves first (a live and a post-copy move of a 256 MiB workload per round), as an
   * agent that has run for a while has them behind it: in fresh agent JVMs the first moves ran
   * 30-40% slower (64 MiB live frozen 1.55-1.66 s in round 0 against 1.13-1.24 s in round 1) while
   * the page stream's code was still being compiled.
   */
  private static void warmUp(TwoHosts hosts, int rounds) throws Exception {
    if (rounds <= 0) {
      return;
    }
    System.err.println("bench: warm-up: " + rounds + " unmeasured round(s) of a 256 MiB workload");
    String name = "mig-warmup";
    create(hosts.a, name, 256);
    for (int r = 0; r < rounds; r++) {
      move(hosts.a, hosts.b, name, MigrationMode.MIGRATION_MODE_LIVE, "warmup-l" + r);
      move(hosts.b, hosts.a, name, MigrationMode.MIGRATION_MODE_POST_COPY, "warmup-p" + r);
    }
    hosts.a.agent().deleteContainer(DeleteContainerRequest.newBuilder().setName(name).setForce(true).build());
  }

  private static void create(TwoHosts.Host host, String name, long mib) throws Exception {
    host.agent().createContainer(CreateContainerRequest.newBuilder()
        .setSpec(ContainerSpec.newBuilder().setName(name).setImage("debian/12").setInit(InitKind.INIT_KIND_GENERIC)
            .addAllCommand(workload(mib))
            .setLimits(Limits.newBuilder().setMemoryBytes((mib + 512) << 20)))
        .setStart(true).build());
    awaitCountAbove(host.state.resolve("state/containers").resolve(name).resolve("rootfs/tmp/count"), 1);
  }

  /** One move as the coordinator drives it; fails unless the counter goes on on the target. */
  private static Move move(TwoHosts.Host from, TwoHosts.Host to, String name, MigrationMode mode, String id) throws Exception {
    Path before = from.state.resolve("state/containers").resolve(name).resolve("rootfs/tmp/count");
    long count = readCount(before);
    Container c = from.agent().getContainer(ContainerRef.newBuilder().setName(name).build());
    String token = Long.toHexString(System.nanoTime()) + Long.toHexString(Double.doubleToLongBits(Math.random()));
    to.migration().prepareIncoming(PrepareIncomingRequest.newBuilder()
        .setMigrationId(id).setSpec(c.getSpec()).setImageDigest(c.getImageDigest()).setNetwork(c.getNetwork())
        .setMode(mode).setSourceAddress(from.address()).setSourceHost(from.name).setToken(token).build());
    Iterator<MigrationProgress> progress = from.migration().migrateOut(MigrateOutRequest.newBuilder()
        .setMigrationId(id).setName(name).setTargetAddress(to.address()).setMode(mode).setToken(token).build());
    MigrationProgress last = null;
    long dumpStartNanos = 0;
    long dumpStartBytes = 0;
    double dumpRate = 0;
    while (progress.hasNext()) {
      last = progress.next();
      long now = System.nanoTime();
      if (last.getPhase() == MigrationPhase.MIGRATION_PHASE_DUMPING && dumpStartNanos == 0) {
        dumpStartNanos = now;
        dumpStartBytes = last.getBytesSent();
      } else if (last.getPhase() == MigrationPhase.MIGRATION_PHASE_TRANSFERRING_MEMORY && dumpStartNanos != 0 && dumpRate == 0) {
        dumpRate = (last.getBytesSent() - dumpStartBytes) / ((now - dumpStartNanos) / 1e9);
      }
    }
    if (last == null || !last.hasResult()) {
      throw new IllegalStateException("migration " + id + " ended without a result: " + last);
    }
    // CRIU's logs of this move, kept for a look (each bundle's work directory is reused).
    TwoHosts.sh("mkdir -p " + TwoHosts.LOGS + " && cp " + to.state.resolve("state/bundles").resolve(name)
        .resolve("criu-work/restore.log") + " " + TwoHosts.LOGS.resolve("restore-" + id + ".log") + " 2>/dev/null; cp "
        + from.state.resolve("state/bundles").resolve(name).resolve("criu-work/dump.log") + " "
        + TwoHosts.LOGS.resolve("dump-" + id + ".log") + " 2>/dev/null; true");
    MigrationRef ref = MigrationRef.newBuilder().setMigrationId(id).build();
    from.migration().commitMigration(ref);
    to.migration().commitMigration(ref);
    awaitCountAbove(to.state.resolve("state/containers").resolve(name).resolve("rootfs/tmp/count"), count);
    return new Move(last.getResult(), dumpRate);
  }

  private record Move(MigrationResult result, double dumpRate) {}

  /** Downtimes of the raw CRIU moves, in ms: stop-and-copy, then post-copy (lazy pages). */
  private record RawDowntimes(double[] stopAndCopy, double[] postCopy) {}

  private static RawDowntimes rawMoves(TwoHosts hosts, Path criu, long mib, int rounds) throws Exception {
    double[] ms = new double[rounds];
    double[] lazy = new double[rounds];
    try (RawCriuMove raw = RawCriuMove.prepare(hosts.root.resolve("raw"), LocalAgent.IMAGE_CACHE.resolve("debian-12.tar.zst"),
        workload(mib), criu)) {
      raw.start();
      Path count = raw.rootfsFile("tmp/count");
      awaitCountAbove(count, 1);
      for (int r = 0; r < rounds; r++) {
        long before = readCount(count);
        ms[r] = raw.move(hosts.b);
        awaitCountAbove(count, before);
        System.err.printf("bench: raw CRIU round %d: downtime %.0f ms%n", r, ms[r]);
      }
      for (int r = 0; r < rounds; r++) {
        long before = readCount(count);
        lazy[r] = r % 2 == 0 ? raw.lazyMove(hosts.a, hosts.b) : raw.lazyMove(hosts.b, hosts.a);
        awaitCountAbove(count, before);
        System.err.printf("bench: raw CRIU post-copy round %d: downtime %.0f ms%n", r, lazy[r]);
      }
    }
    return new RawDowntimes(ms, lazy);
  }

  private static long readCount(Path file) {
    try {
      String text = Files.readString(file).strip();
      return text.isEmpty() ? 0 : Long.parseLong(text);
    } catch (IOException | NumberFormatException e) {
      return 0;
    }
  }

  /** Polls (the workload writes every 0.1 s) until the counter exceeds {@code value}; 60 s at most. */
  private static void awaitCountAbove(Path file, long value) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (readCount(file) <= value) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the workload's counter " + file + " did not pass " + value + " within 60 s");
      }
      TimeUnit.MILLISECONDS.sleep(20);
    }
  }
}
