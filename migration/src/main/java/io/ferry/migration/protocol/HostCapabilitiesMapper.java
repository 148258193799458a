package io.ferry.migration.protocol;

import io.ferry.proto.v1.CriuFeature;
import io.ferry.proto.v1.HostInfo;
import java.util.Set;
import java.util.stream.Collectors;

/** {@link HostCapabilities} from a host's {@code HostInfo} as its agent reports it. */
public final class HostCapabilitiesMapper {

  private HostCapabilitiesMapper() {}

  public static HostCapabilities fromHostInfo(HostInfo info) {
    boolean usable = info.getCriu().getAvailable() && info.getCriu().getCheckPassed();
    String problem = usable ? "" : info.getCriu().getDetail().isEmpty() ? "criu check failed" : info.getCriu().getDetail();
    Set<String> features = info.getCriu().getFeaturesList().stream()
        .filter(CriuFeature::getSupported)
        .map(CriuFeature::getName)
        .collect(Collectors.toSet());
    return new HostCapabilities(info.getHostName(), usable, problem, features);
  }
}
