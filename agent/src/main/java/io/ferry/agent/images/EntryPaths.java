package io.ferry.agent.images;

import io.ferry.agent.AgentException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Lexical rules for the names inside an image archive: normalising an entry name to a path
 * relative to the image root, resolving a relative symlink target without touching any file
 * system, and quoting a hostile name safely into an error message.
 *
 * <p>A normalised path has no leading or trailing {@code /}, no empty or {@code .} components;
 * the image root itself is the empty string.
 */
final class EntryPaths {

  /** Linux NAME_MAX: longer components cannot be created. */
  static final int MAX_COMPONENT_BYTES = 255;

  /** Linux PATH_MAX less the terminating NUL. */
  static final int MAX_PATH_BYTES = 4095;

  private static final int MAX_QUOTED_CHARS = 200;

  private EntryPaths() {}

  /**
   * The normalised form of an entry or hard-link target name.
   *
   * @param what how the error names this value ("entry 'x'" or "hard link 'x' target")
   * @throws AgentException INVALID_ARGUMENT when the name is empty, absolute, contains a {@code
   *     ..} component, is not valid UTF-8, or is too long for Linux
   */
  static String normalize(String raw, String what) {
    if (raw.isEmpty()) {
      throw AgentException.invalid(what + ": empty name");
    }
    if (raw.indexOf('\uFFFD') >= 0) {
      throw AgentException.invalid(what + ": name is not valid UTF-8");
    }
    if (raw.startsWith("/")) {
      throw AgentException.invalid(what + ": absolute name (names must be relative to the image root)");
    }
    StringBuilder path = new StringBuilder(raw.length());
    for (String component : raw.split("/", -1)) {
      if (component.isEmpty() || component.equals(".")) {
        continue;
      }
      if (component.equals("..")) {
        throw AgentException.invalid(what + ": name contains a '..' component");
      }
      if (component.getBytes(StandardCharsets.UTF_8).length > MAX_COMPONENT_BYTES) {
        throw AgentException.invalid(what + ": a name component is longer than " + MAX_COMPONENT_BYTES + " bytes");
      }
      if (path.length() > 0) {
        path.append('/');
      }
      path.append(component);
    }
    if (path.toString().getBytes(StandardCharsets.UTF_8).length > MAX_PATH_BYTES) {
      throw AgentException.invalid(what + ": name is longer than " + MAX_PATH_BYTES + " bytes");
    }
    return path.toString();
  }

  /** The directory holding {@code path} ("" for a top-level entry and for the root). */
  static String parent(String path) {
    int slash = path.lastIndexOf('/');
    return slash < 0 ? "" : path.substring(0, slash);
  }

  /**
   * Whether a relative symlink target, read from the directory holding the link, stays inside the
   * image root when resolved lexically (components only: other symlinks on the way are not
   * followed, exactly as nothing on the host ever follows them).
   */
  static boolean staysInside(String linkPath, String relativeTarget) {
    Deque<String> stack = new ArrayDeque<>();
    String parent = parent(linkPath);
    if (!parent.isEmpty()) {
      for (String component : parent.split("/")) {
        stack.addLast(component);
      }
    }
    for (String component : relativeTarget.split("/", -1)) {
      if (component.isEmpty() || component.equals(".")) {
        continue;
      }
      if (component.equals("..")) {
        if (stack.isEmpty()) {
          return false;
        }
        stack.removeLast();
      } else {
        stack.addLast(component);
      }
    }
    return true;
  }

  /**
   * {@code text} in single quotes for an error message: control and other invisible characters
   * escaped, anything past 200 characters cut, so a hostile name cannot forge log lines.
   */
  static String quote(String text) {
    StringBuilder out = new StringBuilder(Math.min(text.length(), MAX_QUOTED_CHARS) + 8).append('\'');
    int shown = 0;
    for (int i = 0; i < text.length(); i++) {
      if (shown++ == MAX_QUOTED_CHARS) {
        out.append("...");
        break;
      }
      char c = text.charAt(i);
      if (c == '\'' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20 || c == 0x7f || (Character.isISOControl(c)) || Character.getType(c) == Character.FORMAT) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.append('\'').toString();
  }
}
