package io.ferry.coordinator.operations;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.HexFormat;

/**
 * Operation ids: {@code op-<millis in base 36>-<8 random hex>}, unique, sorting by creation time
 * (until the year 5188), and valid ZooKeeper node names.
 */
final class OperationIds {

  private static final SecureRandom random = new SecureRandom();

  private OperationIds() {}

  static String next(Clock clock) {
    byte[] bytes = new byte[4];
    random.nextBytes(bytes);
    return "op-" + Long.toString(clock.millis(), 36) + "-" + HexFormat.of().formatHex(bytes);
  }
}
