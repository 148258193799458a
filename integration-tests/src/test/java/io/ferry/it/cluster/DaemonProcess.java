package io.ferry.it.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Ferry daemon (agent or coordinator) running from its packaged jar as a separate JVM, its
 * output in a log file the harness dumps when a test fails.
 */
public final class DaemonProcess implements AutoCloseable {

  private final String name;
  private final Path jar;
  private final List<String> settings;
  private final Path log;
  private final List<String> prefix;
  private Process process;

  DaemonProcess(String name, Path jar, List<String> settings, Path log) {
    this(name, jar, settings, log, List.of());
  }

  /**
   * @param prefix argv before {@code java}, e.g. {@code nsenter --net=/run/netns/HOST} to run the
   *     daemon in a simulated host's network namespace ({@code nsenter} execs, so the process is
   *     the JVM itself and a kill reaches it)
   */
  public DaemonProcess(String name, Path jar, List<String> settings, Path log, List<String> prefix) {
    this.name = name;
    this.jar = jar;
    this.settings = List.copyOf(settings);
    this.log = log;
    this.prefix = List.copyOf(prefix);
  }

  public DaemonProcess start() throws IOException {
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar + " is missing: package the modules first (mvn verify builds them)");
    }
    List<String> command = new ArrayList<>(prefix);
    command.addAll(List.of("java", "-Xmx512m", "-XX:+UseSerialGC", "-jar", jar.toString(), "--config", "/nonexistent/ferry.properties"));
    command.addAll(settings);
    process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    return this;
  }

  public String name() {
    return name;
  }

  public boolean isAlive() {
    return process != null && process.isAlive();
  }

  /** SIGKILL, as a crash: no shutdown hook runs. */
  public void kill() throws InterruptedException {
    if (process != null) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }

  /** SIGTERM: the daemon shuts down cleanly. */
  public void stop() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        kill();
      }
    }
  }

  public String logTail(int lines) {
    try {
      List<String> all = Files.readAllLines(log);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }
}
