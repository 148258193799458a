package io.ferry.cli.commands;

import io.ferry.common.ByteSize;
import io.ferry.common.Names;
import java.math.BigDecimal;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * Parsing of argument values shared by commands; every refusal is a usage error (exit 2) that
 * names the option and the value.
 *
 * <p>CPU amounts are in <b>cores</b>, as a decimal: {@code 0.5} is half a core (500 millicores),
 * {@code 2} two cores; at most three decimals (a millicore).
 */
final class Arguments {

  private Arguments() {}

  /** {@code auto}, {@code cold}, {@code near-live}, {@code live}, {@code post-copy}, {@code pre-copy}. */
  static io.ferry.proto.v1.MigrationMode migrationMode(CommandSpec spec, String value) {
    try {
      return io.ferry.proto.v1.MigrationMode.valueOf("MIGRATION_MODE_" + value.toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(),
          "unknown mode '" + value + "': use auto, cold, near-live, live, post-copy or pre-copy");
    }
  }

  static long size(CommandSpec spec, String option, String value) {
    try {
      return ByteSize.parse(value).bytes();
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), option + ": " + e.getMessage());
    }
  }

  /** Cores to millicores: {@code 0.5} is 500. */
  static long cpuMillis(CommandSpec spec, String option, String value) {
    BigDecimal cores;
    try {
      cores = new BigDecimal(value.trim());
    } catch (NumberFormatException e) {
      throw new ParameterException(spec.commandLine(),
          option + " is a number of cores, e.g. 0.5 or 2, not '" + value + "'");
    }
    if (cores.signum() <= 0) {
      throw new ParameterException(spec.commandLine(), option + " must be more than 0 cores, not '" + value + "'");
    }
    BigDecimal millis = cores.movePointRight(3);
    if (millis.stripTrailingZeros().scale() > 0) {
      throw new ParameterException(spec.commandLine(),
          option + ": '" + value + "' is finer than a millicore (0.001 core)");
    }
    try {
      return millis.longValueExact();
    } catch (ArithmeticException e) {
      throw new ParameterException(spec.commandLine(), option + ": '" + value + "' is too large");
    }
  }

  /** A positive whole number. */
  static long positive(CommandSpec spec, String option, String value) {
    try {
      long n = Long.parseLong(value.trim());
      if (n > 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // refused below
    }
    throw new ParameterException(spec.commandLine(), option + " must be a whole number above 0, not '" + value + "'");
  }

  /** A name the cluster will give to something new: checked here to save a round trip. */
  static String newName(CommandSpec spec, String what, String name) {
    String problem = Names.problem(what, name);
    if (problem != null) {
      throw new ParameterException(spec.commandLine(), problem);
    }
    return name;
  }

  /**
   * One value of an enum by its short name, case-insensitive, '-' for '_': {@code running} for
   * {@code CONTAINER_STATE_RUNNING} with prefix {@code CONTAINER_STATE_}, {@code host-lost} for
   * {@code CONTAINER_STATE_HOST_LOST}. UNSPECIFIED and
   * UNRECOGNIZED are not offered.
   */
  static <E extends Enum<E>> E choice(CommandSpec spec, String option, String value, Class<E> type, String prefix) {
    for (E e : type.getEnumConstants()) {
      if (offered(e) && e.name().equals(prefix + value.toUpperCase(Locale.ROOT).replace('-', '_'))) {
        return e;
      }
    }
    String choices = Arrays.stream(type.getEnumConstants())
        .filter(Arguments::offered)
        .map(e -> e.name().substring(prefix.length()).toLowerCase(Locale.ROOT).replace('_', '-'))
        .collect(Collectors.joining(", "));
    throw new ParameterException(spec.commandLine(), option + " must be one of " + choices + ", not '" + value + "'");
  }

  private static boolean offered(Enum<?> e) {
    return !e.name().endsWith("_UNSPECIFIED") && !e.name().equals("UNRECOGNIZED");
  }
}
