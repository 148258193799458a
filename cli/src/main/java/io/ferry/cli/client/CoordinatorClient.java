package io.ferry.cli.client;

import io.ferry.cli.Channels;
import io.ferry.proto.v1.CertificateServiceGrpc;
import io.ferry.proto.v1.ContainerServiceGrpc;
import io.ferry.proto.v1.HostServiceGrpc;
import io.ferry.proto.v1.ImageServiceGrpc;
import io.ferry.proto.v1.OperationServiceGrpc;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The CLI's connection to the cluster: one or more coordinator addresses, tried in order.
 *
 * <p>Failover: a call that fails with {@code UNAVAILABLE} (coordinator down, shutting down, not
 * the leader, no leader yet) is tried on the next address; nothing else is retried, since any
 * other code is the cluster's answer. A message of the form {@code not the leader; leader is
 * HOST:PORT} puts that address first in line, even when it was not given. When every address has
 * failed, the round starts again after a backoff (0.25 s, doubling, at most 2 s) until the retry
 * budget is spent, which rides out a leader election; then the call fails with
 * {@code UNAVAILABLE} naming what each address said. The address that last answered is tried
 * first by the next call of the same client.
 *
 * <p>Every call gets a deadline: unary calls {@code callTimeout} per attempt; streams take their
 * own (see the callers). Channels are opened on first use and shut down by {@link #close()}. Not
 * thread-safe: one command uses one client from its own thread.
 */
public final class CoordinatorClient implements AutoCloseable {

  /** How a coordinator that is not the leader names it, e.g. {@code not the leader; leader is 10.0.0.2:7700}. */
  private static final Pattern LEADER = Pattern.compile("leader is ([^\\s;,]+:\\d+)");

  private static final Duration FIRST_BACKOFF = Duration.ofMillis(250);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(2);

  /** One try of a call on one coordinator. */
  @FunctionalInterface
  public interface Attempt<T> {
    T run(Channel channel, String address) throws Exception;
  }

  /** Waits between rounds; injected so tests need not sleep. */
  @FunctionalInterface
  public interface Sleeper {
    void sleep(Duration duration) throws InterruptedException;
  }

  private final List<String> addresses;
  private final Channels channels;
  private final Duration callTimeout;
  private final Duration retryFor;
  private final Clock clock;
  private final Sleeper sleeper;
  private final Map<String, ManagedChannel> open = new LinkedHashMap<>();
  private String preferred;

  public CoordinatorClient(List<String> addresses, Channels channels, Duration callTimeout, Duration retryFor) {
    this(addresses, channels, callTimeout, retryFor, Clock.systemUTC(), d -> Thread.sleep(d.toMillis()));
  }

  public CoordinatorClient(
      List<String> addresses, Channels channels, Duration callTimeout, Duration retryFor, Clock clock, Sleeper sleeper) {
    if (addresses.isEmpty()) {
      throw new IllegalArgumentException("at least one coordinator address is required");
    }
    this.addresses = List.copyOf(addresses);
    this.channels = channels;
    this.callTimeout = callTimeout;
    this.retryFor = retryFor;
    this.clock = clock;
    this.sleeper = sleeper;
  }

  /** The deadline of each unary call. */
  public Duration callTimeout() {
    return callTimeout;
  }

  /** The address that answered last, if any did. */
  public Optional<String> lastAnswered() {
    return Optional.ofNullable(preferred);
  }

  public <T> T containers(Function<ContainerServiceGrpc.ContainerServiceBlockingStub, T> call) throws InterruptedException {
    return unary(channel -> ContainerServiceGrpc.newBlockingStub(channel), call);
  }

  public <T> T images(Function<ImageServiceGrpc.ImageServiceBlockingStub, T> call) throws InterruptedException {
    return unary(channel -> ImageServiceGrpc.newBlockingStub(channel), call);
  }

  public <T> T hosts(Function<HostServiceGrpc.HostServiceBlockingStub, T> call) throws InterruptedException {
    return unary(channel -> HostServiceGrpc.newBlockingStub(channel), call);
  }

  public <T> T certificates(Function<CertificateServiceGrpc.CertificateServiceBlockingStub, T> call) throws InterruptedException {
    return unary(channel -> CertificateServiceGrpc.newBlockingStub(channel), call);
  }

  public <T> T operations(Function<OperationServiceGrpc.OperationServiceBlockingStub, T> call) throws InterruptedException {
    return unary(channel -> OperationServiceGrpc.newBlockingStub(channel), call);
  }

  private <S extends io.grpc.stub.AbstractStub<S>, T> T unary(Function<Channel, S> stub, Function<S, T> call)
      throws InterruptedException {
    try {
      return call((channel, address) -> call.apply(stub.apply(channel).withDeadlineAfter(callTimeout.toMillis(), TimeUnit.MILLISECONDS)));
    } catch (RuntimeException | InterruptedException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("a unary call threw a checked exception", e);
    }
  }

  /**
   * Runs {@code attempt} on the coordinators in turn until one does not fail with UNAVAILABLE.
   * The attempt sets its own deadline. Exceptions other than UNAVAILABLE pass through at once.
   *
   * @throws StatusRuntimeException UNAVAILABLE naming each address's failure when none answered
   *     within the retry budget
   */
  public <T> T call(Attempt<T> attempt) throws Exception {
    Instant giveUpAt = clock.instant().plus(retryFor);
    Duration backoff = FIRST_BACKOFF;
    while (true) {
      List<String> failures = new ArrayList<>();
      StatusRuntimeException last = null;
      Set<String> tried = new LinkedHashSet<>();
      Deque<String> queue = new ArrayDeque<>(order());
      while (!queue.isEmpty()) {
        String address = queue.poll();
        if (!tried.add(address)) {
          continue;
        }
        try {
          T result = attempt.run(channel(address), address);
          preferred = address;
          return result;
        } catch (StatusRuntimeException e) {
          if (e.getStatus().getCode() != Status.Code.UNAVAILABLE) {
            preferred = address;
            throw e;
          }
          last = e;
          failures.add(address + " (" + describe(e) + ")");
          leaderNamedIn(e.getStatus().getDescription()).filter(l -> !tried.contains(l)).ifPresent(queue::addFirst);
        }
      }
      Instant now = clock.instant();
      if (!now.plus(backoff).isBefore(giveUpAt)) {
        throw Status.UNAVAILABLE
            .withDescription("no coordinator answered: " + String.join("; ", failures))
            .withCause(last)
            .asRuntimeException();
      }
      sleeper.sleep(backoff);
      backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
    }
  }

  /** The leader's address in a not-the-leader message: {@code ... leader is HOST:PORT ...}. */
  public static Optional<String> leaderNamedIn(String message) {
    if (message == null) {
      return Optional.empty();
    }
    Matcher m = LEADER.matcher(message);
    return m.find() ? Optional.of(m.group(1)) : Optional.empty();
  }

  private List<String> order() {
    List<String> order = new ArrayList<>();
    if (preferred != null) {
      order.add(preferred);
    }
    for (String a : addresses) {
      if (!a.equals(preferred)) {
        order.add(a);
      }
    }
    return order;
  }

  private static String describe(StatusRuntimeException e) {
    String description = e.getStatus().getDescription();
    Throwable cause = e.getCause();
    String text = description == null ? "unavailable" : description;
    if (cause != null && cause.getMessage() != null && !text.contains(cause.getMessage())) {
      text += ": " + cause.getMessage();
    }
    return text;
  }

  private ManagedChannel channel(String address) {
    return open.computeIfAbsent(address, channels::open);
  }

  @Override
  public void close() {
    open.values().forEach(ManagedChannel::shutdownNow);
    open.clear();
  }
}
