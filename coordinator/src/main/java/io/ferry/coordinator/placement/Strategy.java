package io.ferry.coordinator.placement;

/**
 * How {@link Placer} ranks the hosts that pass every filter.
 *
 * <ul>
 *   <li>{@link #SPREAD} (the default): the emptiest host after placement wins, to keep load even
 *       and limit what one host failure takes down.
 *   <li>{@link #BINPACK}: the fullest host that still fits wins, to keep whole hosts free for big
 *       containers or for powering down.
 * </ul>
 */
public enum Strategy {
  SPREAD,
  BINPACK;

  public static final Strategy DEFAULT = SPREAD;
}
