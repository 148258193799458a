package io.ferry.coordinator;

import io.ferry.common.config.ZooKeeperClientDefaults;
import io.ferry.common.config.ConfigException;
import io.ferry.common.config.DaemonArgs;
import io.ferry.coordinator.config.CoordinatorConfig;

/**
 * {@code ferry-coordinator [--config FILE] [key=value ...]}: starts a coordinator and serves until
 * killed. Exit code 2 on bad configuration, 1 on any other start failure.
 */
public final class CoordinatorMain {

  private CoordinatorMain() {}

  public static void main(String[] args) throws Exception {
    ZooKeeperClientDefaults.apply();
    CoordinatorConfig config;
    try {
      DaemonArgs daemonArgs = DaemonArgs.parse("ferry-coordinator", args, CoordinatorConfig.DEFAULT_CONFIG_FILE);
      config = CoordinatorConfig.load(daemonArgs.configFile(), daemonArgs.overrides());
    } catch (ConfigException | IllegalArgumentException e) {
      System.err.println("ferry-coordinator: " + e.getMessage());
      System.exit(2);
      return;
    }
    CoordinatorServer server = new CoordinatorServer(config).start();
    Runtime.getRuntime().addShutdownHook(new Thread(server::closeQuietly, "coordinator-shutdown"));
    server.awaitTermination();
  }
}
