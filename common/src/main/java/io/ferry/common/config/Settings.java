package io.ferry.common.config;

import io.ferry.common.ByteSize;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Typed reads over flat {@code key=value} configuration (a properties file, or overrides from the
 * command line), used once at start to build each program's immutable config record.
 *
 * <p>Every getter takes the default in one place, parses the value into its type and fails with a
 * {@link ConfigException} naming the key and the source. {@link #rejectUnknownKeys()} is called
 * after all reads, so a misspelt key fails the start instead of being ignored. Not thread-safe:
 * build the config on one thread.
 */
public final class Settings {

  private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h)");

  private final String source;
  private final Map<String, String> values;
  private final Set<String> read = new HashSet<>();

  private Settings(String source, Map<String, String> values) {
    this.source = source;
    this.values = values;
  }

  public static Settings of(String source, Map<String, String> values) {
    return new Settings(source, new LinkedHashMap<>(values));
  }

  /** Loads a properties file; a missing file is an empty configuration. */
  public static Settings load(Path file) {
    Map<String, String> values = new LinkedHashMap<>();
    if (Files.exists(file)) {
      Properties properties = new Properties();
      try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        properties.load(reader);
      } catch (IOException e) {
        throw new ConfigException(null, "cannot read " + file + ": " + e.getMessage());
      }
      properties.stringPropertyNames().forEach(k -> values.put(k, properties.getProperty(k).trim()));
    }
    return new Settings(file.toString(), values);
  }

  /** A copy where {@code overrides} replace this configuration's values key by key. */
  public Settings with(Map<String, String> overrides) {
    Map<String, String> merged = new LinkedHashMap<>(values);
    merged.putAll(overrides);
    return new Settings(source + " + overrides", merged);
  }

  public String string(String key, String defaultValue) {
    read.add(key);
    String value = values.get(key);
    return value == null || value.isEmpty() ? defaultValue : value;
  }

  public String requiredString(String key) {
    String value = string(key, null);
    if (value == null) {
      throw new ConfigException(key, source + ": " + key + " is required");
    }
    return value;
  }

  public Path path(String key, Path defaultValue) {
    String value = string(key, null);
    return value == null ? defaultValue : Path.of(value);
  }

  public boolean flag(String key, boolean defaultValue) {
    String value = string(key, null);
    if (value == null) {
      return defaultValue;
    }
    if (value.equals("true") || value.equals("false")) {
      return Boolean.parseBoolean(value);
    }
    throw invalid(key, value, "true or false");
  }

  public int integer(String key, int defaultValue, int min, int max) {
    String value = string(key, null);
    if (value == null) {
      return defaultValue;
    }
    try {
      int parsed = Integer.parseInt(value);
      if (parsed < min || parsed > max) {
        throw invalid(key, value, "a whole number from " + min + " to " + max);
      }
      return parsed;
    } catch (NumberFormatException e) {
      throw invalid(key, value, "a whole number from " + min + " to " + max);
    }
  }

  /** A TCP port; 0 means "any free port", for tests. */
  public int port(String key, int defaultValue) {
    return integer(key, defaultValue, 0, 65535);
  }

  /** A duration written as {@code 500ms}, {@code 6s}, {@code 2m} or {@code 1h}. */
  public Duration duration(String key, Duration defaultValue) {
    String value = string(key, null);
    if (value == null) {
      return defaultValue;
    }
    Matcher m = DURATION.matcher(value);
    if (!m.matches()) {
      throw invalid(key, value, "a duration such as 500ms, 6s, 2m or 1h");
    }
    long amount = Long.parseLong(m.group(1));
    switch (m.group(2)) {
      case "ms":
        return Duration.ofMillis(amount);
      case "s":
        return Duration.ofSeconds(amount);
      case "m":
        return Duration.ofMinutes(amount);
      default:
        return Duration.ofHours(amount);
    }
  }

  public ByteSize size(String key, ByteSize defaultValue) {
    String value = string(key, null);
    if (value == null) {
      return defaultValue;
    }
    try {
      return ByteSize.parse(value);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(key, source + ": " + key + ": " + e.getMessage());
    }
  }

  /**
   * Fails when the configuration holds a key no getter asked for: a misspelt or retired key must
   * not be silently ignored.
   */
  public void rejectUnknownKeys() {
    Set<String> unknown = new TreeSet<>(values.keySet());
    unknown.removeAll(read);
    if (!unknown.isEmpty()) {
      throw new ConfigException(
          unknown.iterator().next(), source + ": unknown configuration key(s) " + unknown);
    }
  }

  private ConfigException invalid(String key, String value, String expected) {
    return new ConfigException(
        key, source + ": " + key + "='" + value + "' is not valid: expected " + expected);
  }
}
