package io.ferry.agent.it;

import static io.ferry.agent.it.AgentHarness.ref;
import static io.ferry.agent.it.AgentHarness.sh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.ferry.proto.v1.Container;
import io.ferry.proto.v1.ContainerSpec;
import io.ferry.proto.v1.ContainerState;
import io.ferry.proto.v1.CopyContainerRequest;
import io.ferry.proto.v1.CreateContainerRequest;
import io.ferry.proto.v1.DeleteImageRequest;
import io.ferry.proto.v1.InitKind;
import io.ferry.proto.v1.Limits;
import io.ferry.proto.v1.ListImagesRequest;
import io.ferry.proto.v1.SnapshotRef;
import io.ferry.proto.v1.StartContainerRequest;
import io.ferry.proto.v1.StopContainerRequest;
import io.ferry.proto.v1.UpdateLimitsRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent end to end, as root, through its gRPC API: real runc, real CRIU, overlay mounts, a
 * real bridge and network namespaces, the base images host setup built.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AgentServiceIT {

  private static final Logger log = LoggerFactory.getLogger(AgentServiceIT.class);

  /** A service that counts in /tmp/counter; PID 1 is a shell, so it ignores SIGTERM. */
  private static final List<String> COUNTER =
      sh("i=0; while true; do i=$((i+1)); echo $i > /tmp/counter.new; mv /tmp/counter.new /tmp/counter; sleep 0.1; done");

  @TempDir static Path state;
  private AgentHarness agent;

  @BeforeAll
  void startAgent() throws Exception {
    agent = new AgentHarness(state).start();
    agent.importImage("busybox.tar.zst", "busybox");
  }

  @AfterAll
  void stopAgent() throws Exception {
    agent.close();
  }

  @Test
  void busyboxLifecycleWithExecLimitsAndNetwork() throws Exception {
    Container web = create("life-1", COUNTER, true);
    assertThat(web.getState()).isEqualTo(ContainerState.CONTAINER_STATE_RUNNING);
    assertThat(web.getInitPid()).isPositive();
    assertThat(web.getNetwork().getAddress()).startsWith(agent.subnet.substring(0, agent.subnet.lastIndexOf('.')));

    AgentHarness.ExecResult exec = exec("life-1", sh("echo hi; echo err >&2; exit 3"));
    assertThat(exec.stdout()).isEqualTo("hi\n");
    assertThat(exec.stderr()).isEqualTo("err\n");
    assertThat(exec.exitCode()).isEqualTo(3);

    Container frozen = agent.stub().freezeContainer(ref("life-1"));
    assertThat(frozen.getState()).isEqualTo(ContainerState.CONTAINER_STATE_FROZEN);
    assertThat(agent.stub().unfreezeContainer(ref("life-1")).getState()).isEqualTo(ContainerState.CONTAINER_STATE_RUNNING);

    Container limited =
        agent.stub().updateLimits(UpdateLimitsRequest.newBuilder().setName("life-1")
            .setLimits(Limits.newBuilder().setMemoryBytes(128L << 20).setPidsMax(50).setCpuShares(256)).build());
    assertThat(limited.getLimits().getMemoryBytes()).isEqualTo(128L << 20);
    assertThat(limited.getLimits().getPidsMax()).isEqualTo(50);
    assertThat(limited.getLimits().getCpuShares()).isEqualTo(256);
    assertCode(Status.Code.INVALID_ARGUMENT, () -> agent.stub().updateLimits(UpdateLimitsRequest.newBuilder()
        .setName("life-1").setLimits(Limits.newBuilder().setMemoryBytes(1 << 20)).build()));
    assertThat(agent.stub().getContainer(ref("life-1")).getLimits().getMemoryBytes()).as("unchanged").isEqualTo(128L << 20);

    long started = System.nanoTime();
    Container stopped = agent.stub().stopContainer(StopContainerRequest.newBuilder().setName("life-1").setTimeoutSeconds(1).build());
    assertThat(stopped.getState()).isEqualTo(ContainerState.CONTAINER_STATE_STOPPED);
    assertThat(stopped.getDetail()).contains("killed after not stopping");
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));

    assertThat(agent.stub().startContainer(StartContainerRequest.newBuilder().setName("life-1").build()).getState())
        .isEqualTo(ContainerState.CONTAINER_STATE_RUNNING);
    assertThat(agent.stub().restartContainer(StopContainerRequest.newBuilder().setName("life-1").setForce(true).build()).getState())
        .isEqualTo(ContainerState.CONTAINER_STATE_RUNNING);
    assertThat(agent.stub().stopContainer(StopContainerRequest.newBuilder().setName("life-1").setForce(true).build()).getState())
        .isEqualTo(ContainerState.CONTAINER_STATE_STOPPED);

    agent.stub().deleteContainer(io.ferry.proto.v1.DeleteContainerRequest.newBuilder().setName("life-1").build());
    assertCode(Status.Code.NOT_FOUND, () -> agent.stub().getContainer(ref("life-1")));
  }

  @Test
  void aCleanStopOfBusyboxInitEndsOnceItsServicesAreGone() {
    // busybox init's own halt sequence sleeps ~4.6 s; the agent ends the stop once every other
    // process has exited on SIGTERM, well within this 3 s timeout.
    agent.stub().createContainer(CreateContainerRequest.newBuilder()
        .setSpec(ContainerSpec.newBuilder().setName("init-1").setImage("busybox").setInit(InitKind.INIT_KIND_GENERIC))
        .setStart(true).build());
    exec("init-1", sh("(trap 'exit 0' TERM; while true; do sleep 0.1; done) </dev/null >/dev/null 2>&1 &"));

    Container stopped = agent.stub().stopContainer(StopContainerRequest.newBuilder().setName("init-1").setTimeoutSeconds(3).build());

    assertThat(stopped.getState()).isEqualTo(ContainerState.CONTAINER_STATE_STOPPED);
    assertThat(stopped.getDetail()).isEqualTo("stopped by request");
  }

  @Test
  void aContainerWhoseInitExitsIsReportedStopped() {
    create("short-1", sh("sleep 0.3"), true);

    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      Container c = agent.stub().getContainer(ref("short-1"));
      assertThat(c.getState()).isEqualTo(ContainerState.CONTAINER_STATE_STOPPED);
      assertThat(c.getDetail()).contains("init exited on its own");
    });
    // The runc leftover is gone: it starts again like any stopped container.
    assertThat(agent.stub().startContainer(StartContainerRequest.newBuilder().setName("short-1").build()).getState())
        .isEqualTo(ContainerState.CONTAINER_STATE_RUNNING);
  }

  @Test
  void containersReachEachOtherAndTheHostReachesThem() throws Exception {
    Container server = create("net-srv", sh("while true; do echo pong | nc -l -p 8080; done"), true);
    create("net-cli", COUNTER, true);
    String address = server.getNetwork().getAddress();

    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(address, 8080), 1000);
        assertThat(new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("pong\n");
      }
    });
    AgentHarness.ExecResult fromPeer = exec("net-cli", sh("nc " + address + " 8080 </dev/null"));
    assertThat(fromPeer.stdout()).isEqualTo("pong\n");
  }

  @Test
  void badRequestsGetTheStandardCodesAndChangeNothing() {
    assertCode(Status.Code.INVALID_ARGUMENT, () -> create("Bad_Name", COUNTER, false));
    assertCode(Status.Code.NOT_FOUND, () -> agent.stub().getContainer(ref("nobody")));
    assertCode(Status.Code.NOT_FOUND, () -> agent.stub().createContainer(CreateContainerRequest.newBuilder()
        .setSpec(ContainerSpec.newBuilder().setName("no-image").setImage("nonexistent/1")).build()));
    assertCode(Status.Code.INVALID_ARGUMENT, () -> agent.stub().updateLimits(UpdateLimitsRequest.newBuilder()
        .setName("nobody").setLimits(Limits.newBuilder().setPidsMax(0)).build()));

    create("bad-1", COUNTER, false);
    assertCode(Status.Code.ALREADY_EXISTS, () -> create("bad-1", COUNTER, false));
    assertCode(Status.Code.FAILED_PRECONDITION, () -> agent.stub().stopContainer(StopContainerRequest.newBuilder().setName("bad-1").build()));
    assertCode(Status.Code.FAILED_PRECONDITION, () -> agent.stub().startContainer(StartContainerRequest.newBuilder().setName("bad-1").setStateful(true).build()));
    assertCode(Status.Code.FAILED_PRECONDITION, () -> agent.stub().deleteImage(DeleteImageRequest.newBuilder().setImage("busybox").build()));
    assertThat(agent.stub().listImages(ListImagesRequest.getDefaultInstance()).getImagesList())
        .anySatisfy(i -> assertThat(i.getAliasesList()).contains("busybox"));
    assertThat(agent.stub().getContainer(ref("bad-1")).getState()).isEqualTo(ContainerState.CONTAINER_STATE_STOPPED);
  }

  @Test
  void aSecondOperationDuringAStopIsAborted() throws Exception {
    create("busy-1", COUNTER, true);
    CompletableFuture<Container> slowStop = CompletableFuture.supplyAsync(() ->
        agent.stub().stopContainer(StopContainerRequest.newBuilder().setName("busy-1").setTimeoutSeconds(3).build()));
    await().atMost(Duration.ofSeconds(5)).until(() ->
        agent.stub().getContainer(ref("busy-1")).getState() == ContainerState.CONTAINER_STATE_STOPPING);

    assertCode(Status.Code.ABORTED, () -> agent.stub().freezeContainer(ref("busy-1")));
    assertThat(slowStop.get().getState()).isEqualTo(ContainerState.CONTAINER_STATE_STOPPED);
  }

  @Test
  void statefulStopAndStartKeepTheProcessMemory() throws Exception {
    create("cr-1", COUNTER, true);
    await().atMost(Duration.ofSeconds(10)).until(() -> counter("cr-1") > 20);

    Container checkpointed = agent.stub().stopContainer(StopContainerRequest.newBuilder().setName("cr-1").setStateful(true).build());
    assertThat(checkpointed.getState()).isEqualTo(ContainerState.CONTAINER_STATE_CHECKPOINTED);
    long atCheckpoint = Long.parseLong(readFileInRootfs("cr-1", "tmp/counter"));

    Container resumed = agent.stub().startContainer(StartContainerRequest.newBuilder().setName("cr-1").setStateful(true).build());
    assertThat(resumed.getState()).isEqualTo(ContainerState.CONTAINER_STATE_RUNNING);
    await().atMost(Duration.ofSeconds(10)).until(() -> counter("cr-1") > atCheckpoint + 5);
    // The shell's own variable carried on: a fresh boot would have started again from 1.
    assertThat(counter("cr-1")).isGreaterThan(atCheckpoint);
  }

  @Test
  void snapshotsRestoreFilesAndCopiesGetTheirOwnIdentity() throws Exception {
    Container original = create("snap-1", COUNTER, true);
    exec("snap-1", sh("echo v1 > /root/data"));
    agent.stub().createSnapshot(SnapshotRef.newBuilder().setContainer("snap-1").setSnapshot("s1").build());
    exec("snap-1", sh("echo v2 > /root/data"));
    assertThat(agent.stub().listSnapshots(ref("snap-1")).getSnapshotsList()).extracting(s -> s.getName()).containsExactly("s1");

    Container copy = agent.stub().copyContainer(CopyContainerRequest.newBuilder().setSource("snap-1").setTarget("snap-copy").build());
    assertThat(copy.getState()).isEqualTo(ContainerState.CONTAINER_STATE_STOPPED);
    assertThat(copy.getNetwork().getAddress()).isNotEqualTo(original.getNetwork().getAddress());
    assertThat(copy.getNetwork().getMac()).isNotEqualTo(original.getNetwork().getMac());

    agent.stub().stopContainer(StopContainerRequest.newBuilder().setName("snap-1").setForce(true).build());
    agent.stub().restoreSnapshot(SnapshotRef.newBuilder().setContainer("snap-1").setSnapshot("s1").build());
    agent.stub().startContainer(StartContainerRequest.newBuilder().setName("snap-1").build());
    assertThat(exec("snap-1", sh("cat /root/data")).stdout()).isEqualTo("v1\n");

    agent.stub().startContainer(StartContainerRequest.newBuilder().setName("snap-copy").build());
    assertThat(exec("snap-copy", sh("cat /root/data")).stdout()).isEqualTo("v2\n");
  }

  @Test
  void aRestartedAgentFindsItsRunningContainers() throws Exception {
    Container before = create("rec-1", COUNTER, true);
    agent.stopAgent();
    agent = new AgentHarness(state).withNetworkOf(agent).start();

    Container after = agent.stub().getContainer(ref("rec-1"));
    assertThat(after.getState()).isEqualTo(ContainerState.CONTAINER_STATE_RUNNING);
    assertThat(after.getInitPid()).isEqualTo(before.getInitPid());
    assertThat(after.getNetwork()).isEqualTo(before.getNetwork());
    assertThat(exec("rec-1", sh("echo alive")).stdout()).isEqualTo("alive\n");
  }

  @Test
  void aRootfsDirectoryImportsAsAnImageAndRuns() throws Exception {
    Path dir = java.nio.file.Files.createDirectories(state.resolve("dir-import/rootfs"));
    io.ferry.common.process.Command.of(
            "tar", "--zstd", "-xpf", AgentHarness.IMAGE_CACHE.resolve("busybox.tar.zst").toString(), "-C", dir.toString())
        .timeout(Duration.ofMinutes(1))
        .check();

    var image = agent.uploadDirectory(dir, "busybox-dir");
    assertThat(image.getAliasesList()).containsExactly("busybox-dir");
    assertThat(image.getFileCount()).isGreaterThan(100);

    agent.stub().createContainer(CreateContainerRequest.newBuilder()
        .setSpec(ContainerSpec.newBuilder().setName("from-dir").setImage("busybox-dir").addAllCommand(COUNTER))
        .setStart(true).build());
    assertThat(exec("from-dir", sh("echo ok")).stdout()).isEqualTo("ok\n");
  }

  @Test
  void metricsCountContainersByStateAndTimeOperations() throws Exception {
    create("metrics-1", COUNTER, true);
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> scrape =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agent.server().metricsPort() + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString());

    assertThat(scrape.statusCode()).isEqualTo(200);
    assertThat(scrape.body())
        .containsPattern("ferry_agent_containers\\{host=\"[a-z0-9-]+\",status=\"running\"\\} [1-9]")
        .contains("ferry_agent_operation_seconds_count{host=")
        .contains("operation=\"create\"");
  }

  // ---- helpers ----

  private Container create(String name, List<String> command, boolean start) {
    return agent.stub().createContainer(CreateContainerRequest.newBuilder()
        .setSpec(ContainerSpec.newBuilder().setName(name).setImage("busybox").setInit(InitKind.INIT_KIND_GENERIC).addAllCommand(command))
        .setStart(start)
        .build());
  }

  private long counter(String name) {
    String out = exec(name, sh("cat /tmp/counter")).stdout().strip();
    return out.isEmpty() ? 0 : Long.parseLong(out);
  }

  private String readFileInRootfs(String name, String path) throws Exception {
    return java.nio.file.Files.readString(state.resolve("containers").resolve(name).resolve("upper").resolve(path)).strip();
  }

  private AgentHarness.ExecResult exec(String name, List<String> command) {
    return agent.exec(name, command);
  }

  private static void assertCode(Status.Code code, Runnable call) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).as(e.getStatus().toString()).isEqualTo(code);
          assertThat(e.getStatus().getDescription()).isNotBlank();
        });
  }
}
