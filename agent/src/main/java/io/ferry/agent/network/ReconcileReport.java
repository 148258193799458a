package io.ferry.agent.network;

import java.util.List;

/**
 * What {@link NetworkManager#reconcile()} removed: this agent's network objects that no lease
 * accounts for (leftovers of a crash between steps), and what it could not remove.
 *
 * @param removedNamespaces container netns names deleted
 * @param removedInterfaces host-side veths deleted
 * @param failures one line per object that could not be removed, with the reason
 */
public record ReconcileReport(
    List<String> removedNamespaces, List<String> removedInterfaces, List<String> failures) {

  public ReconcileReport {
    removedNamespaces = List.copyOf(removedNamespaces);
    removedInterfaces = List.copyOf(removedInterfaces);
    failures = List.copyOf(failures);
  }

  public boolean removedNothing() {
    return removedNamespaces.isEmpty() && removedInterfaces.isEmpty();
  }
}
