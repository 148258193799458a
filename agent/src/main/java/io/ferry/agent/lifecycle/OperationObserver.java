package io.ferry.agent.lifecycle;

import java.time.Duration;

/** Told how each container operation went (the agent's metrics implement it). */
public interface OperationObserver {

  OperationObserver NONE =
      new OperationObserver() {
        @Override
        public void succeeded(String operation, Duration elapsed) {}

        @Override
        public void failed(String operation, String kind) {}
      };

  void succeeded(String operation, Duration elapsed);

  /** @param kind the failure's {@link io.ferry.agent.AgentException.Kind} name, or INTERNAL */
  void failed(String operation, String kind);
}
