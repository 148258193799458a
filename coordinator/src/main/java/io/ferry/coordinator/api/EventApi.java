package io.ferry.coordinator.api;

import io.ferry.coordinator.cluster.HostMember;
import io.ferry.coordinator.cluster.Membership;
import io.ferry.coordinator.store.ClusterStore;
import io.ferry.coordinator.store.ContainerRecord;
import io.ferry.coordinator.store.OperationRecord;
import io.ferry.coordinator.store.StoreListener;
import io.ferry.proto.v1.ContainerState;
import io.ferry.proto.v1.Event;
import io.ferry.proto.v1.EventKind;
import io.ferry.proto.v1.EventServiceGrpc;
import io.ferry.proto.v1.WatchEventsRequest;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * {@code ferry.v1.EventService}: lifecycle events derived from the changes this coordinator's
 * mirror applies (containers placed, changing state, deleted; operations starting and ending) and
 * from membership (hosts online and offline). Any coordinator serves it.
 *
 * <p>A subscriber that does not keep up (more than {@link #MAX_BUFFERED} events waiting in gRPC's
 * buffer) is dropped with RESOURCE_EXHAUSTED rather than slowing the coordinator down.
 */
final class EventApi extends EventServiceGrpc.EventServiceImplBase implements StoreListener {

  private static final int MAX_BUFFERED = 10_000;

  private final Clock clock;
  private final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();
  private final Map<String, Boolean> hostLive = new ConcurrentHashMap<>();

  private static final class Subscriber {
    final ServerCallStreamObserver<Event> call;
    final Set<EventKind> kinds;
    int unsent;
    boolean closed;

    Subscriber(ServerCallStreamObserver<Event> call, Set<EventKind> kinds) {
      this.call = call;
      this.kinds = kinds;
    }
  }

  EventApi(ClusterStore store, Membership membership, Clock clock) {
    this.clock = clock;
    store.addListener(this);
    membership.hosts().forEach(m -> hostLive.put(m.name(), m.live()));
    membership.addListener(this::membershipChanged);
  }

  @Override
  public void watchEvents(WatchEventsRequest request, StreamObserver<Event> response) {
    ServerCallStreamObserver<Event> call = (ServerCallStreamObserver<Event>) response;
    Subscriber subscriber = new Subscriber(call, Set.copyOf(request.getKindsList()));
    call.setOnCancelHandler(() -> subscribers.remove(subscriber));
    call.setOnReadyHandler(() -> {
      synchronized (subscriber) {
        subscriber.unsent = 0;
      }
    });
    subscribers.add(subscriber);
    synchronized (subscriber) {
      call.onNext(Event.newBuilder().setKind(EventKind.EVENT_KIND_UNSPECIFIED).setAt(ApiMapper.timestamp(clock.millis())).setAction("watching").build());
    }
  }

  @Override
  public void containerChanged(String name, ContainerRecord before, ContainerRecord after) {
    if (before == null && after != null) {
      publish(EventKind.EVENT_KIND_CONTAINER, name, "placed", after.host(), "on host " + after.host());
    } else if (after == null && before != null) {
      publish(EventKind.EVENT_KIND_CONTAINER, name, "deleted", before.host(), "");
    } else if (before != null) {
      if (!before.host().equals(after.host())) {
        publish(EventKind.EVENT_KIND_CONTAINER, name, "moved", after.host(), "from host " + before.host());
      }
      int failoversBefore = before.haState().map(ContainerRecord.HaState::failovers).orElse(0);
      int failoversAfter = after.haState().map(ContainerRecord.HaState::failovers).orElse(0);
      if (failoversAfter > failoversBefore) {
        publish(EventKind.EVENT_KIND_CONTAINER, name, "failed-over", after.host(),
            "restarted on " + after.host() + " from its replica after its host died (failover " + failoversAfter + ")");
      }
      ContainerState was = ApiMapper.observedState(before);
      ContainerState is = ApiMapper.observedState(after);
      if (was != is) {
        publish(EventKind.EVENT_KIND_CONTAINER, name, word(is), after.host(), "was " + word(was));
      }
    }
  }

  @Override
  public void operationChanged(String id, OperationRecord before, OperationRecord after) {
    if (after == null) {
      return;
    }
    if (before == null) {
      publish(EventKind.EVENT_KIND_OPERATION, id, "started", "", after.kind().label() + " " + after.target());
    } else if (before.state() != after.state()) {
      publish(EventKind.EVENT_KIND_OPERATION, id, after.state().name().toLowerCase(Locale.ROOT), "", after.kind().label() + " " + after.target() + (after.error().isEmpty() ? "" : ": " + after.error()));
    }
  }

  private void membershipChanged(List<HostMember> members) {
    for (HostMember member : members) {
      Boolean was = hostLive.put(member.name(), member.live());
      if (was == null || was != member.live()) {
        publish(EventKind.EVENT_KIND_HOST, member.name(), member.live() ? "online" : "offline", member.name(), member.registration().address());
      }
    }
    Set<String> present = new java.util.HashSet<>();
    members.forEach(m -> present.add(m.name()));
    for (String gone : Set.copyOf(hostLive.keySet())) {
      if (!present.contains(gone)) {
        hostLive.remove(gone);
        publish(EventKind.EVENT_KIND_HOST, gone, "removed", gone, "");
      }
    }
  }

  private void publish(EventKind kind, String subject, String action, String host, String detail) {
    if (subscribers.isEmpty()) {
      return;
    }
    Event event =
        Event.newBuilder().setKind(kind).setAt(ApiMapper.timestamp(clock.millis())).setSubject(subject).setAction(action).setHost(host).setDetail(detail).build();
    for (Subscriber s : subscribers) {
      if (!s.kinds.isEmpty() && !s.kinds.contains(kind)) {
        continue;
      }
      synchronized (s) {
        if (s.closed) {
          continue;
        }
        if (!s.call.isReady() && ++s.unsent > MAX_BUFFERED) {
          s.closed = true;
          subscribers.remove(s);
          s.call.onError(Status.RESOURCE_EXHAUSTED.withDescription("event subscriber too slow; reconnect").asRuntimeException());
          continue;
        }
        s.call.onNext(event);
      }
    }
  }

  private static String word(ContainerState state) {
    return state == ContainerState.CONTAINER_STATE_UNSPECIFIED ? "unknown" : state.name().substring("CONTAINER_STATE_".length()).toLowerCase(Locale.ROOT);
  }

}
