package io.ferry.cli.commands;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.ferry.cli.testing.CliHarness.Result;
import io.ferry.proto.v1.ExecOutput;
import io.ferry.proto.v1.ExecRequest;
import io.grpc.Status;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExecCommandTest extends ClusterCommandTest {

  private static ExecOutput stdout(byte[] bytes) {
    return ExecOutput.newBuilder().setStdout(ByteString.copyFrom(bytes)).build();
  }

  private static ExecOutput stderr(String text) {
    return ExecOutput.newBuilder().setStderr(ByteString.copyFromUtf8(text)).build();
  }

  private static ExecOutput exit(int code) {
    return ExecOutput.newBuilder().setExitCode(code).build();
  }

  @Test
  void streamsOutputThroughAndExitsWithTheCommandsCode() {
    coordinator.execOutput = List.of(stdout("hello\n".getBytes()), stderr("warning\n"), exit(3));

    Result r = cli.run("exec", "web-1", "--", "sh", "-c", "echo hello; echo warning >&2; exit 3");

    assertThat(r.exit()).isEqualTo(3);
    assertThat(r.out()).isEqualTo("hello\n");
    assertThat(r.err()).isEqualTo("warning\n");
    ExecRequest request = coordinator.last(ExecRequest.class);
    assertThat(request.getName()).isEqualTo("web-1");
    assertThat(request.getCommandList()).containsExactly("sh", "-c", "echo hello; echo warning >&2; exit 3");
  }

  @Test
  void bytesPassUntouchedEvenAMultibyteCharacterSplitAcrossMessages() {
    byte[] euro = "€".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] binary = {0, (byte) 0xff, (byte) 0xfe, 10};
    coordinator.execOutput = List.of(
        stdout(new byte[] {euro[0]}), stdout(new byte[] {euro[1], euro[2]}), stdout(binary), exit(0));

    Result r = cli.run("exec", "web-1", "--", "cat", "/some/file");

    assertThat(r.exit()).isZero();
    assertThat(r.outBytes()).containsExactly(euro[0], euro[1], euro[2], 0, (byte) 0xff, (byte) 0xfe, 10);
  }

  @Test
  void mapsEnvironmentDirectoryAndTimeout() {
    coordinator.execOutput = List.of(exit(0));

    assertThat(cli.run("exec", "web-1", "--env", "LANG=C", "--cwd", "/tmp", "--timeout", "9", "--", "ls").exit()).isZero();

    ExecRequest request = coordinator.last(ExecRequest.class);
    assertThat(request.getEnvMap()).isEqualTo(Map.of("LANG", "C"));
    assertThat(request.getCwd()).isEqualTo("/tmp");
    assertThat(request.getTimeoutSeconds()).isEqualTo(9);
  }

  @Test
  void aStreamWithoutAnExitCodeIsAnError() {
    coordinator.execOutput = List.of(stdout("partial".getBytes()));

    Result r = cli.run("exec", "web-1", "--", "true");

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("UNKNOWN: the exec stream ended without the command's exit code");
  }

  @Test
  void aContainerNotRunningIsAServerError() {
    coordinator.failures.put("exec", Status.FAILED_PRECONDITION.withDescription("web-1 is STOPPED"));

    Result r = cli.run("exec", "web-1", "--", "true");

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).isEqualTo("Error: FAILED_PRECONDITION: web-1 is STOPPED\n");
  }

  @Test
  void aCommandIsRequired() {
    Result r = cli.run("exec", "web-1");

    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("CMD");
    assertThat(coordinator.requests).isEmpty();
  }
}
