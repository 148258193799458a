package io.ferry.cli.output;

import io.ferry.proto.v1.ClusterImage;
import io.ferry.proto.v1.Image;
import java.util.Arrays;
import java.util.List;

/** Images for people: one agent's store, and the cluster's (with the hosts that hold each). */
public final class ImageView {

  private ImageView() {}

  public static String agentTable(List<Image> images) {
    Table table = new Table("aliases", "digest", "size", "files", "source");
    for (Image i : images) {
      table.row(cells(i, null));
    }
    return table.render();
  }

  public static String clusterTable(List<ClusterImage> images) {
    Table table = new Table("aliases", "digest", "size", "files", "source", "hosts");
    for (ClusterImage i : images) {
      table.row(cells(i.getImage(), String.join(",", i.getHostsList())));
    }
    return table.render();
  }

  private static Object[] cells(Image i, String hosts) {
    Object[] common = {
      String.join(",", i.getAliasesList()),
      ContainerView.shortDigest(i.getDigest()),
      Cells.bytes(i.getUnpackedBytes(), false),
      i.getFileCount(),
      i.getSource()
    };
    if (hosts == null) {
      return common;
    }
    Object[] withHosts = Arrays.copyOf(common, common.length + 1);
    withHosts[common.length] = hosts;
    return withHosts;
  }
}
