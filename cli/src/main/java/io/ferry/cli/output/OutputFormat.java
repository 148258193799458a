package io.ferry.cli.output;

/** How a command prints its result: tables for people, JSON (the API's own form) for scripts. */
public enum OutputFormat {
  TABLE,
  JSON
}
