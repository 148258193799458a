package io.ferry.agent.it;

import static io.ferry.agent.it.AgentHarness.ref;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ferry.proto.v1.Container;
import io.ferry.proto.v1.ContainerSpec;
import io.ferry.proto.v1.ContainerState;
import io.ferry.proto.v1.CreateContainerRequest;
import io.ferry.proto.v1.InitKind;
import io.ferry.proto.v1.StartContainerRequest;
import io.ferry.proto.v1.StopContainerRequest;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Debian 12 system container with systemd as PID 1, through the agent's API: boots to running,
 * survives a stateful stop and start (CRIU), and halts cleanly on a stop.
 */
class AgentSystemdIT {

  private static final Logger log = LoggerFactory.getLogger(AgentSystemdIT.class);

  @TempDir Path state;

  @Test
  void debianBootsCheckpointsRestoresAndHalts() throws Exception {
    try (AgentHarness agent = new AgentHarness(state).start()) {
      agent.importImage("debian-12.tar.zst", "debian/12");
      long t0 = System.nanoTime();
      Container deb = agent.stub().createContainer(CreateContainerRequest.newBuilder()
          .setSpec(ContainerSpec.newBuilder().setName("deb-1").setImage("debian/12").setInit(InitKind.INIT_KIND_SYSTEMD))
          .setStart(true).build());
      assertThat(deb.getState()).isEqualTo(ContainerState.CONTAINER_STATE_RUNNING);
      awaitSystemd(agent, "deb-1");
      log.info("debian/12 start to systemd running: {} ms", (System.nanoTime() - t0) / 1_000_000);
      exec(agent, "deb-1", "sh", "-c", "echo kept > /run/marker");
      // dbus-daemon watches its config directories with inotify; CRIU must find those paths on
      // the overlay (it failed to once: "fsnotify: Can't dump that handle"). Wait for the watches.
      await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).until(() ->
          Integer.parseInt(exec(agent, "deb-1", "sh", "-c",
              "cat /proc/$(pidof dbus-daemon)/fdinfo/* 2>/dev/null | grep -c '^inotify wd' || true").strip()) >= 3);

      Container checkpointed = agent.stub().stopContainer(StopContainerRequest.newBuilder().setName("deb-1").setStateful(true).build());
      assertThat(checkpointed.getState()).as(checkpointed.getDetail()).isEqualTo(ContainerState.CONTAINER_STATE_CHECKPOINTED);
      Container resumed = agent.stub().startContainer(StartContainerRequest.newBuilder().setName("deb-1").setStateful(true).build());
      assertThat(resumed.getState()).isEqualTo(ContainerState.CONTAINER_STATE_RUNNING);
      awaitSystemd(agent, "deb-1");
      // /run is a tmpfs: only a restored memory image still has the file, a reboot would not.
      assertThat(exec(agent, "deb-1", "cat", "/run/marker")).isEqualTo("kept\n");

      long t1 = System.nanoTime();
      Container stopped = agent.stub().stopContainer(StopContainerRequest.newBuilder().setName("deb-1").setTimeoutSeconds(20).build());
      assertThat(stopped.getState()).isEqualTo(ContainerState.CONTAINER_STATE_STOPPED);
      assertThat(stopped.getDetail()).isEqualTo("stopped by request");
      log.info("debian/12 clean stop: {} ms", (System.nanoTime() - t1) / 1_000_000);
      assertThat(agent.stub().getContainer(ref("deb-1")).getState()).isEqualTo(ContainerState.CONTAINER_STATE_STOPPED);
    }
  }

  private static void awaitSystemd(AgentHarness agent, String name) {
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
      String s = exec(agent, name, "systemctl", "is-system-running").strip();
      return s.equals("running") || s.equals("degraded");
    });
  }

  private static String exec(AgentHarness agent, String name, String... command) {
    return agent.exec(name, java.util.List.of(command)).stdout();
  }
}
