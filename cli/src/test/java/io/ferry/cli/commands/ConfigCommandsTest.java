package io.ferry.cli.commands;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.cli.testing.CliHarness.Result;
import io.ferry.proto.v1.Limits;
import io.ferry.proto.v1.UpdateLimitsRequest;
import org.junit.jupiter.api.Test;

class ConfigCommandsTest extends ClusterCommandTest {

  @Test
  void setsOnlyTheLimitsGivenAndPrintsThoseInForce() {
    Result r = cli.run("config", "set", "web-1", "limits.memory=512MiB", "limits.cpu=0.25", "limits.pids=200");

    assertThat(r.exit()).as(r.toString()).isZero();
    UpdateLimitsRequest request = coordinator.last(UpdateLimitsRequest.class);
    assertThat(request.getName()).isEqualTo("web-1");
    assertThat(request.getLimits()).isEqualTo(Limits.newBuilder()
        .setMemoryBytes(512L << 20).setCpuQuotaMicros(25_000).setCpuPeriodMicros(100_000).setPidsMax(200).build());
    assertThat(r.out()).isEqualTo(
        "KEY            VALUE\n"
            + "limits.cpu     0.25\n"
            + "limits.memory  512MiB\n"
            + "limits.pids    200\n");
  }

  @Test
  void aKeyNotGivenIsNotSent() {
    assertThat(cli.run("config", "set", "web-1", "limits.memory=1GiB").exit()).isZero();

    Limits limits = coordinator.last(UpdateLimitsRequest.class).getLimits();
    assertThat(limits.hasMemoryBytes()).isTrue();
    assertThat(limits.hasCpuQuotaMicros()).isFalse();
    assertThat(limits.hasPidsMax()).isFalse();
  }

  @Test
  void jsonIsTheContainerAsUpdated() {
    Result r = cli.run("config", "set", "web-1", "limits.pids=64", "-o", "json");

    assertThat(r.out()).contains("\"pidsMax\": \"64\"").contains("\"host\": \"host-1\"");
  }

  @Test
  void unknownRepeatedOrMalformedKeysAreUsageErrorsAndNothingIsSent() {
    assertUsage(cli.run("config", "set", "web-1", "limits.disk=2GiB"),
        "unknown key 'limits.disk' (known: limits.cpu, limits.memory, limits.pids)");
    assertUsage(cli.run("config", "set", "web-1", "limits.pids=1", "limits.pids=2"), "key 'limits.pids' given twice");
    assertUsage(cli.run("config", "set", "web-1", "limits.memory"), "expected KEY=VALUE, not 'limits.memory'");
    assertUsage(cli.run("config", "set", "web-1", "limits.memory=big"), "limits.memory: not a size: 'big'");
    assertUsage(cli.run("config", "set", "web-1", "limits.pids=-1"), "limits.pids must be a whole number above 0");
    assertUsage(cli.run("config", "set", "web-1"), "KEY=VALUE");
    assertThat(coordinator.requests).isEmpty();
  }

  private static void assertUsage(Result r, String message) {
    assertThat(r.exit()).as(r.toString()).isEqualTo(2);
    assertThat(r.err()).contains(message);
  }
}
