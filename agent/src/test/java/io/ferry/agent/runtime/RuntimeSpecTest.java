package io.ferry.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.agent.AgentException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

class RuntimeSpecTest {

  private static final Path ROOTFS = Path.of("/var/lib/ferry/c/rootfs");
  private static final Path LOG = Path.of("/var/log/ferry/c.log");

  @Test
  void defaults() {
    RuntimeSpec spec = RuntimeSpec.builder("web-1", ROOTFS, LOG).build();
    assertThat(spec.args()).containsExactly("/sbin/init");
    assertThat(spec.initKind()).isEqualTo(InitKind.GENERIC);
    assertThat(spec.hostname()).isEqualTo("web-1");
    assertThat(spec.limits()).isEqualTo(Limits.NONE);
    assertThat(spec.networkNamespace()).isEmpty();
  }

  @Test
  void refusesBadValuesAsInvalidArgument() {
    invalid(() -> RuntimeSpec.builder("Web_1", ROOTFS, LOG).build());
    invalid(() -> RuntimeSpec.builder("web", Path.of("rootfs"), LOG).build());
    invalid(() -> RuntimeSpec.builder("web", ROOTFS, Path.of("c.log")).build());
    invalid(() -> RuntimeSpec.builder("web", ROOTFS, LOG).args(List.of()).build());
    invalid(() -> RuntimeSpec.builder("web", ROOTFS, LOG).hostname("bad host").build());
    invalid(() -> RuntimeSpec.builder("web", ROOTFS, LOG).env("A=B", "c").build());
    invalid(() -> RuntimeSpec.builder("web", ROOTFS, LOG).networkNamespace(Path.of("netns/x")).build());
  }

  @Test
  void execSpecRefusesAnEmptyCommand() {
    invalid(() -> ExecSpec.of(List.of()));
    invalid(() -> ExecSpec.of(""));
    invalid(() -> new ExecSpec(List.of("true"), Map.of(), "relative", Duration.ofSeconds(1)));
    invalid(() -> ExecSpec.of("true").withTimeout(Duration.ZERO));
    assertThat(ExecSpec.of("true").timeout()).isEqualTo(ExecSpec.DEFAULT_TIMEOUT);
  }

  @Test
  void signals() {
    assertThat(Signal.SYSTEMD_HALT.number()).isEqualTo(37);
    assertThat(Signal.TERM.number()).isEqualTo(15);
    invalid(() -> new Signal("SIGBOGUS", 65));
  }

  private static void invalid(ThrowingCallable call) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(AgentException.Kind.INVALID_ARGUMENT));
  }
}
