package io.ferry.common.cluster;

import java.util.Map;

/** TEMPORARY placeholder; replaced by the helix branch's version on merge. */
public record HostRegistration(String hostName, String address, long cpuMillis, long memoryBytes, long diskBytes, Map<String, String> labels, String agentVersion) {}
