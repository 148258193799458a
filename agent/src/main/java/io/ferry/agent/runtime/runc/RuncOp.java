package io.ferry.agent.runtime.runc;

/** The runc subcommands the driver runs; used to name them in logs and to map their errors. */
enum RuncOp {
  START("run"),
  STATE("state"),
  LIST("list"),
  KILL("kill"),
  DELETE("delete"),
  PAUSE("pause"),
  RESUME("resume"),
  UPDATE("update"),
  EXEC("exec"),
  CHECKPOINT("checkpoint"),
  RESTORE("restore");

  private final String subcommand;

  RuncOp(String subcommand) {
    this.subcommand = subcommand;
  }

  String subcommand() {
    return subcommand;
  }
}
