package io.ferry.migration.protocol;

/**
 * The mode a migration will use.
 *
 * @param mode never {@link Mode#AUTO}
 * @param fallbackReason why it is not the one asked for; empty when it is (or auto found the best)
 */
public record ModeChoice(Mode mode, String fallbackReason) {

  public ModeChoice {
    if (mode == Mode.AUTO) {
      throw new IllegalArgumentException("a chosen mode is never auto");
    }
    fallbackReason = fallbackReason == null ? "" : fallbackReason;
  }
}
