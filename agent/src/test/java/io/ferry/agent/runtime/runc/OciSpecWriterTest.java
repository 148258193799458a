package io.ferry.agent.runtime.runc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.agent.runtime.InitKind;
import io.ferry.agent.runtime.Limits;
import io.ferry.agent.runtime.RuntimeSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OciSpecWriterTest {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Path CRIU_CONF = Path.of("/state/bundles/web-1/criu.conf");

  private final OciSpecWriter writer = new OciSpecWriter();

  private static RuntimeSpec.Builder spec(InitKind kind) {
    return RuntimeSpec.builder("web-1", Path.of("/var/lib/ferry/rootfs/web-1"), Path.of("/var/log/ferry/web-1.log"))
        .initKind(kind)
        .limits(new Limits(OptionalLong.of(512), OptionalLong.of(50_000), OptionalLong.of(100_000),
            OptionalLong.of(64L << 20), OptionalLong.of(100)));
  }

  private JsonNode json(RuntimeSpec spec, @TempDir Path dir) throws Exception {
    writer.write(spec, dir, CRIU_CONF, OciSpecWriter.Purpose.START);
    return MAPPER.readTree(Files.readString(dir.resolve("config.json")));
  }

  @Test
  void genericSpecHasNamespacesCgroupLimitsAndNoSysResource(@TempDir Path dir) throws Exception {
    JsonNode c = json(spec(InitKind.GENERIC).hostname("web").build(), dir);

    assertThat(c.path("ociVersion").asText()).isEqualTo("1.0.2");
    assertThat(c.at("/root/path").asText()).isEqualTo("/var/lib/ferry/rootfs/web-1");
    assertThat(c.at("/root/readonly").asBoolean()).isFalse();
    assertThat(c.path("hostname").asText()).isEqualTo("web");
    assertThat(c.at("/process/terminal").asBoolean()).isFalse();
    assertThat(c.at("/process/user/uid").asInt()).isZero();
    assertThat(texts(c.at("/process/args"))).containsExactly("/sbin/init");
    assertThat(c.at("/process/noNewPrivileges").asBoolean()).isTrue();
    assertThat(namespaceTypes(c)).containsExactlyInAnyOrder("pid", "mount", "uts", "ipc", "cgroup", "network");
    assertThat(c.at("/linux/namespaces").findValuesAsText("path")).isEmpty();
    for (String set : List.of("bounding", "effective", "permitted")) {
      assertThat(texts(c.at("/process/capabilities/" + set)))
          .contains("CAP_KILL", "CAP_NET_BIND_SERVICE")
          .doesNotContain("CAP_SYS_RESOURCE", "CAP_SYS_ADMIN");
    }
    assertThat(c.at("/linux/cgroupsPath").asText()).isEqualTo("/ferry/web-1");
    assertThat(c.at("/linux/resources/memory/limit").asLong()).isEqualTo(64L << 20);
    assertThat(c.at("/linux/resources/memory/swap").asLong()).isEqualTo(64L << 20);
    assertThat(c.at("/linux/resources/cpu/shares").asLong()).isEqualTo(512);
    assertThat(c.at("/linux/resources/cpu/quota").asLong()).isEqualTo(50_000);
    assertThat(c.at("/linux/resources/cpu/period").asLong()).isEqualTo(100_000);
    assertThat(c.at("/linux/resources/pids/limit").asLong()).isEqualTo(100);
    assertThat(c.at("/linux/seccomp").isMissingNode()).isTrue();
    assertThat(mountDestinations(c))
        .containsExactly("/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup");
    assertThat(texts(mount(c, "/sys/fs/cgroup").path("options"))).contains("ro");
    assertThat(texts(mount(c, "/sys").path("options"))).contains("ro");
    assertThat(c.at("/annotations/org.criu.config").asText()).isEqualTo(CRIU_CONF.toString());
    assertThat(c.at("/annotations/io.ferry.console-log").asText()).isEqualTo("/var/log/ferry/web-1.log");
    assertThat(texts(c.at("/process/env"))).containsExactly(OciDefaults.PATH);
  }

  @Test
  void systemdSpecFollowsTheHostRecipe(@TempDir Path dir) throws Exception {
    JsonNode c = json(spec(InitKind.SYSTEMD).env("LANG", "C.UTF-8").build(), dir);

    assertThat(texts(c.at("/process/env")))
        .contains("container=ferry", "LANG=C.UTF-8",
            "SYSTEMD_PROC_CMDLINE=systemd.legacy_systemd_cgroup_controller=1 systemd.unified_cgroup_hierarchy=0");
    assertThat(c.at("/process/noNewPrivileges").asBoolean()).isFalse();
    assertThat(namespaceTypes(c)).contains("cgroup");
    assertThat(texts(c.at("/process/capabilities/bounding")))
        .contains("CAP_SYS_ADMIN", "CAP_NET_ADMIN", "CAP_SYS_BOOT")
        .doesNotContain("CAP_SYS_RESOURCE");
    assertThat(mountDestinations(c)).contains("/run", "/tmp", "/sys/fs/cgroup");
    assertThat(mount(c, "/run").path("type").asText()).isEqualTo("tmpfs");
    assertThat(mount(c, "/tmp").path("type").asText()).isEqualTo("tmpfs");
    assertThat(mount(c, "/sys/fs/cgroup").path("type").asText()).isEqualTo("cgroup");
    assertThat(texts(mount(c, "/sys/fs/cgroup").path("options"))).contains("rw").doesNotContain("ro");

    JsonNode seccomp = c.at("/linux/seccomp");
    assertThat(seccomp.path("defaultAction").asText()).isEqualTo("SCMP_ACT_ALLOW");
    JsonNode bpf = rule(seccomp, "bpf");
    assertThat(bpf.path("action").asText()).isEqualTo("SCMP_ACT_ERRNO");
    assertThat(bpf.path("errnoRet").asInt()).isEqualTo(1);
    assertThat(bpf.path("args").isMissingNode()).isTrue();
    assertThat(rule(seccomp, "clone3").path("errnoRet").asInt()).isEqualTo(38);
    List<Long> refusedFlags = new ArrayList<>();
    seccomp.path("syscalls").forEach(r -> {
      if (texts(r.path("names")).contains("unshare")) {
        assertThat(r.at("/args/0/op").asText()).isEqualTo("SCMP_CMP_MASKED_EQ");
        refusedFlags.add(r.at("/args/0/value").asLong());
      }
    });
    // CLONE_NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWCGROUP, NEWTIME: never NEWNS or NEWNET (CRIU dumps those).
    assertThat(refusedFlags).containsExactlyInAnyOrder(0x04000000L, 0x08000000L, 0x10000000L, 0x20000000L, 0x02000000L, 0x80L);
  }

  @Test
  void specEnvironmentWinsOverSystemdDefaults() {
    RuntimeSpec spec = spec(InitKind.SYSTEMD).env("container", "lxc").build();
    assertThat(OciSpecWriter.environment(spec, true)).contains("container=lxc").doesNotContain("container=ferry");
  }

  @Test
  void joinsTheNamedNetworkNamespace(@TempDir Path dir) throws Exception {
    JsonNode c = json(spec(InitKind.GENERIC).networkNamespace(Path.of("/run/netns/ferry-web-1")).build(), dir);
    JsonNode net = null;
    for (JsonNode ns : c.at("/linux/namespaces")) {
      if (ns.path("type").asText().equals("network")) {
        net = ns;
      }
    }
    assertThat(net).isNotNull();
    assertThat(net.path("path").asText()).isEqualTo("/run/netns/ferry-web-1");
  }

  @Test
  void restoreOfItsOwnNetworkNamespaceBringsLoopbackUp() {
    JsonNode start = writer.build(spec(InitKind.GENERIC).build(), CRIU_CONF, OciSpecWriter.Purpose.START);
    assertThat(start.has("hooks")).as("runc brings loopback up itself on start").isFalse();

    JsonNode restore = writer.build(spec(InitKind.GENERIC).build(), CRIU_CONF, OciSpecWriter.Purpose.RESTORE);
    JsonNode hook = restore.at("/hooks/prestart/0");
    assertThat(hook.path("path").asText()).isEqualTo("/bin/sh");
    assertThat(texts(hook.path("args")).get(2)).contains("nsenter --target \"$pid\" --net ip link set lo up");
    assertThat(texts(hook.path("env"))).singleElement().asString().startsWith("PATH=");
    assertThat(hook.path("timeout").asInt()).isPositive();

    JsonNode joined = writer.build(spec(InitKind.GENERIC).networkNamespace(Path.of("/run/netns/x")).build(), CRIU_CONF,
        OciSpecWriter.Purpose.RESTORE);
    assertThat(joined.has("hooks")).as("a joined namespace is the caller's").isFalse();
  }

  @Test
  void leavesAbsentLimitsOut(@TempDir Path dir) throws Exception {
    JsonNode c = json(spec(InitKind.GENERIC).limits(Limits.NONE).build(), dir);
    JsonNode resources = c.at("/linux/resources");
    assertThat(resources.has("memory")).isFalse();
    assertThat(resources.has("cpu")).isFalse();
    assertThat(resources.has("pids")).isFalse();
    assertThat(resources.at("/devices/0/allow").asBoolean()).isFalse();
  }

  @Test
  void rewritesAnExistingConfigInPlace(@TempDir Path dir) throws Exception {
    writer.write(spec(InitKind.GENERIC).hostname("one").build(), dir, CRIU_CONF, OciSpecWriter.Purpose.START);
    writer.write(spec(InitKind.GENERIC).hostname("two").build(), dir, CRIU_CONF, OciSpecWriter.Purpose.START);
    assertThat(MAPPER.readTree(dir.resolve("config.json").toFile()).path("hostname").asText()).isEqualTo("two");
    assertThat(dir.resolve("config.json.tmp")).doesNotExist();
  }

  private static JsonNode rule(JsonNode seccomp, String name) {
    for (JsonNode r : seccomp.path("syscalls")) {
      if (texts(r.path("names")).contains(name)) {
        return r;
      }
    }
    throw new AssertionError("no seccomp rule for " + name);
  }

  private static JsonNode mount(JsonNode c, String destination) {
    for (JsonNode m : c.path("mounts")) {
      if (m.path("destination").asText().equals(destination)) {
        return m;
      }
    }
    throw new AssertionError("no mount at " + destination);
  }

  private static List<String> mountDestinations(JsonNode c) {
    List<String> out = new ArrayList<>();
    c.path("mounts").forEach(m -> out.add(m.path("destination").asText()));
    return out;
  }

  private static List<String> namespaceTypes(JsonNode c) {
    return c.at("/linux/namespaces").findValuesAsText("type");
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }
}
