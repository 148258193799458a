package io.ferry.agent.runtime;

import io.ferry.agent.AgentException;
import io.ferry.common.Names;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Everything a runtime needs to start one container. Runtime-neutral: no OCI or runc terms.
 *
 * @param id the container id, a DNS label (also the runtime's own id and the cgroup's name)
 * @param rootfs an absolute path to the prepared root filesystem (e.g. an overlay mount). The
 *     runtime does not change it beyond what running the container does; it must stay at this path
 *     for as long as the container exists, and a restore needs it at the path it had when the
 *     checkpoint was taken.
 * @param initKind what init is, which decides the container's setup
 * @param args init's command line; {@code ["/sbin/init"]} by default
 * @param env init's environment in order; the runtime adds {@code PATH} when absent and, for
 *     {@link InitKind#SYSTEMD}, what systemd needs (a value given here wins)
 * @param hostname the container's host name; its id by default
 * @param limits resource limits; absent values mean no limit
 * @param networkNamespace a network namespace to join (e.g. {@code /run/netns/NAME}); when empty the
 *     container gets a new one with only a loopback device (up)
 * @param consoleLog an absolute path of the file that receives init's stdout and stderr (appended;
 *     created with its parent directories when missing). Programs that reopen their stdio (systemd
 *     does) write there only until they do.
 */
public record RuntimeSpec(
    String id,
    Path rootfs,
    InitKind initKind,
    List<String> args,
    Map<String, String> env,
    String hostname,
    Limits limits,
    Optional<Path> networkNamespace,
    Path consoleLog) {

  public static final List<String> DEFAULT_ARGS = List.of("/sbin/init");

  private static final Pattern HOSTNAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]{0,62}[A-Za-z0-9])?");

  public RuntimeSpec {
    String problem = Names.problem("container", id);
    if (problem != null) {
      throw AgentException.invalid(problem);
    }
    rootfs = absolute("root filesystem", rootfs);
    Objects.requireNonNull(initKind, "initKind");
    args = List.copyOf(Objects.requireNonNull(args, "args"));
    if (args.isEmpty() || args.get(0).isEmpty()) {
      throw AgentException.invalid("container " + id + ": init needs a program to run");
    }
    env = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(env, "env")));
    env.keySet().forEach(key -> checkEnvKey(id, key));
    Objects.requireNonNull(hostname, "hostname");
    if (!HOSTNAME.matcher(hostname).matches()) {
      throw AgentException.invalid("container " + id + ": '" + hostname + "' is not a valid host name");
    }
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(networkNamespace, "networkNamespace");
    networkNamespace.ifPresent(ns -> absolute("network namespace", ns));
    consoleLog = absolute("console log", consoleLog);
  }

  static void checkEnvKey(String id, String key) {
    if (key == null || key.isEmpty() || key.indexOf('=') >= 0 || key.indexOf('\0') >= 0) {
      throw AgentException.invalid("container " + id + ": invalid environment variable name '" + key + "'");
    }
  }

  private static Path absolute(String what, Path path) {
    Objects.requireNonNull(path, what);
    if (!path.isAbsolute()) {
      throw AgentException.invalid(what + " path must be absolute: " + path);
    }
    return path.normalize();
  }

  /** This spec with another network namespace, e.g. the target host's on restore. */
  public RuntimeSpec withNetworkNamespace(Optional<Path> namespace) {
    return new RuntimeSpec(id, rootfs, initKind, args, env, hostname, limits, namespace, consoleLog);
  }

  /** This spec with other limits. */
  public RuntimeSpec withLimits(Limits newLimits) {
    return new RuntimeSpec(id, rootfs, initKind, args, env, hostname, newLimits, networkNamespace, consoleLog);
  }

  /** A builder with the defaults: generic init {@code /sbin/init}, hostname = id, no limits. */
  public static Builder builder(String id, Path rootfs, Path consoleLog) {
    return new Builder(id, rootfs, consoleLog);
  }

  /** Collects a spec's optional parts; {@link #build()} validates. Not thread-safe. */
  public static final class Builder {
    private final String id;
    private final Path rootfs;
    private final Path consoleLog;
    private InitKind initKind = InitKind.GENERIC;
    private List<String> args = DEFAULT_ARGS;
    private final Map<String, String> env = new LinkedHashMap<>();
    private String hostname;
    private Limits limits = Limits.NONE;
    private Optional<Path> networkNamespace = Optional.empty();

    private Builder(String id, Path rootfs, Path consoleLog) {
      this.id = id;
      this.rootfs = rootfs;
      this.consoleLog = consoleLog;
    }

    public Builder initKind(InitKind kind) {
      this.initKind = kind;
      return this;
    }

    public Builder args(List<String> newArgs) {
      this.args = newArgs;
      return this;
    }

    public Builder args(String... newArgs) {
      return args(List.of(newArgs));
    }

    public Builder env(String key, String value) {
      env.put(key, Objects.requireNonNull(value, "value"));
      return this;
    }

    public Builder hostname(String name) {
      this.hostname = name;
      return this;
    }

    public Builder limits(Limits newLimits) {
      this.limits = newLimits;
      return this;
    }

    public Builder networkNamespace(Path path) {
      this.networkNamespace = Optional.of(path);
      return this;
    }

    public RuntimeSpec build() {
      return new RuntimeSpec(
          id, rootfs, initKind, args, env, hostname == null ? id : hostname, limits, networkNamespace, consoleLog);
    }
  }
}
