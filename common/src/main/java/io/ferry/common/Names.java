package io.ferry.common;

import java.util.regex.Pattern;

/**
 * Validation of the names operators give to containers, images, snapshots and hosts.
 *
 * <p>Names follow DNS-label rules (RFC 1123): 1 to 63 characters, lower-case letters, digits and
 * {@code -}, starting with a letter and not ending with {@code -}. A name becomes a host name, a
 * directory name and part of a ZooKeeper path, so nothing else is allowed: no dots, slashes or
 * upper case.
 */
public final class Names {

  public static final int MAX_LENGTH = 63;

  private static final Pattern LABEL = Pattern.compile("[a-z]([a-z0-9-]*[a-z0-9])?");

  private Names() {}

  /** Returns null when {@code name} is valid, else why it is not, naming {@code what}. */
  public static String problem(String what, String name) {
    if (name == null || name.isEmpty()) {
      return what + " name is required";
    }
    if (name.length() > MAX_LENGTH) {
      return what + " name '" + name + "' is longer than " + MAX_LENGTH + " characters";
    }
    if (!LABEL.matcher(name).matches()) {
      return what
          + " name '"
          + name
          + "' is not a DNS label: use lower-case letters, digits and '-', start with a letter,"
          + " do not end with '-'";
    }
    return null;
  }

  /** Throws {@link IllegalArgumentException} with the reason when {@code name} is invalid. */
  public static String require(String what, String name) {
    String problem = problem(what, name);
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
    return name;
  }
}
