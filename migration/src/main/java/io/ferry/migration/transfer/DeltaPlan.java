package io.ferry.migration.transfer;

import io.ferry.migration.transfer.TreeManifest.Entry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a later pass over a writable layer must send, from the manifest of the previous pass and
 * the current one: the entries that are new or changed (to be sent as a tar, without recursion),
 * and the paths that are gone or changed type (to be removed on the receiver before unpacking).
 *
 * @param changed new or changed entries, sorted so that a directory precedes what it contains
 * @param deleted the top-most removed paths (a removed directory's contents are not listed), plus
 *     the paths whose type changed; sorted
 * @param changedBytes the sizes of the changed regular files: roughly what the tar will carry
 */
public record DeltaPlan(List<String> changed, List<String> deleted, long changedBytes) {

  public DeltaPlan {
    changed = List.copyOf(changed);
    deleted = List.copyOf(deleted);
  }

  /**
   * What a pass hands tar, which packs exactly these (without recursion): the changed entries, and
   * for a full pass the root ({@code .}) first, for its mode, owner and xattrs. Never a recursive
   * pack of a live tree: it would send files created after the scan, which the manifest does not
   * list, so no later delta would delete them once gone (a near-live move left such a file on the
   * target, seen in CI).
   */
  public List<String> toPack(boolean full) {
    if (!full) {
      return changed;
    }
    List<String> all = new ArrayList<>(changed.size() + 1);
    all.add(".");
    all.addAll(changed);
    return all;
  }

  public boolean isEmpty() {
    return changed.isEmpty() && deleted.isEmpty();
  }

  /** Everything in {@code current}: a first pass. */
  public static DeltaPlan everything(TreeManifest current) {
    return between(TreeManifest.empty(), current);
  }

  public static DeltaPlan between(TreeManifest previous, TreeManifest current) {
    List<String> changed = new ArrayList<>();
    List<String> deleted = new ArrayList<>();
    long bytes = 0;
    for (Map.Entry<String, Entry> e : current.entries().entrySet()) {
      Entry before = previous.entries().get(e.getKey());
      Entry now = e.getValue();
      if (before != null && before.equals(now)) {
        continue;
      }
      if (before != null && before.type() != now.type()) {
        deleted.add(e.getKey());
      }
      changed.add(e.getKey());
      if (now.type() == TreeManifest.Type.FILE) {
        bytes += now.size();
      }
    }
    java.util.Set<String> removed = new java.util.HashSet<>();
    for (String path : previous.entries().keySet()) {
      if (current.entries().containsKey(path) || underAny(removed, path)) {
        continue;
      }
      removed.add(path);
      deleted.add(path);
    }
    deleted.sort(null);
    return new DeltaPlan(sortParentsFirst(changed), deleted, bytes);
  }

  private static boolean underAny(java.util.Set<String> removed, String path) {
    for (int i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
      if (removed.contains(path.substring(0, i))) {
        return true;
      }
    }
    return false;
  }

  /**
   * Orders paths so that every directory comes before its contents: compares component by
   * component ({@code a/b} before {@code a-b}, which plain string order would not do).
   */
  static List<String> sortParentsFirst(List<String> paths) {
    List<String> sorted = new ArrayList<>(paths);
    sorted.sort((x, y) -> x.replace('/', '\0').compareTo(y.replace('/', '\0')));
    return sorted;
  }
}
