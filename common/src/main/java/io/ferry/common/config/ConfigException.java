package io.ferry.common.config;

/** A configuration value is missing, malformed or unknown. The message names the key and source. */
public final class ConfigException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final String key;

  public ConfigException(String key, String message) {
    super(message);
    this.key = key;
  }

  /** The offending key, or null when the problem is not about one key. */
  public String key() {
    return key;
  }
}
