package io.ferry.migration.protocol;

import java.time.Instant;
import java.util.Objects;

/**
 * One agent's record of one migration, persisted ({@link JournalStore}) before any step it
 * describes is taken, so that an agent restarted at any point knows what it may have done.
 * Immutable: each change makes a new journal.
 *
 * @param id the migration id (the coordinator's)
 * @param role which end this agent is
 * @param phase where it stands ({@link Transitions})
 * @param container the container's name
 * @param requested the mode asked for
 * @param mode the mode in use; {@link Mode#AUTO} until the source chose (a target learns the mode
 *     from what it receives)
 * @param token the shared secret of the data-plane calls
 * @param peer the other agent's gRPC address: the target's on the source, the source's on the
 *     target
 * @param tcpEstablished established TCP connections are dumped and restored
 * @param imageDigest the image the container's rootfs is made from
 * @param spec target: the container's spec as received ({@code ferry.v1.ContainerSpec} bytes)
 * @param address target: the address the container keeps
 * @param mac target: the MAC the container keeps
 * @param restoreSent source: RestoreIncoming may have reached the target, so it may run the container
 * @param detail the latest failure or note, for people
 * @param result the source's measurements, once known
 */
public record Journal(
    String id,
    Role role,
    Phase phase,
    String container,
    Mode requested,
    Mode mode,
    String token,
    String peer,
    boolean tcpEstablished,
    String imageDigest,
    byte[] spec,
    String address,
    String mac,
    boolean restoreSent,
    String detail,
    Result result,
    Instant createdAt,
    Instant updatedAt) {

  public Journal {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(phase, "phase");
    Objects.requireNonNull(container, "container");
    detail = detail == null ? "" : detail;
    spec = spec == null ? new byte[0] : spec;
  }

  /** A new source journal in {@link Phase#PREPARED}. */
  public static Journal source(
      String id, String container, Mode requested, String token, String target, boolean tcp, String imageDigest, Instant now) {
    return new Journal(id, Role.SOURCE, Phase.PREPARED, container, requested, Mode.AUTO, token, target, tcp, imageDigest,
        null, "", "", false, "", null, now, now);
  }

  /** A new target journal in {@link Phase#PREPARED}. */
  public static Journal target(
      String id, String container, Mode requested, String token, String source, String imageDigest, byte[] spec,
      String address, String mac, Instant now) {
    return new Journal(id, Role.TARGET, Phase.PREPARED, container, requested, Mode.AUTO, token, source, false,
        imageDigest, spec, address, mac, false, "", null, now, now);
  }

  /**
   * This journal in phase {@code to}, after checking the move ({@link Transitions#check}).
   *
   * @throws MigrationException FAILED_PRECONDITION for an illegal move
   */
  public Journal moveTo(Phase to, String why, Instant now) {
    Transitions.check(role, id, phase, to, why);
    return new Journal(id, role, to, container, requested, mode, token, peer, tcpEstablished, imageDigest, spec, address,
        mac, restoreSent, why == null || why.isEmpty() ? detail : why, result, createdAt, now);
  }

  public Journal withMode(Mode used) {
    return new Journal(id, role, phase, container, requested, used, token, peer, tcpEstablished, imageDigest, spec,
        address, mac, restoreSent, detail, result, createdAt, updatedAt);
  }

  public Journal withRestoreSent() {
    return new Journal(id, role, phase, container, requested, mode, token, peer, tcpEstablished, imageDigest, spec,
        address, mac, true, detail, result, createdAt, updatedAt);
  }

  public Journal withResult(Result measured) {
    return new Journal(id, role, phase, container, requested, mode, token, peer, tcpEstablished, imageDigest, spec,
        address, mac, restoreSent, detail, measured, createdAt, updatedAt);
  }

  public Journal withDetail(String text) {
    return new Journal(id, role, phase, container, requested, mode, token, peer, tcpEstablished, imageDigest, spec,
        address, mac, restoreSent, text, result, createdAt, updatedAt);
  }

  /** What is left once the migration ended: no token, no spec. */
  public Outcome outcome() {
    return new Outcome(id, role, phase, container, detail, result, updatedAt);
  }

  @Override
  public String toString() {
    return "Journal[" + id + " " + role + " " + phase + " container=" + container + " mode=" + mode + "]";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Journal j && j.id.equals(id) && j.role == role && j.phase == phase && j.updatedAt.equals(updatedAt);
  }

  @Override
  public int hashCode() {
    return Objects.hash(id, role, phase, updatedAt);
  }
}
