package io.ferry.migration.protocol;

/** The tunnels a migration opens (see {@code TunnelFrame} in migration.proto). */
public final class TunnelIds {

  /** Live: the dump's pages, from CRIU on the source to a page server the target starts for them. */
  public static final String PAGES = "pages";

  /** Post-copy: the target's lazy-pages daemon pulling pages from the source dump's page server. */
  public static final String LAZY_PAGES = "lazy-pages";

  private TunnelIds() {}
}
