package io.ferry.cli.commands;

import io.ferry.cli.FerryCli;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/**
 * {@code ferry agent ...}: talks to one agent directly, for diagnosis and for a cluster that has
 * no coordinator yet (the quickstart). The cluster-wide verbs ({@code ferry launch}, ...) go
 * through the coordinator.
 */
@Command(
    name = "agent",
    description = "Talk to one agent directly (diagnosis, single host).",
    subcommands = {
      AgentInfoCommand.class,
      AgentImageCommands.Import.class,
      AgentImageCommands.ListImages.class,
      AgentContainerCommands.Launch.class,
      AgentContainerCommands.ListContainers.class,
      AgentContainerCommands.Exec.class,
      AgentContainerCommands.Stop.class,
      AgentContainerCommands.Start.class,
      AgentContainerCommands.Delete.class,
    })
public final class AgentCommand {

  @ParentCommand FerryCli cli;
}
