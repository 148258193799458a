package io.ferry.bench;

import io.ferry.common.process.Command;
import io.ferry.proto.v1.ContainerRef;
import io.ferry.proto.v1.ContainerSpec;
import io.ferry.proto.v1.CreateContainerRequest;
import io.ferry.proto.v1.DeleteContainerRequest;
import io.ferry.proto.v1.ExecOutput;
import io.ferry.proto.v1.ExecRequest;
import io.ferry.proto.v1.InitKind;
import io.ferry.proto.v1.StopContainerRequest;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code agent-launch}: create + start of a busybox container from a cached image through the
 * agent's gRPC API (overlay mount, network namespace and veth, OCI bundle, {@code runc run -d}),
 * against bare {@code runc run -d} of the same bundle (the baseline), interleaved; then the time
 * a Debian 12 container takes from the start request until systemd says running (or degraded).
 *
 * <p>Options: {@code --runs N} (default 50), {@code --systemd-runs N} (default 3).
 */
final class AgentLaunchBenchmark implements Benchmark {

  private static final List<String> SLEEPER = List.of("/bin/sh", "-c", "while true; do sleep 1; done");

  @Override
  public String name() {
    return "agent-launch";
  }

  @Override
  public String description() {
    return "busybox create+start through the agent's gRPC API vs bare runc run -d; systemd boot to running";
  }

  @Override
  public Map<String, String> run(Map<String, String> options) throws Exception {
    int runs = Integer.parseInt(options.getOrDefault("runs", "50"));
    int systemdRuns = Integer.parseInt(options.getOrDefault("systemd-runs", "3"));
    try (LocalAgent agent = new LocalAgent()) {
      agent.importImage("busybox.tar.zst", "busybox");
      agent.importImage("debian-12.tar.zst", "debian/12");
      Path runcRoot = Files.createTempDirectory("ferry-bench-runc-");
      Path bundle = baselineBundle(agent);

      double[] agentMs = new double[runs];
      double[] runcMs = new double[runs];
      for (int i = 0; i < runs; i++) {
        String name = "launch-" + i;
        long t0 = System.nanoTime();
        agent.stub().createContainer(CreateContainerRequest.newBuilder()
            .setSpec(ContainerSpec.newBuilder().setName(name).setImage("busybox").setInit(InitKind.INIT_KIND_GENERIC).addAllCommand(SLEEPER))
            .setStart(true).build());
        agentMs[i] = (System.nanoTime() - t0) / 1e6;
        agent.stub().deleteContainer(DeleteContainerRequest.newBuilder().setName(name).setForce(true).build());

        long t1 = System.nanoTime();
        runc(runcRoot, "run", "--detach", "--bundle", bundle.toString(), "bare-" + i);
        runcMs[i] = (System.nanoTime() - t1) / 1e6;
        runc(runcRoot, "delete", "--force", "bare-" + i);
      }
      agent.stub().deleteContainer(DeleteContainerRequest.newBuilder().setName("baseline").setForce(true).build());

      double[] bootMs = new double[systemdRuns];
      for (int i = 0; i < systemdRuns; i++) {
        bootMs[i] = systemdBoot(agent, "systemd-" + i);
      }

      Samples a = new Samples(agentMs);
      Samples r = new Samples(runcMs);
      Samples b = new Samples(bootMs);
      Map<String, String> out = new LinkedHashMap<>();
      out.put("runs", String.valueOf(runs));
      out.put("agent_launch_p50_ms", Samples.format(a.percentile(50)));
      out.put("agent_launch_p99_ms", Samples.format(a.percentile(99)));
      out.put("runc_launch_p50_ms", Samples.format(r.percentile(50)));
      out.put("runc_launch_p99_ms", Samples.format(r.percentile(99)));
      out.put("agent_vs_runc_p50_ratio", Samples.format(a.percentile(50) / r.percentile(50)));
      out.put("systemd_runs", String.valueOf(systemdRuns));
      out.put("systemd_boot_to_running_ms", Samples.format(b.percentile(50)));
      out.put("systemd_boot_to_running_max_ms", Samples.format(b.percentile(100)));
      Command.of("rm", "-rf", runcRoot.toString()).run();
      return out;
    }
  }

  /**
   * The bundle the agent wrote for a running busybox container, copied: config.json names the
   * same overlay rootfs and network namespace, so bare runc starts exactly what the agent starts.
   */
  private static Path baselineBundle(LocalAgent agent) throws Exception {
    agent.stub().createContainer(CreateContainerRequest.newBuilder()
        .setSpec(ContainerSpec.newBuilder().setName("baseline").setImage("busybox").setInit(InitKind.INIT_KIND_GENERIC).addAllCommand(SLEEPER))
        .setStart(true).build());
    Path bundle = Files.createTempDirectory("ferry-bench-bundle-");
    Files.copy(agent.stateDir.resolve("bundles/baseline/config.json"), bundle.resolve("config.json"));
    agent.stub().stopContainer(StopContainerRequest.newBuilder().setName("baseline").setForce(true).build());
    return bundle;
  }

  private static void runc(Path root, String... args) {
    List<String> argv = new java.util.ArrayList<>(List.of("runc", "--root", root.toString()));
    argv.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(argv)
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(ProcessBuilder.Redirect.DISCARD)
          .start();
      if (p.waitFor() != 0) {
        throw new IllegalStateException("runc " + String.join(" ", args) + " exited " + p.exitValue());
      }
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** From the start request until `systemctl is-system-running` says running or degraded. */
  private static double systemdBoot(LocalAgent agent, String name) {
    long t0 = System.nanoTime();
    agent.stub().createContainer(CreateContainerRequest.newBuilder()
        .setSpec(ContainerSpec.newBuilder().setName(name).setImage("debian/12").setInit(InitKind.INIT_KIND_SYSTEMD))
        .setStart(true).build());
    awaitSystemd(agent, name);
    double ms = (System.nanoTime() - t0) / 1e6;
    agent.stub().deleteContainer(DeleteContainerRequest.newBuilder().setName(name).setForce(true).build());
    return ms;
  }

  /** Polls `systemctl is-system-running` until running or degraded (60 s at most). */
  static void awaitSystemd(LocalAgent agent, String name) {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      String state = execStdout(agent, name, List.of("systemctl", "is-system-running")).strip();
      if (state.equals("running") || state.equals("degraded")) {
        return;
      }
    }
    throw new IllegalStateException("systemd in " + name + " not running after 60 s: " + agent.stub().getContainer(ContainerRef.newBuilder().setName(name).build()));
  }

  private static String execStdout(LocalAgent agent, String name, List<String> command) {
    StringBuilder out = new StringBuilder();
    Iterator<ExecOutput> it = agent.stub().exec(ExecRequest.newBuilder().setName(name).addAllCommand(command).build());
    while (it.hasNext()) {
      ExecOutput o = it.next();
      if (o.getPartCase() == ExecOutput.PartCase.STDOUT) {
        out.append(o.getStdout().toStringUtf8());
      }
    }
    return out.toString();
  }
}
