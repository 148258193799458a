package io.ferry.agent.migration;

import io.ferry.agent.AgentException;
import io.ferry.migration.protocol.MigrationException;
import io.ferry.migration.protocol.MigrationException.Kind;
import java.util.function.Supplier;

/** The lifecycle's {@link AgentException}s as the migration library's {@link MigrationException}s. */
final class AgentErrors {

  private AgentErrors() {}

  static <T> T call(Supplier<T> body) {
    try {
      return body.get();
    } catch (AgentException e) {
      throw convert(e);
    }
  }

  static void run(Runnable body) {
    call(() -> {
      body.run();
      return null;
    });
  }

  static MigrationException convert(AgentException e) {
    Kind kind = switch (e.kind()) {
      case INVALID_ARGUMENT -> Kind.INVALID_ARGUMENT;
      case NOT_FOUND -> Kind.NOT_FOUND;
      case ALREADY_EXISTS -> Kind.ALREADY_EXISTS;
      case FAILED_PRECONDITION, CONFLICT -> Kind.FAILED_PRECONDITION;
      case RESOURCE_EXHAUSTED -> Kind.RESOURCE_EXHAUSTED;
      case TIMEOUT -> Kind.TIMEOUT;
      default -> Kind.INTERNAL;
    };
    return new MigrationException(kind, e.getMessage(), e);
  }
}
