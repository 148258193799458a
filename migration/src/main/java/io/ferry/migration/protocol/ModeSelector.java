package io.ferry.migration.protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Negotiation: which mode a pair of hosts can use for the mode asked. Pure: facts in, choice out.
 *
 * <ul>
 *   <li>cold and near-live need nothing but the runtime: always possible;
 *   <li>live needs a usable CRIU on both hosts;
 *   <li>post-copy needs that and userfaultfd ({@code uffd}, {@code uffd-noncoop}) on the target;
 *   <li>pre-copy needs {@code mem_dirty_track} on both hosts; with it, it is still refused because
 *       its iterative rounds are not implemented yet (this VM's kernel lacks the feature, so they
 *       could not be tested here);
 *   <li>auto takes live when both hosts can, near-live otherwise, and says why.
 * </ul>
 *
 * A refusal is a {@link MigrationException} FAILED_PRECONDITION naming the host and what it lacks.
 */
public final class ModeSelector {

  private ModeSelector() {}

  public static ModeChoice choose(Mode requested, HostCapabilities source, HostCapabilities target) {
    switch (requested) {
      case COLD:
      case NEAR_LIVE:
        return new ModeChoice(requested, "");
      case LIVE:
        requireCriu(requested, source, target);
        return new ModeChoice(Mode.LIVE, "");
      case POST_COPY:
        requireCriu(requested, source, target);
        for (String feature : List.of(HostCapabilities.UFFD, HostCapabilities.UFFD_NONCOOP)) {
          if (!target.supports(feature)) {
            throw MigrationException.precondition(
                "post-copy needs the CRIU feature " + feature + " (userfaultfd) on the target; host " + target.host()
                    + " lacks it");
          }
        }
        return new ModeChoice(Mode.POST_COPY, "");
      case PRE_COPY:
        List<String> lacking = new ArrayList<>();
        for (HostCapabilities host : List.of(source, target)) {
          if (!host.supports(HostCapabilities.MEM_DIRTY_TRACK)) {
            lacking.add(host.host());
          }
        }
        if (!lacking.isEmpty()) {
          throw MigrationException.precondition(
              "pre-copy needs the CRIU feature " + HostCapabilities.MEM_DIRTY_TRACK + " (soft-dirty memory tracking)"
                  + " on both hosts; missing on " + String.join(" and ", lacking) + "; use live or post-copy");
        }
        throw MigrationException.precondition(
            "pre-copy: both hosts have " + HostCapabilities.MEM_DIRTY_TRACK
                + ", but iterative memory rounds are not implemented yet; use live or post-copy");
      case AUTO:
        List<String> problems = new ArrayList<>();
        for (HostCapabilities host : List.of(source, target)) {
          if (!host.criuUsable()) {
            problems.add(host.criuRefusal());
          }
        }
        if (problems.isEmpty()) {
          lockMismatch(source, target).ifPresent(problems::add);
        }
        if (problems.isEmpty()) {
          return new ModeChoice(Mode.LIVE, "");
        }
        return new ModeChoice(Mode.NEAR_LIVE, "live refused: " + String.join("; ", problems) + "; using near-live");
      default:
        throw new MigrationException(MigrationException.Kind.INVALID_ARGUMENT, "no migration mode given");
    }
  }

  private static void requireCriu(Mode mode, HostCapabilities source, HostCapabilities target) {
    for (HostCapabilities host : List.of(source, target)) {
      if (!host.criuUsable()) {
        throw MigrationException.precondition(mode.label() + " needs CRIU on both hosts: " + host.criuRefusal());
      }
    }
    lockMismatch(source, target).ifPresent(problem -> {
      throw MigrationException.precondition(mode.label() + ": " + problem);
    });
  }

  /** The source's dump would lock the network in a way the target's restore cannot undo. */
  private static Optional<String> lockMismatch(HostCapabilities source, HostCapabilities target) {
    String lock = HostCapabilities.NETWORK_LOCK_NFTABLES;
    if (source.supports(lock) && !target.supports(lock)) {
      return Optional.of("host " + source.host() + "'s CRIU locks the network with nftables (" + lock + ") and host "
          + target.host() + "'s cannot restore such a checkpoint");
    }
    return Optional.empty();
  }
}
