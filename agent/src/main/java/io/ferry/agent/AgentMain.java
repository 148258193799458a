package io.ferry.agent;

import io.ferry.common.config.ZooKeeperClientDefaults;
import io.ferry.agent.config.AgentConfig;
import io.ferry.common.config.ConfigException;
import io.ferry.common.config.DaemonArgs;

/**
 * {@code ferry-agent [--config FILE] [key=value ...]}: starts the agent and serves until killed.
 * Exit code 2 on bad configuration, 1 on any other start failure.
 */
public final class AgentMain {

  private AgentMain() {}

  public static void main(String[] args) throws Exception {
    useFastProcessSpawn();
    ZooKeeperClientDefaults.apply();
    AgentConfig config;
    try {
      DaemonArgs daemonArgs = DaemonArgs.parse("ferry-agent", args, AgentConfig.DEFAULT_CONFIG_FILE);
      config = AgentConfig.load(daemonArgs.configFile(), AgentConfig.HOST_ENV_FILE, daemonArgs.overrides());
    } catch (ConfigException | IllegalArgumentException e) {
      System.err.println("ferry-agent: " + e.getMessage());
      System.exit(2);
      return;
    }
    AgentServer server = new AgentServer(config).start();
    Runtime.getRuntime().addShutdownHook(new Thread(server::closeQuietly, "agent-shutdown"));
    server.awaitTermination();
  }

  /**
   * The agent spends its time starting short programs (runc, ip, mount); vfork starts them about
   * 1 ms faster than the JDK 17 default (posix_spawn through a helper). Must run before the first
   * process is started in this JVM; an explicit -Djdk.lang.Process.launchMechanism wins.
   */
  public static void useFastProcessSpawn() {
    if (System.getProperty("jdk.lang.Process.launchMechanism") == null) {
      System.setProperty("jdk.lang.Process.launchMechanism", "VFORK");
    }
  }

  /** The software version from the jar's manifest, or "dev" when run from classes. */
  public static String version() {
    String v = AgentMain.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }
}
