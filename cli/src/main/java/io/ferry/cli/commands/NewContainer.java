package io.ferry.cli.commands;

import io.ferry.proto.v1.ContainerSpec;
import io.ferry.proto.v1.InitKind;
import io.ferry.proto.v1.Limits;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The spec of a new container as {@code ferry launch} and {@code ferry agent launch} build it from
 * their arguments; a refused value is a usage error (exit 2) that names the option.
 */
final class NewContainer {

  private NewContainer() {}

  /** {@code limits} with {@code --memory} as the hard memory limit, when it was given. */
  static Limits.Builder withMemory(CommandSpec spec, Limits.Builder limits, String memory) {
    if (memory != null) {
      limits.setMemoryBytes(Arguments.size(spec, "--memory", memory));
    }
    return limits;
  }

  /**
   * NAME from IMAGE, with PID 1 {@code --init} ({@code systemd} or {@code generic}) running
   * {@code command} (empty: the image's {@code /sbin/init}), under {@code limits}.
   */
  static ContainerSpec.Builder spec(
      CommandSpec spec, String name, String image, String init, List<String> command, Limits.Builder limits) {
    return ContainerSpec.newBuilder()
        .setName(name)
        .setImage(image)
        .setInit(Arguments.choice(spec, "--init", init, InitKind.class, "INIT_KIND_"))
        .addAllCommand(command)
        .setLimits(limits);
  }
}
