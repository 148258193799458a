package io.ferry.bench;

import io.ferry.proto.v1.ContainerSpec;
import io.ferry.proto.v1.Event;
import io.ferry.proto.v1.EventKind;
import io.ferry.proto.v1.InitKind;
import io.ferry.proto.v1.LaunchRequest;
import io.ferry.proto.v1.LaunchResponse;
import io.ferry.proto.v1.Limits;
import io.ferry.proto.v1.WatchEventsRequest;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Launches containers through the coordinator's public gRPC API as clients would: {@code
 * ContainerService.Launch}, at most {@code inFlight} calls outstanding, and follows their launch
 * operations to their end through one {@code EventService.WatchEvents} stream (operation events
 * "succeeded" / "failed" / "cancelled", which the coordinator publishes when it has recorded the
 * end in ZooKeeper).
 *
 * <p>A call answered UNAVAILABLE (this coordinator does not lead at the moment) is tried again
 * after {@link #RETRY_PAUSE}, for up to {@link #RETRY_FOR} from its first attempt, as the CLI does;
 * {@link Result#retries()} counts them.
 *
 * <p>Each launch asks for {@link #CPU_MILLIS} millicores, {@link #MEMORY_BYTES} of memory and
 * {@link #DISK_BYTES} of disk of the {@code busybox} image: small enough that 10,000 fit on 10
 * simulated hosts (1,000 each: 10 of 16 cores, 31.25 of 64 GiB, 250 GiB of 1 TiB).
 */
final class LaunchDriver {

  static final long CPU_MILLIS = 10;
  static final long MEMORY_BYTES = 32L << 20;
  static final long DISK_BYTES = 256L << 20;
  /** How long a launch answered UNAVAILABLE is tried again: the CLI's default --retry-for. */
  static final Duration RETRY_FOR = Duration.ofSeconds(15);
  static final Duration RETRY_PAUSE = Duration.ofMillis(100);

  /**
   * What one run of launches measured.
   *
   * @param acked Launch calls answered OK
   * @param failedCalls Launch calls answered with an error
   * @param placeSeconds from the first call until the last answer
   * @param succeeded launch operations that reached SUCCEEDED
   * @param failedOperations launch operations that ended otherwise
   * @param endToEndSeconds from the first call until the last operation ended
   * @param callLatency each acknowledged Launch call's latency
   * @param firstError the first error seen, empty when none
   * @param sample the first acknowledged launch: its container, host and operation
   * @param retries Launch calls answered UNAVAILABLE and tried again
   */
  record Result(int acked, int failedCalls, double placeSeconds, int succeeded, int failedOperations, double endToEndSeconds, Samples callLatency, String firstError, Launched sample, int retries) {
    double placementsPerSecond() {
      return acked / placeSeconds;
    }

    double launchesPerSecond() {
      return succeeded / endToEndSeconds;
    }
  }

  /** One acknowledged launch. */
  record Launched(String container, String host, String operationId) {}

  private LaunchDriver() {}

  static LaunchRequest request(String name) {
    return LaunchRequest.newBuilder()
        .setSpec(
            ContainerSpec.newBuilder()
                .setName(name)
                .setImage(SimulatedAgent.IMAGE_ALIAS)
                .setInit(InitKind.INIT_KIND_GENERIC)
                .addAllCommand(List.of("/bin/sh", "-c", "while true; do sleep 1; done"))
                .setLimits(Limits.newBuilder().setMemoryBytes(MEMORY_BYTES).setPidsMax(100)))
        .setCpuMillis(CPU_MILLIS)
        .setDiskBytes(DISK_BYTES)
        .build();
  }

  static String name(String prefix, int i) {
    return String.format(Locale.ROOT, "%s-%05d", prefix, i);
  }

  /**
   * Launches {@code count} containers named {@code PREFIX-00000}... and waits until every launch
   * operation has ended (at most {@code timeout}).
   */
  static Result run(BenchCluster cluster, String prefix, int count, int inFlight, Duration timeout) throws InterruptedException {
    ConcurrentHashMap<String, Boolean> ours = new ConcurrentHashMap<>();
    AtomicInteger succeeded = new AtomicInteger();
    AtomicInteger failedOps = new AtomicInteger();
    AtomicLong lastEnd = new AtomicLong();
    AtomicReference<String> firstError = new AtomicReference<>("");
    CountDownLatch watching = new CountDownLatch(1);
    CountDownLatch ended = new CountDownLatch(count);
    Context.CancellableContext watch = Context.current().withCancellation();
    watch.run(() -> cluster.events().watchEvents(
        WatchEventsRequest.newBuilder().addKinds(EventKind.EVENT_KIND_OPERATION).build(),
        new StreamObserver<>() {
          @Override
          public void onNext(Event e) {
            if (e.getKind() == EventKind.EVENT_KIND_UNSPECIFIED) {
              watching.countDown();
              return;
            }
            // detail is "launch NAME[: error]"
            String detail = e.getDetail();
            if (!detail.startsWith("launch " + prefix + "-")) {
              return;
            }
            boolean success = e.getAction().equals("succeeded");
            if (!success && !e.getAction().equals("failed") && !e.getAction().equals("cancelled")) {
              return;
            }
            String name = detail.substring("launch ".length()).split(":", 2)[0];
            if (ours.putIfAbsent(name, success) != null) {
              return;
            }
            if (success) {
              succeeded.incrementAndGet();
            } else {
              failedOps.incrementAndGet();
              firstError.compareAndSet("", "operation " + detail);
            }
            lastEnd.set(System.nanoTime());
            ended.countDown();
          }

          @Override
          public void onError(Throwable t) {
            if (!watch.isCancelled()) {
              firstError.compareAndSet("", "event stream: " + t);
              Progress.log("event stream failed: %s", t);
            }
          }

          @Override
          public void onCompleted() {}
        }));
    if (!watching.await(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("the event stream did not start");
    }

    Semaphore slots = new Semaphore(inFlight);
    double[] latencyMs = new double[count];
    AtomicInteger acked = new AtomicInteger();
    AtomicInteger failedCalls = new AtomicInteger();
    AtomicLong lastAck = new AtomicLong();
    AtomicReference<Launched> sample = new AtomicReference<>();
    CountDownLatch answered = new CountDownLatch(count);
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    ScheduledExecutorService retryTimer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "launch-retry");
      t.setDaemon(true);
      return t;
    });
    AtomicInteger retries = new AtomicInteger();
    for (int i = 0; i < count; i++) {
      if (!slots.tryAcquire(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
        throw new IllegalStateException("launch calls did not finish within " + timeout);
      }
      int index = i;
      String name = name(prefix, i);
      long t0 = System.nanoTime();
      final class Call {
        void send() {
          cluster.containersAsync().withDeadlineAfter(60, TimeUnit.SECONDS).launch(request(name), new StreamObserver<>() {
            @Override
            public void onNext(LaunchResponse r) {
              long t1 = System.nanoTime();
              latencyMs[index] = (t1 - t0) / 1e6;
              acked.incrementAndGet();
              lastAck.accumulateAndGet(t1, Math::max);
              sample.compareAndSet(null, new Launched(name, r.getChosenHost(), r.getOperation().getId()));
            }

            @Override
            public void onError(Throwable t) {
              // Like the CLI: UNAVAILABLE (no leader for a moment, e.g. during an election) is
              // tried again for up to RETRY_FOR; the call's latency includes the wait.
              if (Status.fromThrowable(t).getCode() == Status.Code.UNAVAILABLE && System.nanoTime() - t0 < RETRY_FOR.toNanos()) {
                if (retries.getAndIncrement() == 0) {
                  Progress.log("  launch %s answered %s; trying again (as the CLI does, for up to %d s)", name, Status.fromThrowable(t), RETRY_FOR.toSeconds());
                }
                retryTimer.schedule(Call.this::send, RETRY_PAUSE.toMillis(), TimeUnit.MILLISECONDS);
                return;
              }
              latencyMs[index] = Double.NaN;
              failedCalls.incrementAndGet();
              lastAck.accumulateAndGet(System.nanoTime(), Math::max);
              firstError.compareAndSet("", "launch " + name + ": " + t);
              if (ours.putIfAbsent(name, false) == null) {
                ended.countDown(); // no operation will end for it
              }
              slots.release();
              answered.countDown();
            }

            @Override
            public void onCompleted() {
              slots.release();
              answered.countDown();
            }
          });
        }
      }
      new Call().send();
      if ((i + 1) % 2000 == 0) {
        Progress.log("  %d launch calls sent, %d acknowledged, %d operations succeeded", i + 1, acked.get(), succeeded.get());
      }
    }
    if (!answered.await(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
      throw new IllegalStateException("launch calls unanswered after " + timeout);
    }
    double placeSeconds = (lastAck.get() - start) / 1e9;
    Progress.log("  %d launch calls acknowledged (%d failed) in %.2f s; %d operations ended so far", acked.get(), failedCalls.get(), placeSeconds, count - ended.getCount());
    while (!ended.await(5, TimeUnit.SECONDS)) {
      if (System.nanoTime() > deadline) {
        watch.cancel(null);
        throw new IllegalStateException("launch operations not ended after " + timeout + ": " + (count - ended.getCount()) + " of " + count);
      }
      Progress.log("  %d of %d launch operations ended", count - ended.getCount(), count);
    }
    watch.cancel(null);
    retryTimer.shutdownNow();
    double endSeconds = (lastEnd.get() - start) / 1e9;
    double[] ok = java.util.Arrays.stream(latencyMs).filter(d -> !Double.isNaN(d)).toArray();
    return new Result(acked.get(), failedCalls.get(), placeSeconds, succeeded.get(), failedOps.get(), endSeconds, new Samples(ok.length == 0 ? new double[] {Double.NaN} : ok), firstError.get(), sample.get(), retries.get());
  }
}
