package io.ferry.agent.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.agent.runtime.InitKind;
import io.ferry.agent.lifecycle.ContainerRecord.NetworkIdentity;
import io.ferry.agent.runtime.Limits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContainerRepositoryTest {

  @TempDir Path dir;

  @Test
  void recordsSurviveANewRepositoryInstance() throws Exception {
    Limits limits =
        new Limits(OptionalLong.of(512), OptionalLong.empty(), OptionalLong.empty(), OptionalLong.of(64L << 20), OptionalLong.of(100));
    ContainerRecord web =
        new ContainerRecord(
            "web", "debian/12", "ab".repeat(32), InitKind.SYSTEMD, List.of(), Map.of("A", "1"), limits,
            ContainerStatus.RUNNING, "started", Instant.parse("2026-11-29T10:00:00Z"), Instant.parse("2026-11-29T10:00:01Z"),
            new NetworkIdentity("10.100.0.2", 24, "10.100.0.1", "02:00:00:00:00:01"), true);
    new ContainerRepository(dir).save(web);
    new ContainerRepository(dir).save(web.copyAs("db", Instant.parse("2026-11-29T11:00:00Z")));
    Files.createDirectories(dir.resolve("junk"));
    Files.createDirectories(dir.resolve("broken"));
    Files.writeString(dir.resolve("broken/container.json"), "{not json");

    ContainerRepository again = new ContainerRepository(dir);

    assertThat(again.find("web")).contains(web);
    assertThat(again.loadAll()).extracting(ContainerRecord::name).containsExactly("db", "web");
    assertThat(again.find("db").orElseThrow().network()).isNull();
    assertThat(again.find("db").orElseThrow().ha()).as("a copy is a new container, not HA").isFalse();
    assertThat(again.find("nope")).isEmpty();

    again.delete("web");
    assertThat(again.find("web")).isEmpty();
  }

  @Test
  void aRecordWrittenBeforeHaExistedReadsAsNotHa() throws Exception {
    Instant at = Instant.parse("2026-11-29T10:00:00Z");
    ContainerRepository repository = new ContainerRepository(dir);
    repository.save(new ContainerRecord("old", "busybox", "ef".repeat(32), InitKind.GENERIC, List.of(), Map.of(), Limits.NONE,
        ContainerStatus.STOPPED, "", at, at, null, true));
    Path file = dir.resolve("old/container.json");
    String withoutHa = Files.readString(file).replaceAll(",?\\s*\"ha\"\\s*:\\s*true", "");
    assertThat(withoutHa).doesNotContain("\"ha\"");
    Files.writeString(file, withoutHa);

    ContainerRecord old = new ContainerRepository(dir).find("old").orElseThrow();

    assertThat(old.ha()).isFalse();
    assertThat(old.imageDigest()).isEqualTo("ef".repeat(32));
  }

  @Test
  void aStatusChangeKeepsTheCreationTime() {
    Instant created = Instant.parse("2026-11-29T10:00:00Z");
    ContainerRecord r =
        new ContainerRecord("web", "busybox", "cd".repeat(32), InitKind.GENERIC, List.of("/bin/sh"), Map.of(), Limits.NONE,
            ContainerStatus.STOPPED, "", created, created, null, false);

    ContainerRecord running = r.withStatus(ContainerStatus.RUNNING, "started", created.plusSeconds(5));

    assertThat(running.createdAt()).isEqualTo(created);
    assertThat(running.stateSince()).isEqualTo(created.plusSeconds(5));
    assertThat(running.status()).isEqualTo(ContainerStatus.RUNNING);
  }
}
