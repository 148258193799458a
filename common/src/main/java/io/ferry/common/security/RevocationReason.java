package io.ferry.common.security;

/** Why a certificate was revoked; recorded with the revocation for people and audits. */
public enum RevocationReason {
  /** The host was removed from the cluster ({@code ferry host remove}). */
  HOST_REMOVED,
  /** The key is, or may be, known to someone else. */
  KEY_COMPROMISED,
  /** A new certificate replaced this one (rotation, role change). */
  SUPERSEDED,
  /** The person or script no longer has access. */
  ACCESS_WITHDRAWN
}
