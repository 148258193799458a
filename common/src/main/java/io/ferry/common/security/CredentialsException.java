package io.ferry.common.security;

/**
 * Security material is missing, malformed, or not what Ferry expects: a PEM file that holds no
 * certificate, a certificate without a Ferry role, a CA directory that already holds a CA. The
 * message says what and where; I/O failures are reported as {@link java.io.IOException} instead.
 */
public final class CredentialsException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public CredentialsException(String message) {
    super(message);
  }

  public CredentialsException(String message, Throwable cause) {
    super(message, cause);
  }
}
