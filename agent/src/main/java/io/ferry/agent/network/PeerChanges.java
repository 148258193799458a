package io.ferry.agent.network;

import java.util.List;

/**
 * What one {@link NetworkManager#syncOverlayPeers} did to the overlay's flood list.
 *
 * @param added underlay addresses added
 * @param removed underlay addresses removed
 * @param peers the flood list afterwards (when nothing failed)
 */
public record PeerChanges(List<Ipv4Address> added, List<Ipv4Address> removed, List<Ipv4Address> peers) {

  public PeerChanges {
    added = List.copyOf(added);
    removed = List.copyOf(removed);
    peers = List.copyOf(peers);
  }

  public boolean unchanged() {
    return added.isEmpty() && removed.isEmpty();
  }
}
