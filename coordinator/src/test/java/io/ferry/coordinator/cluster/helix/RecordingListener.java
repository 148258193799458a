package io.ferry.coordinator.cluster.helix;

import io.ferry.coordinator.cluster.LeadershipListener;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records what a leadership told it, and on which thread. */
final class RecordingListener implements LeadershipListener {

  final List<String> events = new CopyOnWriteArrayList<>();
  final List<String> threads = new CopyOnWriteArrayList<>();

  @Override
  public void leadershipGained() {
    events.add("gained");
    threads.add(Thread.currentThread().getName());
  }

  @Override
  public void leadershipLost() {
    events.add("lost");
    threads.add(Thread.currentThread().getName());
  }

  String last() {
    return events.isEmpty() ? "none" : events.get(events.size() - 1);
  }
}
