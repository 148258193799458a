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
import io.ferry.agent.network.Ipv4Address;
import io.ferry.agent.network.MacAddress;
import io.ferry.agent.network.NetworkConfig;
import io.ferry.agent.network.NetworkManager;
import io.ferry.agent.runtime.InitKind;
import io.ferry.agent.runtime.Limits;
import io.ferry.agent.runtime.RestoreOptions;
import io.ferry.agent.runtime.fake.FakeRuntime;
import io.ferry.agent.storage.FakeVolumeStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lifecycle's hooks for migration, on a fake runtime: holds, the source's steps, the target's adopt and discard. */
class MigrationSupportTest {

  @TempDir Path dir;
  private final FakeRuntime runtime = new FakeRuntime();
  private FakeVolumeStore volumes;
  private NetworkManager network;
  private ImageStore images;
  private Containers containers;

  @BeforeEach
  void setUp() throws Exception {
    Path rootfs = Files.createDirectories(dir.resolve("rootfs/bin"));
    Files.writeString(rootfs.resolve("sh"), "#!fake");
    images = new ImageStore(dir.resolve("images"), ImageLimits.DEFAULTS);
    images.importDirectory(dir.resolve("rootfs"), ImportOptions.aliases("busybox"));
    volumes = new FakeVolumeStore(Files.createDirectories(dir.resolve("containers")));
    NetworkConfig config = NetworkConfig.defaults("host-1");
    network = new NetworkManager(config, AddressAllocator.open(dir.resolve("net"), config.subnet(), Clock.systemUTC()),
        new FakeIpCommands(), new FakeFirewall());
    network.ensureBridge();
    containers = new Containers(runtime, images, volumes, network, dir.resolve("containers"), OperationObserver.NONE,
        Clock.systemUTC(), Duration.ofSeconds(1));
    containers.recover(Set.of());
  }

  @AfterEach
  void tearDown() {
    containers.close();
    images.close();
  }

  private static CreateSpec spec(String name) {
    return new CreateSpec(name, "busybox", InitKind.GENERIC, List.of("/bin/sh"), Map.of(), Limits.NONE);
  }

  @Test
  void anOutgoingHoldRefusesEveryOtherOperationUntilReleased() {
    containers.manager().create(spec("web"), true);
    OutgoingContainer held = containers.migrations().holdOutgoing("web", "m-1", true);

    assertThatThrownBy(() -> containers.manager().stop("web", new StopOptions(true, null, false)))
        .isInstanceOfSatisfying(AgentException.class, e -> {
          assertThat(e.kind()).isEqualTo(Kind.CONFLICT);
          assertThat(e.getMessage()).contains("migration m-1");
        });
    assertThatThrownBy(() -> containers.manager().delete("web", true)).hasMessageContaining("migration m-1");
    assertThatThrownBy(() -> containers.migrations().holdOutgoing("web", "m-2", true)).hasMessageContaining("busy");

    held.close();
    containers.manager().stop("web", new StopOptions(true, null, false));
    assertThatThrownBy(() -> containers.migrations().holdOutgoing("web", "m-3", true))
        .as("only a running container can migrate").hasMessageContaining("only a running container");
  }

  @Test
  void theSourceStepsAreCheckedMovesOfTheContainer() {
    containers.manager().create(spec("web"), true);
    try (OutgoingContainer held = containers.migrations().holdOutgoing("web", "m-1", true)) {
      assertThatThrownBy(() -> held.dump(dir.resolve("img"), true)).as("a dump needs it frozen").hasMessageContaining("not frozen");
      held.freeze();
      held.freeze();
      assertThat(held.record().status()).isEqualTo(ContainerStatus.FROZEN);
      assertThat(held.dump(dir.resolve("img"), true).imageBytes()).isPositive();
      assertThat(held.record().status()).as("left frozen by the dump").isEqualTo(ContainerStatus.FROZEN);
      assertThat(runtime.calls()).contains("pause web", "checkpoint web");
      held.unfreeze();
      assertThat(held.record().status()).isEqualTo(ContainerStatus.RUNNING);
      held.stop();
      assertThat(held.record().status()).isEqualTo(ContainerStatus.STOPPED);
      held.start();
      assertThat(held.record().status()).isEqualTo(ContainerStatus.RUNNING);
      held.freeze();
      held.destroy();
    }
    assertThat(containers.manager().list()).isEmpty();
    assertThat(volumes.containersOnDisk()).isEmpty();
    assertThat(network.attachment("web")).isEmpty();
  }

  @Test
  void anIncomingHoldKeepsTheNameAndAdoptsWithTheSameAddressAndMac() {
    containers.manager().create(spec("taken"), false);
    assertThatThrownBy(() -> containers.migrations().holdIncoming("taken", "m-0", false))
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.ALREADY_EXISTS));

    IncomingContainer in = containers.migrations().holdIncoming("web", "m-1", false);
    assertThatThrownBy(() -> containers.manager().create(spec("web"), false)).hasMessageContaining("migration m-1");

    String digest = images.find("busybox").digest();
    ContainerRecord adopted = in.adopt(spec("web"), digest, Ipv4Address.parse("10.100.0.77"),
        MacAddress.parse("02:00:00:00:00:77"), true);
    assertThat(adopted.status()).isEqualTo(ContainerStatus.CHECKPOINTED);
    assertThat(adopted.network().address()).isEqualTo("10.100.0.77");
    assertThat(adopted.network().mac()).isEqualTo("02:00:00:00:00:77");
    assertThat(in.adopt(spec("web"), digest, Ipv4Address.parse("10.100.0.77"), MacAddress.parse("02:00:00:00:00:77"), true))
        .as("idempotent").isEqualTo(adopted);

    in.restore(new RestoreOptions(true, false, false));
    assertThat(in.record().orElseThrow().status()).isEqualTo(ContainerStatus.RUNNING);
    in.close();
    assertThat(containers.manager().get("web").record().status()).as("an ordinary container once released")
        .isEqualTo(ContainerStatus.RUNNING);
  }

  @Test
  void aDiscardLeavesNothingOfTheIncomingContainer() {
    IncomingContainer in = containers.migrations().holdIncoming("web", "m-1", false);
    in.adopt(spec("web"), images.find("busybox").digest(), Ipv4Address.parse("10.100.0.78"),
        MacAddress.parse("02:00:00:00:00:78"), false);
    in.start();
    in.discard();
    in.discard();
    in.close();
    assertThat(containers.manager().list()).isEmpty();
    assertThat(volumes.containersOnDisk()).isEmpty();
    assertThat(network.attachment("web")).isEmpty();
    assertThat(runtime.state("web")).isEmpty();
    containers.manager().create(spec("web"), false);
  }
}
