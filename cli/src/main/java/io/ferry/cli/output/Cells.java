package io.ferry.cli.output;

import com.google.protobuf.ProtocolMessageEnum;
import com.google.protobuf.Timestamp;
import io.ferry.common.ByteSize;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** How values print in tables for people: short enum names, cores, sizes, times. */
public final class Cells {

  private Cells() {}

  /** {@code CONTAINER_STATE_RUNNING} prints as {@code RUNNING}; unset prints as empty. */
  public static String name(ProtocolMessageEnum value, String prefix) {
    String name = value.getValueDescriptor().getName();
    if (name.endsWith("_UNSPECIFIED")) {
      return "";
    }
    return name.startsWith(prefix) ? name.substring(prefix.length()) : name;
  }

  /** Millicores as cores: 500 is {@code 0.5}, 2000 is {@code 2}. */
  public static String cores(long millis) {
    return BigDecimal.valueOf(millis, 3).stripTrailingZeros().toPlainString();
  }

  /** {@code 1.5 GiB}; empty for 0 when {@code zeroIsEmpty}. */
  public static String bytes(long bytes, boolean zeroIsEmpty) {
    return bytes == 0 && zeroIsEmpty ? "" : ByteSize.ofBytes(bytes).humanReadable();
  }

  /** ISO-8601 to the second, UTC; empty when unset. */
  public static String time(Timestamp at) {
    if (at.getSeconds() == 0 && at.getNanos() == 0) {
      return "";
    }
    return Instant.ofEpochSecond(at.getSeconds()).toString();
  }

  /** {@code a=1,b=2}, sorted by key. */
  public static String labels(Map<String, String> labels) {
    return new TreeMap<>(labels).entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(","));
  }

  /** {@code used/total}, e.g. {@code 1.5/4} cores or {@code 2.0 GiB/8.0 GiB}. */
  public static String usedOfTotal(String used, String total) {
    return used + "/" + total;
  }
}
