package io.ferry.agent.runtime.runc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.agent.AgentException;
import io.ferry.agent.runtime.RuntimeState;
import io.ferry.agent.runtime.RuntimeStatus;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class RuncJsonTest {

  /** As printed by runc 1.1.5 here. */
  private static final String STATE =
      """
      {
        "ociVersion": "1.0.2-dev",
        "id": "exp1",
        "pid": 25344,
        "status": "running",
        "bundle": "/tmp/rtexp/b",
        "rootfs": "/tmp/rtexp/b/rootfs",
        "created": "2026-11-29T21:26:26.731572323Z",
        "annotations": {
          "org.criu.config": "/tmp/rtexp/b/criu.conf"
        },
        "owner": ""
      }
      """;

  @Test
  void parsesState() {
    RuncState state = RuncJson.parseState(STATE);
    assertThat(state.id()).isEqualTo("exp1");
    assertThat(state.status()).isEqualTo(RuntimeStatus.RUNNING);
    assertThat(state.pid()).isEqualTo(25344);
    assertThat(state.created()).isEqualTo(Instant.parse("2026-11-29T21:26:26.731572323Z"));
    assertThat(state.bundle()).isEqualTo(Path.of("/tmp/rtexp/b"));
    assertThat(state.annotation("org.criu.config")).contains("/tmp/rtexp/b/criu.conf");

    RuntimeState neutral = state.toRuntimeState();
    assertThat(neutral.pid()).hasValue(25344);
    assertThat(neutral.alive()).isTrue();
  }

  @Test
  void parsesListSortedById() {
    String json =
        "[{\"ociVersion\":\"1.0.2-dev\",\"id\":\"b\",\"pid\":0,\"status\":\"stopped\",\"bundle\":\"/s/b\","
            + "\"rootfs\":\"/r\",\"created\":\"2026-11-29T21:26:26Z\",\"owner\":\"root\"},"
            + "{\"ociVersion\":\"1.0.2-dev\",\"id\":\"a\",\"pid\":7,\"status\":\"paused\",\"bundle\":\"/s/a\","
            + "\"rootfs\":\"/r\",\"created\":\"2026-11-29T21:26:27.5Z\",\"annotations\":{\"k\":\"v\"},\"owner\":\"root\"}]";
    List<RuncState> states = RuncJson.parseList(json);
    assertThat(states).extracting(RuncState::id).containsExactly("a", "b");
    assertThat(states.get(0).status()).isEqualTo(RuntimeStatus.PAUSED);
    assertThat(states.get(1).status()).isEqualTo(RuntimeStatus.STOPPED);
    assertThat(states.get(1).toRuntimeState().pid()).isEmpty();
    assertThat(states.get(1).toRuntimeState().alive()).isFalse();
  }

  @Test
  void readsPidAndCreationFromRuncsStateFile() {
    String file = "{\"id\":\"exp2\",\"init_process_pid\":25606,\"init_process_start\":224675,"
        + "\"created\":\"2026-11-29T21:48:16.733959634Z\",\"config\":{},\"rootless\":false}";
    var entry = RuncJson.parseStateFile(file).orElseThrow();
    assertThat(entry.getKey()).isEqualTo(25606);
    assertThat(entry.getValue()).isEqualTo(Instant.parse("2026-11-29T21:48:16.733959634Z"));
    assertThat(RuncJson.parseStateFile("{\"init_process_pid\":0,\"created\":\"2026-11-29T21:48:16Z\"}")).isEmpty();
    assertThat(RuncJson.parseStateFile("{\"created\":\"soon\",\"init_process_pid\":5}")).isEmpty();
    assertThat(RuncJson.parseStateFile("not json")).isEmpty();
  }

  @Test
  void emptyListIsNull() {
    assertThat(RuncJson.parseList("null\n")).isEmpty();
    assertThat(RuncJson.parseList("")).isEmpty();
  }

  @Test
  void mapsStatusWords() {
    assertThat(RuncJson.status("created")).isEqualTo(RuntimeStatus.CREATED);
    assertThat(RuncJson.status("pausing")).isEqualTo(RuntimeStatus.RUNNING);
    assertThatThrownBy(() -> RuncJson.status("exploded"))
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(AgentException.Kind.INTERNAL))
        .hasMessageContaining("exploded");
  }

  @Test
  void malformedOutputIsInternalAndQuoted() {
    assertThatThrownBy(() -> RuncJson.parseState("{\"id\": \"x\""))
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(AgentException.Kind.INTERNAL))
        .hasMessageContaining("malformed");
    assertThatThrownBy(() -> RuncJson.parseState("{\"id\": \"x\", \"status\": \"running\"}"))
        .hasMessageContaining("created");
  }
}
