package io.ferry.coordinator.operations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.ferry.coordinator.store.OperationRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Delayed;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DeferredProgressTest {

  private final ManualTimer timer = new ManualTimer();
  private final List<String> written = new ArrayList<>();
  private final OperationRecord launch =
      OperationRecord.started("op-1", OperationRecord.Kind.LAUNCH, "web-1", "placed on host-1", Map.of(), 0);

  @AfterEach
  void stopTimer() {
    timer.shutdownNow();
  }

  @Test
  void aPhaseReplacedBeforeItsDelayIsNeverWritten() {
    DeferredProgress progress = new DeferredProgress(timer, Duration.ofMillis(250), op -> written.add(op.phase()));

    progress.show(launch.inPhase("creating on host-1", 20, 1));
    progress.show(launch.inPhase("starting on host-1", 60, 2));
    timer.runAll();

    assertThat(written).containsExactly("starting on host-1");
    assertThat(timer.delays).containsExactly(250L, 250L);
    assertThat(timer.tasks.get(0).cancelled).isTrue();
  }

  @Test
  void nothingIsWrittenAfterClose() {
    DeferredProgress progress = new DeferredProgress(timer, Duration.ofMillis(250), op -> written.add(op.phase()));

    progress.show(launch.inPhase("creating on host-1", 20, 1));
    progress.close();
    progress.show(launch.inPhase("starting on host-1", 60, 2));
    timer.runAll();

    assertThat(written).isEmpty();
    assertThat(timer.tasks).hasSize(1);
  }

  @Test
  void aFailedWriteIsDroppedNotThrown() {
    DeferredProgress progress = new DeferredProgress(timer, Duration.ofMillis(250), op -> {
      throw new IllegalStateException("no longer the leader");
    });

    progress.show(launch.inPhase("creating on host-1", 20, 1));

    assertThatCode(timer::runAll).doesNotThrowAnyException();
  }

  /** Holds scheduled tasks until {@link #runAll}; a cancelled one still runs, as a late timer would. */
  private static final class ManualTimer extends ScheduledThreadPoolExecutor {
    final List<Task> tasks = new ArrayList<>();
    final List<Long> delays = new ArrayList<>();

    ManualTimer() {
      super(1);
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
      Task task = new Task(command);
      tasks.add(task);
      delays.add(unit.toMillis(delay));
      return task;
    }

    void runAll() {
      new ArrayList<>(tasks).forEach(t -> t.command.run());
    }
  }

  private static final class Task implements ScheduledFuture<Object> {
    final Runnable command;
    boolean cancelled;

    Task(Runnable command) {
      this.command = command;
    }

    @Override
    public long getDelay(TimeUnit unit) {
      return 0;
    }

    @Override
    public int compareTo(Delayed o) {
      return 0;
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      cancelled = true;
      return true;
    }

    @Override
    public boolean isCancelled() {
      return cancelled;
    }

    @Override
    public boolean isDone() {
      return cancelled;
    }

    @Override
    public Object get() {
      return null;
    }

    @Override
    public Object get(long timeout, TimeUnit unit) {
      return null;
    }
  }
}
