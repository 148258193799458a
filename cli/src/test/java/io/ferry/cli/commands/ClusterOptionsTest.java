package io.ferry.cli.commands;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.cli.Environment;
import io.ferry.cli.testing.CliHarness;
import io.ferry.cli.testing.CliHarness.Result;
import io.ferry.cli.testing.FakeCoordinator;
import io.ferry.proto.v1.LaunchRequest;
import io.ferry.proto.v1.ListClusterContainersRequest;
import io.grpc.Status;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** --coordinator, FERRY_COORDINATOR, failover and --output, as a script sees them. */
class ClusterOptionsTest {

  private final CliHarness cli = new CliHarness();

  @AfterEach
  void tearDown() {
    cli.close();
  }

  @Test
  void withoutOptionOrVariableTheLocalCoordinatorIsUsed() throws Exception {
    cli.environment = Environment.plain();
    cli.start(ClusterOptions.DEFAULT_COORDINATOR);

    assertThat(cli.run("list").exit()).isZero();
    assertThat(cli.dialled).containsExactly("127.0.0.1:7700");
  }

  @Test
  void theVariableNamesTheCoordinatorsAndTheOptionWinsOverIt() throws Exception {
    cli.environment = new Environment(Map.of("FERRY_COORDINATOR", "from-env:7700"), false);
    cli.start("from-env:7700");
    cli.start("from-option:7700");

    cli.run("list");
    cli.run("list", "--coordinator", "from-option:7700");
    cli.run("--coordinator", "from-option:7700", "list");

    assertThat(cli.dialled).containsExactly("from-env:7700", "from-option:7700", "from-option:7700");
  }

  @Test
  void aScriptKeepsWorkingWhenTheFirstCoordinatorIsDown() throws Exception {
    FakeCoordinator second = cli.start("c2:7700");

    Result r = cli.run("launch", "busybox", "box-1", "--coordinator", "dead:7700,c2:7700");

    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(second.last(LaunchRequest.class).getSpec().getName()).isEqualTo("box-1");
    // The operation is followed on the coordinator that answered, without asking the dead one again.
    assertThat(cli.dialled).containsExactly("dead:7700", "c2:7700");
    assertThat(r.out()).isEqualTo("box-1 launched on host-1\n");
  }

  @Test
  void aFollowerSendsTheCallToTheLeaderItNames() throws Exception {
    FakeCoordinator follower = cli.start("c1:7700");
    follower.failures.put("list", Status.UNAVAILABLE.withDescription("not the leader; leader is c3:7700"));
    FakeCoordinator leader = cli.start("c3:7700");

    Result r = cli.run("list", "--coordinator", "c1:7700,c2:7700");

    assertThat(r.exit()).isZero();
    assertThat(leader.all(ListClusterContainersRequest.class)).hasSize(1);
    assertThat(cli.dialled).containsExactly("c1:7700", "c3:7700");
  }

  @Test
  void whenAllAreDownTheErrorNamesEachAndExitsOne() {
    Result r = cli.run("list", "--coordinator", "dead-1:7700,dead-2:7700", "--retry-for", "0");

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).startsWith("Error: UNAVAILABLE: no coordinator answered: dead-1:7700 (").contains("; dead-2:7700 (");
  }

  @Test
  void outputGivenBeforeTheVerbApplies() throws Exception {
    cli.start(CliHarness.ADDRESS);

    assertThat(cli.run("-o", "json", "list").out()).isEqualTo("{\n  \"containers\": []\n}\n");
    assertThat(cli.run("--output", "json", "list", "--output", "table").out()).isEqualTo("NAME  STATE  HOST  IMAGE  ADDRESS  CPU  MEMORY  OPERATION\n");
  }

  @Test
  void badGlobalValuesAreUsageErrors() {
    assertUsage(cli.run("list", "-o", "yaml"), "--output must be table or json, not 'yaml'");
    assertUsage(cli.run("list", "--coordinator", "a:1,,b:1"), "--coordinator: an empty address in 'a:1,,b:1'");
    assertUsage(cli.run("list", "--call-timeout", "0"), "--call-timeout must be at least 1 seconds, not 0");
    assertUsage(cli.run(), "Missing required subcommand");
    assertUsage(cli.run("image"), "Missing required subcommand");
    assertUsage(cli.run("list", "extra"), "Unmatched argument at index 1: 'extra'");
    assertThat(cli.dialled).isEmpty();
  }

  private static void assertUsage(Result r, String message) {
    assertThat(r.exit()).as(r.toString()).isEqualTo(2);
    assertThat(r.err()).contains(message);
  }
}
