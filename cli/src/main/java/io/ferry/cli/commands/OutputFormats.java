package io.ferry.cli.commands;

import io.ferry.cli.output.OutputFormat;
import java.util.Locale;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** Parses {@code --output}; a bad value is a usage error (exit code 2). */
final class OutputFormats {

  private OutputFormats() {}

  static OutputFormat parse(CommandSpec spec, String value) {
    try {
      return OutputFormat.valueOf(value.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--output must be table or json, not '" + value + "'");
    }
  }
}
