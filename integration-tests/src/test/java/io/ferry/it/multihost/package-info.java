/**
 * Ferry on many machines, simulated with Docker on one: the multi-host harness of issue 7.
 *
 * <p>{@link io.ferry.it.multihost.MultiHostCluster} starts a ZooKeeper ensemble of three, one or
 * more coordinators and N hosts, every node a container with a fixed address on the Docker network
 * {@value io.ferry.it.multihost.MultiHostCluster#SUBNET} (ZooKeeper servers {@code .11-.13},
 * coordinators {@code c1..} at {@code .21..}, hosts {@code host-1..} at {@code .101..}). Every node
 * runs the image {@code deploy/images/ferry-host/Dockerfile} describes ({@link
 * io.ferry.it.multihost.FerryHostImage}: the debian-12 rootfs of host setup, runc, this machine's
 * CRIU 4.2.1, a JRE), built once per machine and tagged by a digest of its inputs. The Ferry jars
 * are mounted from {@code agent/target} and {@code coordinator/target}: package them first (failsafe
 * runs after {@code package}). Security is production's: a test CA, hosts joining with tokens,
 * mutual TLS; ZooKeeper is plaintext.
 *
 * <p>Typical use (see {@code MultiHostClusterIT}):
 *
 * <pre>{@code
 * @TestInstance(PER_CLASS) @ExtendWith(DumpClusterOnFailure.class)
 * class SomeIT implements DumpClusterOnFailure.HasCluster {
 *   MultiHostCluster cluster;
 *   public MultiHostCluster cluster() { return cluster; }
 *   @BeforeAll void start() throws Exception {
 *     cluster = MultiHostCluster.start("name", MultiHostCluster.testDirectory("name"), 2, 3);
 *   }
 *   @AfterAll void stop() { if (cluster != null) cluster.close(); }
 *   @Test void survivesAHostKill() {
 *     cluster.killHost("host-2");
 *     ... assert with deadlines (Awaitility), through cluster.client() and cluster.hostsRunning(...)
 *   }
 * }
 * }</pre>
 *
 * <p>Faults: kill a host ({@code docker kill}), freeze it ({@code docker pause}; its containers
 * freeze too, their cgroups are under the host container's), cut it from the network and heal it,
 * cut it from ZooKeeper only (iptables inside the host), restart its agent (SIGKILL, start again),
 * kill and restart a ZooKeeper server, kill the leading coordinator. A failing test prints {@link
 * io.ferry.it.multihost.MultiHostCluster#dump()}; logs stay in {@code
 * integration-tests/target/multihost/NAME/} ({@code c1.log}, {@code host-1.log}, {@code
 * zk-1/zookeeper.log}).
 *
 * <p>Costs on a 2-core machine: the image build about 20 s (once), a cluster of three ZooKeeper
 * servers, two coordinators and three hosts ready in 40-60 s; one cluster at a time per machine
 * (fixed subnet and names).
 */
package io.ferry.it.multihost;
