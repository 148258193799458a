package io.ferry.common.config;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The command line every Ferry daemon takes: {@code [--config FILE] [key=value ...]}, where the
 * pairs override the file's values.
 */
public record DaemonArgs(Path configFile, Map<String, String> overrides) {

  public DaemonArgs {
    overrides = Map.copyOf(overrides);
  }

  /**
   * @throws ConfigException on anything that is neither {@code --config FILE} nor {@code key=value}
   */
  public static DaemonArgs parse(String program, String[] args, Path defaultConfigFile) {
    Path configFile = defaultConfigFile;
    Map<String, String> overrides = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      int eq = arg.indexOf('=');
      if (arg.equals("--config") && i + 1 < args.length) {
        configFile = Path.of(args[++i]);
      } else if (eq > 0) {
        overrides.put(arg.substring(0, eq), arg.substring(eq + 1));
      } else {
        throw new ConfigException(
            null, "unexpected argument '" + arg + "'; usage: " + program + " [--config FILE] [key=value ...]");
      }
    }
    return new DaemonArgs(configFile, overrides);
  }
}
