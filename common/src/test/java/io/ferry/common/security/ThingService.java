package io.ferry.common.security;

import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * A tiny gRPC service with string messages (no protobuf): a read ({@code GetThing}), a write
 * ({@code DeleteThing}) and a method no policy names ({@code Secret}). Each answers with the
 * caller's identity as the {@link AccessInterceptor} saw it.
 */
final class ThingService {

  static final String SERVICE = "ferry.test.Things";
  static final MethodDescriptor<String, String> GET = unary("GetThing");
  static final MethodDescriptor<String, String> DELETE = unary("DeleteThing");
  static final MethodDescriptor<String, String> SECRET = unary("Secret");

  private ThingService() {}

  static ServerServiceDefinition definition() {
    return ServerServiceDefinition.builder(SERVICE)
        .addMethod(GET, answer("got"))
        .addMethod(DELETE, answer("deleted"))
        .addMethod(SECRET, answer("secret"))
        .build();
  }

  /** admin and operator may delete, every client role may get; Secret is in no entry. */
  static AccessPolicy policy() {
    return AccessPolicy.builder()
        .method(GET, Role.atLeast(Role.VIEWER))
        .method(DELETE, Role.atLeast(Role.OPERATOR))
        .build();
  }

  private static ServerCalls.UnaryMethod<String, String> unaryAnswer(String verb) {
    return (request, observer) -> {
      observer.onNext(verb + " " + request + " for " + AccessInterceptor.currentIdentity());
      observer.onCompleted();
    };
  }

  private static io.grpc.ServerCallHandler<String, String> answer(String verb) {
    return ServerCalls.asyncUnaryCall(unaryAnswer(verb));
  }

  private static MethodDescriptor<String, String> unary(String name) {
    return MethodDescriptor.<String, String>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, name))
        .setRequestMarshaller(Utf8.INSTANCE)
        .setResponseMarshaller(Utf8.INSTANCE)
        .build();
  }

  private enum Utf8 implements MethodDescriptor.Marshaller<String> {
    INSTANCE;

    @Override
    public InputStream stream(String value) {
      return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String parse(InputStream stream) {
      try {
        return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
