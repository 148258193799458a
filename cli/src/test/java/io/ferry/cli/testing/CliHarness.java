package io.ferry.cli.testing;

import io.ferry.cli.Channels;
import io.ferry.cli.Environment;
import io.ferry.cli.FerryCli;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs {@code ferry} command lines against fake coordinators in process. Each address a test
 * starts maps to an in-process server; any other address has no server, so calls to it fail
 * with UNAVAILABLE as a dead coordinator's would. The default environment names
 * {@link #ADDRESS} in FERRY_COORDINATOR, and stderr is not a terminal.
 */
public final class CliHarness implements AutoCloseable {

  public static final String ADDRESS = "c1:7700";

  private final Map<String, String> names = new HashMap<>();
  private final List<FakeCoordinator> started = new ArrayList<>();
  /** Addresses the CLI opened channels to, in order. */
  public final List<String> dialled = new ArrayList<>();
  public Environment environment = new Environment(Map.of("FERRY_COORDINATOR", ADDRESS), false);

  public FakeCoordinator start(String address) throws IOException {
    String name = InProcessServerBuilder.generateName();
    names.put(address, name);
    FakeCoordinator coordinator = new FakeCoordinator(name);
    started.add(coordinator);
    return coordinator;
  }

  public Channels channels() {
    return address -> {
      dialled.add(address);
      return InProcessChannelBuilder.forName(names.getOrDefault(address, "nothing-at-" + address)).build();
    };
  }

  public Result run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = FerryCli.run(channels(), environment, out, err, args);
    return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8), out.toByteArray());
  }

  @Override
  public void close() {
    started.forEach(FakeCoordinator::close);
  }

  /** What one command line did. */
  public record Result(int exit, String out, String err, byte[] outBytes) {
    @Override
    public String toString() {
      return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }
}
