package io.ferry.agent.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.agent.AgentException;
import io.ferry.agent.AgentException.Kind;
import io.ferry.agent.images.ImageLimits;
import io.ferry.agent.images.ImageStore;
import io.ferry.agent.images.ImportOptions;
import io.ferry.agent.network.AddressAllocator;
import io.ferry.agent.network.FakeFirewall;
import io.ferry.agent.network.FakeIpCommands;
import io.ferry.agent.network.NetworkConfig;
import io.ferry.agent.network.NetworkManager;
import io.ferry.agent.runtime.InitKind;
import io.ferry.agent.runtime.Limits;
import io.ferry.agent.runtime.fake.FakeRuntime;
import io.ferry.agent.storage.FakeVolumeStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lifecycle's logic, failure paths first, on a fake runtime, volumes and kernel network. */
class ContainerManagerTest {

  @TempDir Path dir;
  private final FakeRuntime runtime = new FakeRuntime();
  private FakeVolumeStore volumes;
  private NetworkManager network;
  private ImageStore images;
  private Containers containers;
  private ContainerManager manager;

  @BeforeEach
  void setUp() throws Exception {
    Path rootfs = Files.createDirectories(dir.resolve("rootfs/bin"));
    Files.writeString(rootfs.resolve("sh"), "#!fake");
    images = new ImageStore(dir.resolve("images"), ImageLimits.DEFAULTS);
    images.importDirectory(dir.resolve("rootfs"), ImportOptions.aliases("busybox"));
    volumes = new FakeVolumeStore(Files.createDirectories(dir.resolve("containers")));
    NetworkConfig config = NetworkConfig.defaults("host-1");
    network =
        new NetworkManager(config, AddressAllocator.open(dir.resolve("net"), config.subnet(), Clock.systemUTC()), new FakeIpCommands(), new FakeFirewall());
    network.ensureBridge();
    containers = open();
    manager = containers.manager();
  }

  @AfterEach
  void tearDown() {
    containers.close();
    images.close();
  }

  private Containers open() {
    Containers c =
        new Containers(runtime, images, volumes, network, dir.resolve("containers"), OperationObserver.NONE, Clock.systemUTC(), Duration.ofSeconds(1));
    c.recover();
    return c;
  }

  private static CreateSpec spec(String name) {
    return new CreateSpec(name, "busybox", InitKind.GENERIC, List.of("/bin/sh"), Map.of(), Limits.NONE);
  }

  @Test
  void withTheOverlayAContainerCreatedWithAClusterIdentityKeepsItAndIsAnnounced() {
    containers.close();
    NetworkConfig config =
        NetworkConfig.load(
            io.ferry.common.config.Settings.of("test", Map.of("network.overlay.enabled", "true")), "host-1", java.util.Optional.of("10.77.0.11"));
    FakeIpCommands ip = new FakeIpCommands();
    network = new NetworkManager(config, AddressAllocator.open(dir.resolve("net-overlay"), config.subnet(), Clock.systemUTC()), ip, new FakeFirewall());
    network.ensureBridge();
    containers = open();
    manager = containers.manager();
    io.ferry.agent.network.AssignedIdentity identity =
        new io.ferry.agent.network.AssignedIdentity(
            io.ferry.agent.network.Ipv4Address.parse("10.100.3.9"), io.ferry.agent.network.MacAddress.parse("0a:58:0a:64:03:09"),
            16, java.util.Optional.of(io.ferry.agent.network.Ipv4Address.parse("10.100.0.1")));

    ContainerView created =
        manager.create(new CreateSpec("web", "busybox", InitKind.GENERIC, List.of("/bin/sh"), Map.of(), Limits.NONE, java.util.Optional.of(identity), false), true);

    assertThat(created.record().network().address()).isEqualTo("10.100.3.9");
    assertThat(created.record().network().mac()).isEqualTo("0a:58:0a:64:03:09");
    assertThat(ip.announcements()).containsExactly("fc-host-1.web eth0 10.100.3.9");
  }

  @Test
  void anIdentityForAnotherSubnetIsRefusedAndLeavesNothing() {
    io.ferry.agent.network.AssignedIdentity elsewhere =
        new io.ferry.agent.network.AssignedIdentity(
            io.ferry.agent.network.Ipv4Address.parse("10.100.3.9"), io.ferry.agent.network.MacAddress.parse("0a:58:0a:64:03:09"),
            24, java.util.Optional.of(io.ferry.agent.network.Ipv4Address.parse("10.100.3.1")));
    assertThatThrownBy(() ->
            manager.create(new CreateSpec("web", "busybox", InitKind.GENERIC, List.of("/bin/sh"), Map.of(), Limits.NONE, java.util.Optional.of(elsewhere), false), false))
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.FAILED_PRECONDITION))
        .hasMessageContaining("network.subnet must be the cluster's");
    assertThat(manager.list()).isEmpty();
    assertThat(network.allocator().leases()).isEmpty();
  }

  @Test
  void aCreateWhoseStartFailsLeavesNothingBehind() {
    runtime.failNext("start", AgentException.internal("runc run failed: no init", null));

    assertThatThrownBy(() -> manager.create(spec("web"), true))
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.INTERNAL));

    assertThat(manager.list()).isEmpty();
    assertThat(volumes.containersOnDisk()).as("no rootfs, no record").isEmpty();
    assertThat(network.allocator().leases()).as("no address").isEmpty();
    assertThat(network.attachments()).isEmpty();
  }

  @Test
  void aFailedStartLeavesTheContainerStoppedWithTheReason() {
    manager.create(spec("web"), false);
    runtime.failNext("start", AgentException.internal("runc run failed: exec format error", null));

    assertThatThrownBy(() -> manager.start("web", false)).hasMessageContaining("exec format error");

    ContainerView web = manager.get("web");
    assertThat(web.status()).isEqualTo(ContainerStatus.STOPPED);
    assertThat(web.record().detail()).contains("start failed").contains("exec format error");
    assertThat(manager.start("web", false).status()).isEqualTo(ContainerStatus.RUNNING);
  }

  @Test
  void aFailedCheckpointLeavesTheContainerRunning() {
    manager.create(spec("web"), true);
    runtime.failNext("checkpoint", AgentException.internal("criu: Can't dump that handle", null));

    assertThatThrownBy(() -> manager.stop("web", StopOptions.STATEFUL)).hasMessageContaining("dump");

    assertThat(manager.get("web").status()).isEqualTo(ContainerStatus.RUNNING);
    assertThat(manager.get("web").record().detail()).contains("checkpoint failed");
    assertThat(runtime.state("web").orElseThrow().alive()).isTrue();
  }

  @Test
  void statefulStopAndStartGoThroughTheCheckpoint() {
    manager.create(spec("web"), true);

    assertThat(manager.stop("web", StopOptions.STATEFUL).status()).isEqualTo(ContainerStatus.CHECKPOINTED);
    assertThatThrownBy(() -> manager.start("web", false))
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.FAILED_PRECONDITION));
    assertThat(manager.start("web", true).status()).isEqualTo(ContainerStatus.RUNNING);
    assertThat(runtime.calls()).containsSubsequence("checkpoint web", "restore web");
  }

  @Test
  void wrongStatesAreRefusedAndChangeNothing() {
    manager.create(spec("web"), false);

    assertThatThrownBy(() -> manager.stop("web", StopOptions.CLEAN))
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.FAILED_PRECONDITION));
    assertThatThrownBy(() -> manager.freeze("web"))
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.FAILED_PRECONDITION));
    assertThatThrownBy(() -> manager.create(spec("web"), false))
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.ALREADY_EXISTS));
    assertThatThrownBy(() -> manager.get("nope"))
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.NOT_FOUND));

    manager.start("web", false);
    assertThatThrownBy(() -> manager.delete("web", false))
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.FAILED_PRECONDITION));
    assertThat(manager.get("web").status()).isEqualTo(ContainerStatus.RUNNING);
    assertThat(runtime.calls()).doesNotContain("kill web");
  }

  @Test
  void limitsMergeAndReachTheRuntimeOnlyWhileLive() {
    manager.create(spec("web"), false);
    Limits memory = new Limits(OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty(), OptionalLong.of(64L << 20), OptionalLong.empty());
    Limits pids = new Limits(OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty(), OptionalLong.of(50));

    manager.updateLimits("web", memory);
    assertThat(runtime.calls()).doesNotContain("update web");
    manager.start("web", false);
    ContainerView live = manager.updateLimits("web", pids);

    assertThat(live.record().limits().memoryBytes()).hasValue(64L << 20);
    assertThat(live.record().limits().pidsMax()).hasValue(50);
    assertThat(live.limits().pidsMax()).as("read back from the runtime").hasValue(50);
  }

  @Test
  void aNewManagerOnTheSameStateFindsTheTruth() {
    manager.create(spec("up"), true);
    manager.create(spec("down"), true);
    manager.create(spec("cold"), false);
    containers.close();
    runtime.exit("down");

    Containers again = open();
    try {
      assertThat(again.manager().get("up").status()).isEqualTo(ContainerStatus.RUNNING);
      assertThat(again.manager().get("down").status()).isEqualTo(ContainerStatus.STOPPED);
      assertThat(again.manager().get("down").record().detail()).contains("exited while the agent was away");
      assertThat(again.manager().get("cold").status()).isEqualTo(ContainerStatus.STOPPED);
      assertThat(runtime.state("down")).as("runc's leftover removed").isEmpty();
    } finally {
      again.close();
      containers = open();
    }
  }

  @Test
  void aContainerThatDiedIsReportedStoppedNotAnError() {
    manager.create(spec("web"), true);
    runtime.exit("web");

    ContainerView web = manager.get("web");

    assertThat(web.status()).isEqualTo(ContainerStatus.STOPPED);
    assertThat(web.record().detail()).isEqualTo(ExitWatcher.EXITED);
    assertThat(runtime.state("web")).as("runc's leftover removed").isEmpty();
    assertThat(manager.start("web", false).status()).isEqualTo(ContainerStatus.RUNNING);
  }

  @Test
  void stoppingOrDeletingAContainerThatDiedMeanwhileSucceeds() {
    manager.create(spec("a"), true);
    manager.create(spec("b"), true);
    runtime.exit("a");
    runtime.exit("b");

    assertThat(manager.stop("a", StopOptions.FORCE).status()).isEqualTo(ContainerStatus.STOPPED);
    manager.delete("b", true);
    assertThat(manager.list()).extracting(ContainerView::name).containsExactly("a");
  }

  @Test
  void deleteRemovesEverythingOfTheContainer() {
    manager.create(spec("web"), true);

    manager.delete("web", true);

    assertThat(manager.list()).isEmpty();
    assertThat(runtime.state("web")).isEmpty();
    assertThat(volumes.containersOnDisk()).isEmpty();
    assertThat(network.allocator().leases()).isEmpty();
  }
}
