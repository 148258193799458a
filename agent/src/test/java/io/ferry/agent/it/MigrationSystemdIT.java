package io.ferry.agent.it;

import static io.ferry.agent.it.MigrationDriver.assertNothingOn;
import static io.ferry.agent.it.MigrationDriver.commit;
import static io.ferry.agent.it.MigrationDriver.migrate;
import static io.ferry.agent.it.MigrationDriver.newId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ferry.agent.it.MigrationDriver.Run;
import io.ferry.proto.v1.Container;
import io.ferry.proto.v1.ContainerSpec;
import io.ferry.proto.v1.ContainerState;
import io.ferry.proto.v1.CreateContainerRequest;
import io.ferry.proto.v1.Image;
import io.ferry.proto.v1.InitKind;
import io.ferry.proto.v1.ListImagesRequest;
import io.ferry.proto.v1.MigrationMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Debian 12 system container (systemd as PID 1, journald, dbus, logind) moves live to a host
 * that has never seen its image (the target fetches it from the source first): systemd keeps
 * running without a reboot (its /run tmpfs still holds a file written before the move) and the
 * system stays up; then it moves back.
 */
class MigrationSystemdIT {

  private static final Logger log = LoggerFactory.getLogger(MigrationSystemdIT.class);

  private MigrationCluster cluster;

  @RegisterExtension
  final TestWatcher dumpOnFailure = new TestWatcher() {
    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
      log.error("{} failed; cluster state:{}", context.getDisplayName(), cluster == null ? " none" : cluster.dump());
      if (cluster != null) {
        cluster.failed = true;
        log.error("state and logs kept in {}", cluster.root);
      }
    }
  };

  @AfterEach
  void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void debianWithSystemdMovesLiveAndStaysUp() throws Exception {
    cluster = new MigrationCluster(Files.createTempDirectory("ferry-mig-systemd-it")).start(Map.of(), Map.of());
    Image image = cluster.a.importImage("debian-12.tar.zst", "debian/12");
    String name = "deb-mig";
    Container before = cluster.a.agent().createContainer(CreateContainerRequest.newBuilder()
        .setSpec(ContainerSpec.newBuilder().setName(name).setImage("debian/12").setInit(InitKind.INIT_KIND_SYSTEMD))
        .setStart(true).build());
    awaitSystemd(cluster.a, name);
    cluster.a.exec(name, "sh", "-c", "echo kept > /run/marker; echo on-disk > /root/file");
    String bootId = cluster.a.exec(name, "cat", "/proc/sys/kernel/random/boot_id");
    // dbus-daemon's inotify watches must be in place before a dump (see AgentSystemdIT).
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).until(() ->
        Integer.parseInt(cluster.a.exec(name, "sh", "-c",
            "cat /proc/$(pidof dbus-daemon)/fdinfo/* 2>/dev/null | grep -c '^inotify wd' || true").strip()) >= 3);
    String mainPid = cluster.a.exec(name, "systemctl", "show", "-p", "ExecMainStartTimestampMonotonic", "systemd-journald");

    String id = newId("deb");
    Run run = migrate(id, name, cluster.a, cluster.b, MigrationMode.MIGRATION_MODE_LIVE, false);
    assertThat(run.error()).as("migration error").isNull();
    log.info("debian/12 live: total {} ms, frozen {} ms, rootfs {} B, memory {} B", run.result().getTotalMillis(),
        run.result().getFrozenMillis(), run.result().getRootfsBytes(), run.result().getMemoryBytes());
    commit(id, cluster.a, cluster.b);

    assertThat(cluster.b.agent().listImages(ListImagesRequest.getDefaultInstance()).getImagesList())
        .extracting(Image::getDigest).contains(image.getDigest());
    Container after = cluster.b.agent().getContainer(MigrationCluster.ref(name));
    assertThat(after.getState()).isEqualTo(ContainerState.CONTAINER_STATE_RUNNING);
    assertThat(after.getNetwork()).isEqualTo(before.getNetwork());
    awaitSystemd(cluster.b, name);
    assertThat(cluster.b.exec(name, "cat", "/run/marker")).as("tmpfs kept: not rebooted").isEqualTo("kept\n");
    assertThat(cluster.b.exec(name, "cat", "/root/file")).isEqualTo("on-disk\n");
    assertThat(cluster.b.exec(name, "systemctl", "show", "-p", "ExecMainStartTimestampMonotonic", "systemd-journald"))
        .as("journald was not restarted").isEqualTo(mainPid);
    assertThat(cluster.b.exec(name, "systemctl", "is-active", "systemd-journald", "dbus", "systemd-logind"))
        .isEqualTo("active\nactive\nactive\n");
    assertThat(bootId).isNotBlank();
    assertNothingOn(cluster.a, name, id);

    // And back: systemd's inotify watch on /etc/localtime's target, restored on b, must be
    // resolvable by the next dump (seen failing: "fsnotify: Can't dump that handle").
    String back = newId("deb-back");
    Run again = migrate(back, name, cluster.b, cluster.a, MigrationMode.MIGRATION_MODE_LIVE, false);
    assertThat(again.error()).as("second migration error").isNull();
    commit(back, cluster.b, cluster.a);
    awaitSystemd(cluster.a, name);
    assertThat(cluster.a.exec(name, "cat", "/run/marker")).as("still not rebooted").isEqualTo("kept\n");
    assertThat(cluster.a.exec(name, "systemctl", "is-active", "systemd-journald", "dbus", "systemd-logind"))
        .isEqualTo("active\nactive\nactive\n");
    assertNothingOn(cluster.b, name, back);
  }

  private static void awaitSystemd(MigrationCluster.Host host, String name) {
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() -> {
      String s = host.exec(name, "sh", "-c", "systemctl is-system-running || true").strip();
      return s.equals("running") || s.equals("degraded");
    });
  }

  static List<String> sh(String script) {
    return List.of("/bin/sh", "-c", script);
  }
}
