package io.ferry.cli.output;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;

/** Prints API messages as JSON, the same field names as the proto (camelCase), defaults included. */
public final class JsonOutput {

  private static final JsonFormat.Printer PRETTY = JsonFormat.printer().alwaysPrintFieldsWithNoPresence();
  private static final JsonFormat.Printer LINE = PRETTY.omittingInsignificantWhitespace();

  private JsonOutput() {}

  /** Indented, ending with a newline: one result. */
  public static String of(MessageOrBuilder message) {
    return print(PRETTY, message) + "\n";
  }

  /** One line, ending with a newline: one of a stream of results (JSON Lines). */
  public static String line(MessageOrBuilder message) {
    return print(LINE, message) + "\n";
  }

  private static String print(JsonFormat.Printer printer, MessageOrBuilder message) {
    try {
      return printer.print(message);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("API message cannot be printed as JSON", e);
    }
  }
}
