package io.ferry.it.multihost;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.ferry.it.cluster.ClusterClient;
import io.ferry.it.cluster.ContainerShell;
import io.ferry.proto.v1.AgentServiceGrpc;
import io.ferry.proto.v1.ClusterContainer;
import io.ferry.proto.v1.Container;
import io.ferry.proto.v1.ContainerMove;
import io.ferry.proto.v1.ContainerState;
import io.ferry.proto.v1.DeleteContainerRequest;
import io.ferry.proto.v1.EvacuateHostRequest;
import io.ferry.proto.v1.Event;
import io.ferry.proto.v1.EventKind;
import io.ferry.proto.v1.EventServiceGrpc;
import io.ferry.proto.v1.GetContainerRequest;
import io.ferry.proto.v1.GetHostRequest;
import io.ferry.proto.v1.GetOperationRequest;
import io.ferry.proto.v1.Host;
import io.ferry.proto.v1.HostServiceGrpc;
import io.ferry.proto.v1.HostState;
import io.ferry.proto.v1.LaunchRequest;
import io.ferry.proto.v1.ListClusterContainersRequest;
import io.ferry.proto.v1.ListContainersRequest;
import io.ferry.proto.v1.ListHostsRequest;
import io.ferry.proto.v1.MigrationMode;
import io.ferry.proto.v1.MigrationResult;
import io.ferry.proto.v1.Operation;
import io.ferry.proto.v1.OperationState;
import io.ferry.proto.v1.RestoreHostRequest;
import io.ferry.proto.v1.StopContainerRequest;
import io.ferry.proto.v1.WatchEventsRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ferry on several machines, each a Docker container ({@link MultiHostCluster}): a ZooKeeper
 * ensemble of three, two coordinators and three hosts with real runc and CRIU, mutual TLS
 * throughout. One cluster serves the whole class (starting it is most of the cost), so the tests
 * run in order: the first four leave it with three hosts online and every ZooKeeper server up;
 * the fifth kills the leading coordinator, the last a host.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(DumpClusterOnFailure.class)
class MultiHostClusterIT implements DumpClusterOnFailure.HasCluster {

  private static final Logger log = LoggerFactory.getLogger(MultiHostClusterIT.class);
  private static final List<String> HOSTS = List.of("host-1", "host-2", "host-3");
  /** Longer than a host's session (4 s here) plus the failover margin: what a blip must not trigger. */
  private static final Duration SESSION_AND_MARGIN = Duration.ofSeconds(6);
  /** Containers the evacuation moves: issue 7 asks for 10. */
  private static final int EVACUATED = 10;

  private MultiHostCluster cluster;
  private ClusterClient client;

  @Override
  public MultiHostCluster cluster() {
    return cluster;
  }

  @BeforeAll
  void startCluster() throws Exception {
    long start = System.nanoTime();
    cluster = MultiHostCluster.start("mh", MultiHostCluster.testDirectory("mh"), 2, HOSTS.size());
    client = cluster.client();
    log.info("multi-host cluster ready in {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
  }

  @AfterAll
  void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  @Order(1)
  void theClusterFormsAndAContainerRunsAndStopsOnAHost() {
    List<Host> hosts = HostServiceGrpc.newBlockingStub(cluster.coordinatorChannel("c2")).withDeadlineAfter(10, TimeUnit.SECONDS)
        .listHosts(ListHostsRequest.getDefaultInstance()).getHostsList();
    assertThat(hosts).extracting(Host::getName).containsExactlyInAnyOrderElementsOf(HOSTS);
    assertThat(hosts).allSatisfy(h -> assertThat(h.getState()).as(h.getName()).isEqualTo(HostState.HOST_STATE_ONLINE));

    launch("first", "host-2");
    assertThat(cluster.hostsRunning("first")).containsExactly("host-2");

    stop("first");
    assertThat(stateOn("host-2", "first")).isEqualTo(ContainerState.CONTAINER_STATE_STOPPED);
    assertThat(cluster.hostsRunning("first")).isEmpty();
    delete("first");
  }

  @Test
  @Order(2)
  void theClusterKeepsWorkingWithOneOfThreeZooKeeperServersDead() {
    int leader = IntStream.rangeClosed(1, ZooKeeperEnsemble.SIZE).filter(i -> cluster.zookeeperMode(i).filter("leader"::equals).isPresent())
        .findFirst().orElseThrow(() -> new AssertionError("no ZooKeeper server leads"));

    // The leader, so that the two others must elect a new one and every session on it moves.
    cluster.killZooKeeper(leader);
    await("a new ZooKeeper leader").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250)).until(() ->
        IntStream.rangeClosed(1, ZooKeeperEnsemble.SIZE).filter(i -> i != leader).anyMatch(i -> cluster.zookeeperMode(i).filter("leader"::equals).isPresent()));

    // Every ZooKeeper client was connected to some server and the quorum re-formed: sessions
    // survive, but the coordinators' leadership is suspended meanwhile and writes answer
    // UNAVAILABLE ("no leader elected yet"), which a client retries. The bound: 30 s.
    long killed = System.nanoTime();
    launchOnceALeaderServes("zk-down-1", "host-1", Duration.ofSeconds(30));
    log.info("with ZooKeeper server {} killed, a launch was accepted again after {} ms", leader, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed));
    launch("zk-down-3", "host-3");
    assertThat(cluster.hostsRunning("zk-down-1")).containsExactly("host-1");
    assertThat(cluster.hostsRunning("zk-down-3")).containsExactly("host-3");
    stop("zk-down-1");
    assertThat(stateOn("host-1", "zk-down-1")).isEqualTo(ContainerState.CONTAINER_STATE_STOPPED);
    cluster.awaitHostsOnline(HOSTS.size(), Duration.ofSeconds(20));

    cluster.startZooKeeper(leader);
    assertThat(cluster.zookeeperMode(leader)).hasValue("follower");
    stop("zk-down-3");
    delete("zk-down-1");
    delete("zk-down-3");
    cluster.awaitHostsOnline(HOSTS.size(), Duration.ofSeconds(20));
  }

  @Test
  @Order(3)
  void anEvacuatedHostsContainersAllRunElsewhereAndComeBackOnRestore() {
    List<String> names = IntStream.rangeClosed(1, EVACUATED).mapToObj(i -> "ev-" + i).toList();
    for (String name : names) {
      launch(name, "host-1");
    }
    // Every coordinator's view, the leader's included, shows them running: a move asks for that.
    for (String id : List.of("c1", "c2")) {
      ClusterClient through = new ClusterClient(cluster.coordinatorChannel(id));
      await("all running as " + id + " sees them").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250)).until(() ->
          names.stream().allMatch(n -> through.containers().get(GetContainerRequest.newBuilder().setName(n).build()).getContainer().getState()
              == ContainerState.CONTAINER_STATE_RUNNING));
    }

    long start = System.nanoTime();
    Operation evacuated = client.follow(hostService().evacuate(EvacuateHostRequest.newBuilder().setName("host-1")
        .setMode(MigrationMode.MIGRATION_MODE_AUTO).build()));
    log.info("evacuation of {} containers took {} ms", EVACUATED, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    logModes("evacuation", evacuated);

    assertThat(evacuated.getState()).as(evacuated.getError()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
    assertThat(evacuated.getEvacuation().getMovesList()).extracting(ContainerMove::getContainer).containsExactlyInAnyOrderElementsOf(names);
    Map<String, List<Container>> byHost = cluster.containersByHost();
    assertThat(byHost.get("host-1")).as("what host-1 still holds").isEmpty();
    for (ContainerMove m : evacuated.getEvacuation().getMovesList()) {
      assertThat(m.getState()).as(m.toString()).isEqualTo(ContainerMove.State.STATE_MOVED);
      assertThat(m.getToHost()).isIn("host-2", "host-3");
      assertThat(runningOn(byHost, m.getContainer())).as("hosts running %s", m.getContainer()).containsExactly(m.getToHost());
    }
    assertThat(clusterView(names)).allSatisfy(c -> {
      assertThat(c.getHost()).as(c.getContainer().getSpec().getName()).isNotEqualTo("host-1");
      assertThat(c.getContainer().getState()).as(c.getContainer().getSpec().getName()).isEqualTo(ContainerState.CONTAINER_STATE_RUNNING);
    });
    await("host-1 evacuated").atMost(Duration.ofSeconds(20)).until(() -> hostState("host-1") == HostState.HOST_STATE_EVACUATED);

    start = System.nanoTime();
    Operation restored = client.follow(hostService().restore(RestoreHostRequest.newBuilder().setName("host-1").build()));
    log.info("restore of {} containers took {} ms", EVACUATED, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    logModes("restore", restored);

    assertThat(restored.getState()).as(restored.getError()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
    byHost = cluster.containersByHost();
    for (String name : names) {
      assertThat(runningOn(byHost, name)).as("hosts running %s", name).containsExactly("host-1");
    }
    assertThat(clusterView(names)).allSatisfy(c -> assertThat(c.getHost()).as(c.getContainer().getSpec().getName()).isEqualTo("host-1"));
    await("host-1 online").atMost(Duration.ofSeconds(20)).until(() -> hostState("host-1") == HostState.HOST_STATE_ONLINE);
  }

  /**
   * The harness's own faults, each checked to take effect and to heal: an agent crash, a frozen
   * host, a host cut from the network, a host cut from ZooKeeper only. (host-1 runs the
   * evacuation's ten containers meanwhile; the next tests kill a coordinator and a host.)
   */
  @Test
  @Order(4)
  void injectedHostFaultsTakeEffectAndHeal() throws Exception {
    // An agent crash: its container keeps running, and the restarted agent (a new process, the
    // same certificate) reports it and is online again.
    launch("survivor", "host-2");
    long pid = cluster.agentPid("host-2");
    cluster.restartAgent("host-2");
    assertThat(cluster.agentPid("host-2")).isNotEqualTo(pid);
    cluster.awaitHostsOnline(HOSTS.size(), Duration.ofSeconds(60));
    assertThat(stateOn("host-2", "survivor")).isEqualTo(ContainerState.CONTAINER_STATE_RUNNING);

    // A frozen host answers nothing; thawed, it answers at once.
    cluster.pauseHost("host-3");
    assertThatThrownBy(() -> listOn("host-3", Duration.ofSeconds(2))).isInstanceOfSatisfying(StatusRuntimeException.class, e ->
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
    cluster.unpauseHost("host-3");
    assertThat(listOn("host-3", Duration.ofSeconds(10))).isNotNull();

    // Cut from the network: its ZooKeeper session expires and the cluster sees it go; healed, it
    // comes back.
    cluster.disconnectHost("host-3");
    awaitHostNotOnline("host-3");
    cluster.reconnectHost("host-3");
    cluster.awaitHostsOnline(HOSTS.size(), Duration.ofSeconds(60));

    // Cut from ZooKeeper only: the cluster sees it go, while its API still answers.
    cluster.isolateFromZooKeeper("host-2");
    awaitHostNotOnline("host-2");
    assertThat(listOn("host-2", Duration.ofSeconds(10))).extracting(c -> c.getSpec().getName()).contains("survivor");
    cluster.healFromZooKeeper("host-2");
    cluster.awaitHostsOnline(HOSTS.size(), Duration.ofSeconds(60));
  }

  /**
   * Issue 7's "partition a host from ZooKeeper but not from clients: it fences (its HA containers
   * stop) before they start elsewhere". Sampled every 200 ms: the container never runs on both
   * hosts; once the host is healed its stale copy is deleted.
   */
  @Test
  @Order(5)
  void aHostCutOffFromZooKeeperFencesItsHaContainersBeforeTheyStartElsewhere() {
    // The previous test cut host-2 from ZooKeeper. Its fence watches a session of its own, which
    // may notice that cut (2/3 of a session without news) and strike (a fence delay later) after
    // the cluster saw host-2 come back: an HA container launched meanwhile would be fenced for the
    // old cut (seen once in CI). Every host stays online through a session and the margin first.
    await("every host online through a session and the failover margin").during(SESSION_AND_MARGIN)
        .atMost(SESSION_AND_MARGIN.plusSeconds(60)).pollInterval(Duration.ofMillis(500))
        .until(() -> HOSTS.stream().allMatch(h -> hostState(h) == HostState.HOST_STATE_ONLINE));
    LaunchRequest plain = ClusterClient.busybox("ha-fence", 32, 50);
    LaunchRequest request = plain.toBuilder().setSpec(plain.getSpec().toBuilder().setHa(true)).setTargetHost("host-2").build();
    Operation launched = client.follow(client.containers().launch(request).getOperation());
    assertThat(launched.getState()).as(launched.getError()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
    await("a first replica").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> replicaAtMillis("ha-fence") > 0);
    String standby = container("ha-fence").getHa().getStandbyHost();

    // Issue 7's "pause a host for less than the delay: nothing moves": frozen for 0.8 s, under the
    // 4 s session, it stays online and keeps its HA container; no failover follows. The pause must
    // also stay under what its ZooKeeper clients notice: 2/3 of the session (2.7 s) without news,
    // counted from their last ping, which may be up to 1/3 of the session (1.3 s) before the pause.
    // With 1.5 s (before), a pause that began late in a ping interval made the fence's own client
    // report a disconnection, and the fence stopped the container (seen twice in CI).
    cluster.pauseHost("host-2");
    await("host-2 paused, still online").during(Duration.ofMillis(800)).atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(200))
        .until(() -> hostState("host-2") == HostState.HOST_STATE_ONLINE);
    cluster.unpauseHost("host-2");
    await("nothing moved after the pause").during(SESSION_AND_MARGIN).atMost(SESSION_AND_MARGIN.plusSeconds(5)).pollInterval(Duration.ofMillis(500))
        .until(() -> container("ha-fence").getHost().equals("host-2") && container("ha-fence").getHa().getFailovers() == 0
            && cluster.hostsRunning("ha-fence").equals(List.of("host-2")));

    cluster.isolateFromZooKeeper("host-2");
    List<List<String>> samples = new ArrayList<>();
    boolean[] stoppedOnHost2 = new boolean[1];
    await("ha-fence running on its standby " + standby).atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).until(() -> {
      List<String> running = cluster.hostsRunning("ha-fence");
      samples.add(running);
      stoppedOnHost2[0] |= !running.contains("host-2");
      return running.equals(List.of(standby));
    });
    assertThat(samples).as("hosts running ha-fence, sampled every 200 ms").allSatisfy(running -> assertThat(running).hasSizeLessThanOrEqualTo(1));
    assertThat(stoppedOnHost2[0]).as("host-2, still reachable, stopped it itself").isTrue();
    assertThat(stateOn("host-2", "ha-fence")).as("the fenced copy on host-2").isNotEqualTo(ContainerState.CONTAINER_STATE_RUNNING);

    cluster.healFromZooKeeper("host-2");
    cluster.awaitHostsOnline(HOSTS.size(), Duration.ofSeconds(60));
    await("the stale copy on host-2 deleted").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() ->
        listOn("host-2", Duration.ofSeconds(10)).stream().noneMatch(c -> c.getSpec().getName().equals("ha-fence")));
    assertThat(cluster.hostsRunning("ha-fence")).containsExactly(standby);
    delete("ha-fence");
  }

  /**
   * Issue 7's "kill the leading coordinator during an evacuation: the evacuation completes under
   * the new leader". A move in flight when the leader dies is rolled back by its source (its
   * caller went away before the restore) or finishes (after it); the new leader resumes the
   * evacuation and starts the rolled-back moves again. Every container ends on another host,
   * running there only.
   */
  @Test
  @Order(6)
  void anEvacuationCompletesUnderTheNewLeaderWhenTheLeaderDies() {
    List<String> names = IntStream.rangeClosed(1, EVACUATED).mapToObj(i -> "ev-" + i).toList();
    assertThat(cluster.containersByHost().get("host-1")).extracting(c -> c.getSpec().getName()).containsAll(names);

    // Two at a time, so that the leader dies with moves done, moves in flight and moves to come.
    Operation evacuation = hostService().evacuate(EvacuateHostRequest.newBuilder().setName("host-1").setParallel(2).build());
    await("a first container moved").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
        .until(() -> movedCount(operation(evacuation.getId())) >= 1);
    String killed = cluster.killLeaderCoordinator();

    client = cluster.client();
    Operation[] last = new Operation[1];
    await("the evacuation ended under the new leader").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250)).until(() -> {
      try {
        last[0] = operation(evacuation.getId());
        return ClusterClient.ended(last[0]);
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() == Status.Code.UNAVAILABLE) {
          return false;
        }
        throw e;
      }
    });
    Operation done = last[0];
    logModes("evacuation across a leader failover", done);
    log.info("evacuation across the death of leader {}: {} ({} of {} moved) {}", killed, done.getState(), movedCount(done), EVACUATED, done.getError());
    assertThat(cluster.leaderId()).get().isNotEqualTo(killed);
    assertThat(done.getEvacuation().getMovesList()).extracting(ContainerMove::getContainer).containsExactlyInAnyOrderElementsOf(names);
    Map<String, List<Container>> byHost = cluster.containersByHost();
    for (ContainerMove m : done.getEvacuation().getMovesList()) {
      assertThat(runningOn(byHost, m.getContainer())).as("hosts running %s (%s)", m.getContainer(), m.getState())
          .containsExactly(m.getState() == ContainerMove.State.STATE_MOVED ? m.getToHost() : "host-1");
    }
    assertThat(done.getState()).as(done.getError()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
    assertThat(done.getEvacuation().getMovesList()).allSatisfy(m -> {
      assertThat(m.getState()).as(m.toString()).isEqualTo(ContainerMove.State.STATE_MOVED);
      assertThat(m.getToHost()).isNotEqualTo("host-1");
    });
  }

  /**
   * Issue 7's "kill the host of an HA container: it is running on its standby host within 10 s of
   * the kill with its data as of the last replica; no container runs twice at any moment (checked
   * by sampling every host)".
   */
  @Test
  @Order(7)
  void theHostOfAnHaContainerDiesAndItRunsOnItsStandbyWithinTenSecondsNeverTwice() {
    LaunchRequest plain = ClusterClient.busybox("ha-1", 32, 50);
    LaunchRequest request = plain.toBuilder().setSpec(plain.getSpec().toBuilder().setHa(true)).setTargetHost("host-2").build();
    Operation launched = client.follow(client.containers().launch(request).getOperation());
    assertThat(launched.getState()).as(launched.getError()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
    await("ha-1 running").atMost(Duration.ofSeconds(20)).until(() -> container("ha-1").getContainer().getState() == ContainerState.CONTAINER_STATE_RUNNING);
    String standby = container("ha-1").getHa().getStandbyHost();
    assertThat(standby).isIn("host-1", "host-3");

    ContainerShell.Exec wrote = ContainerShell.exec(cluster.agentChannel("host-2"), "ha-1", "sh", "-c", "echo written-before-the-crash > /marker");
    assertThat(wrote.exitCode()).as(wrote.output()).isZero();
    // A pass that began after the write: wait for one pass to end after it, then for the next.
    long written = System.currentTimeMillis();
    long[] first = new long[1];
    await("a replica after the write").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
      first[0] = replicaAtMillis("ha-1");
      return first[0] > written;
    });
    await("the next replica").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> replicaAtMillis("ha-1") > first[0]);

    List<Event> events = new java.util.concurrent.CopyOnWriteArrayList<>();
    io.grpc.Context.CancellableContext watching = io.grpc.Context.current().withCancellation();
    Thread watcher = new Thread(() -> watching.run(() -> {
      try {
        EventServiceGrpc.newBlockingStub(cluster.coordinatorChannel(cluster.liveCoordinator()))
            .watchEvents(WatchEventsRequest.newBuilder().addKinds(EventKind.EVENT_KIND_CONTAINER).build())
            .forEachRemaining(events::add);
      } catch (StatusRuntimeException e) {
        // Cancelled at the end of the test.
      }
    }), "ha-events");
    watcher.setDaemon(true);
    watcher.start();

    long killed = System.nanoTime();
    cluster.killHost("host-2");
    List<List<String>> samples = new ArrayList<>();
    await("ha-1 running on its standby " + standby).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
      List<String> running = cluster.hostsRunning("ha-1");
      samples.add(running);
      return running.equals(List.of(standby));
    });
    Duration took = Duration.ofNanos(System.nanoTime() - killed);
    log.info("HA failover of ha-1 from host-2 to {}: running there {} ms after the kill ({} samples)", standby, took.toMillis(), samples.size());

    assertThat(samples).as("hosts running ha-1, sampled every 200 ms").allSatisfy(running -> assertThat(running).hasSizeLessThanOrEqualTo(1));
    assertThat(took).as("from the kill to running on the standby").isLessThanOrEqualTo(Duration.ofSeconds(10));
    ContainerShell.Exec marker = ContainerShell.exec(cluster.agentChannel(standby), "ha-1", "cat", "/marker");
    assertThat(marker.output().strip()).as("its data as of the last replica").isEqualTo("written-before-the-crash");
    await("the cluster places ha-1 on " + standby).atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      ClusterContainer now = container("ha-1");
      assertThat(now.getHost()).isEqualTo(standby);
      assertThat(now.getHa().getFailovers()).isEqualTo(1);
    });
    await("the failover as an event").atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(events)
        .anySatisfy(e -> {
          assertThat(e.getSubject()).isEqualTo("ha-1");
          assertThat(e.getAction()).isEqualTo("failed-over");
          assertThat(e.getHost()).isEqualTo(standby);
        }));
    watching.cancel(null);
  }

  /** A host's machine dies: the cluster sees it go. */
  @Test
  @Order(8)
  void aKilledHostGoesOffline() {
    cluster.killHost("host-3");
    awaitHostNotOnline("host-3");
    assertThat(hostState("host-1")).as("alive (evacuated by an earlier test)").isEqualTo(HostState.HOST_STATE_EVACUATED);
  }

  // ---- helpers ----

  private long replicaAtMillis(String name) {
    ClusterContainer c = container(name);
    return c.getHa().hasReplicaAt() ? c.getHa().getReplicaAt().getSeconds() * 1000 + c.getHa().getReplicaAt().getNanos() / 1_000_000 : 0;
  }

  private Operation operation(String id) {
    return client.operations().getOperation(GetOperationRequest.newBuilder().setId(id).build());
  }

  private static int movedCount(Operation evacuation) {
    return (int) evacuation.getEvacuation().getMovesList().stream().filter(m -> m.getState() == ContainerMove.State.STATE_MOVED).count();
  }

  private List<Container> listOn(String host, Duration deadline) {
    return AgentServiceGrpc.newBlockingStub(cluster.agentChannel(host)).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
        .listContainers(ListContainersRequest.getDefaultInstance()).getContainersList();
  }

  /** Waits until the coordinators' view shows {@code host} anything but online (its session expired: 4 s, plus detection). */
  private void awaitHostNotOnline(String host) {
    await(host + " no longer online").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
        .until(() -> hostState(host) != HostState.HOST_STATE_ONLINE);
  }

  /** Launches a busybox container on {@code host} and waits until the coordinator reports it running. */
  private void launch(String name, String host) {
    LaunchRequest request = ClusterClient.busybox(name, 32, 50).toBuilder().setTargetHost(host).build();
    Operation done = client.follow(client.containers().launch(request).getOperation());
    assertThat(done.getState()).as("launch %s: %s", name, done.getError()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
    // Moves and stops need the host's report of the container, recorded on the leader's next round.
    await(name + " running in the coordinator's view").atMost(Duration.ofSeconds(20)).until(() ->
        container(name).getContainer().getState() == ContainerState.CONTAINER_STATE_RUNNING);
  }

  /**
   * {@link #launch}, retrying the request while the coordinators answer UNAVAILABLE (no leader
   * elected yet: nothing was accepted, so a retry is safe), at most {@code deadline}.
   */
  private void launchOnceALeaderServes(String name, String host, Duration deadline) {
    LaunchRequest request = ClusterClient.busybox(name, 32, 50).toBuilder().setTargetHost(host).build();
    Operation[] accepted = new Operation[1];
    await(name + " accepted by a leading coordinator").atMost(deadline).pollInterval(Duration.ofMillis(250)).until(() -> {
      try {
        accepted[0] = client.containers().launch(request).getOperation();
        return true;
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() == Status.Code.UNAVAILABLE) {
          return false;
        }
        throw e;
      }
    });
    Operation done = client.follow(accepted[0]);
    assertThat(done.getState()).as("launch %s: %s", name, done.getError()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
    await(name + " running in the coordinator's view").atMost(Duration.ofSeconds(20)).until(() ->
        container(name).getContainer().getState() == ContainerState.CONTAINER_STATE_RUNNING);
  }

  private void stop(String name) {
    Operation done = client.follow(client.containers().stop(StopContainerRequest.newBuilder().setName(name).build()));
    assertThat(done.getState()).as("stop %s: %s", name, done.getError()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
  }

  private void delete(String name) {
    Operation done = client.follow(client.containers().delete(DeleteContainerRequest.newBuilder().setName(name).setForce(true).build()));
    assertThat(done.getState()).as("delete %s: %s", name, done.getError()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
  }

  private ClusterContainer container(String name) {
    return client.containers().get(GetContainerRequest.newBuilder().setName(name).build());
  }

  private List<ClusterContainer> clusterView(List<String> names) {
    List<ClusterContainer> all = client.containers().list(ListClusterContainersRequest.newBuilder().setNamePrefix("ev-").build()).getContainersList();
    assertThat(all).extracting(c -> c.getContainer().getSpec().getName()).as("containers the cluster knows").containsExactlyInAnyOrderElementsOf(names);
    return all;
  }

  /** The state the agent of {@code host} itself reports for {@code name}. */
  private ContainerState stateOn(String host, String name) {
    return cluster.containersByHost().get(host).stream().filter(c -> c.getSpec().getName().equals(name)).map(Container::getState)
        .findFirst().orElseThrow(() -> new AssertionError(host + " does not have " + name));
  }

  private static List<String> runningOn(Map<String, List<Container>> byHost, String name) {
    return byHost.entrySet().stream()
        .filter(e -> e.getValue().stream().anyMatch(c -> c.getSpec().getName().equals(name) && c.getState() == ContainerState.CONTAINER_STATE_RUNNING))
        .map(Map.Entry::getKey).sorted().toList();
  }

  /** Logs how each container moved (the mode auto chose, and why it fell back): the run's record of whether live moves work here. */
  private void logModes(String what, Operation operation) {
    for (ContainerMove m : operation.getEvacuation().getMovesList()) {
      if (m.getOperationId().isEmpty()) {
        log.info("{} {}: {} {} -> {} {}", what, m.getContainer(), m.getState(), m.getFromHost(), m.getToHost(), m.getDetail());
        continue;
      }
      MigrationResult r = client.operations().getOperation(GetOperationRequest.newBuilder().setId(m.getOperationId()).build()).getMigration().getResult();
      log.info("{} {}: {} {} -> {} mode {} frozen {} ms total {} ms{}{}", what, m.getContainer(), m.getState(), m.getFromHost(), m.getToHost(),
          r.getModeUsed(), r.getFrozenMillis(), r.getTotalMillis(), r.getFallbackReason().isEmpty() ? "" : " fallback: " + r.getFallbackReason(),
          m.getDetail().isEmpty() ? "" : " detail: " + m.getDetail());
    }
  }

  private HostServiceGrpc.HostServiceBlockingStub hostService() {
    return HostServiceGrpc.newBlockingStub(cluster.coordinatorChannel(cluster.liveCoordinator())).withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  private HostState hostState(String name) {
    return hostService().getHost(GetHostRequest.newBuilder().setName(name).build()).getState();
  }
}
