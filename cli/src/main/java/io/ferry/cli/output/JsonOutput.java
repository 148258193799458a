package io.ferry.cli.output;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;

/** Prints API messages as JSON, the same field names as the proto (camelCase), defaults included. */
public final class JsonOutput {

  private JsonOutput() {}

  public static String of(MessageOrBuilder message) {
    try {
      return JsonFormat.printer().alwaysPrintFieldsWithNoPresence().print(message) + "\n";
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("API message cannot be printed as JSON", e);
    }
  }
}
