/**
 * The Sluice runtime: deployments of models, their replicas pulling batches from one queue per
 * deployment, autoscaling, health checks, placement on resources, hot swap and undeploy.
 *
 * <ul>
 *   <li>{@link dev.sluice.Sluice}: the runtime; deploys, undeploys, reports its {@link dev.sluice.SluiceStatus}
 *       and closes.
 *   <li>{@link dev.sluice.Deployment}: a deployment's settings; {@link dev.sluice.DeploymentHandle}: submits
 *       requests to it, updates it, waits for it to be ready.
 *   <li>{@link dev.sluice.Model}, {@link dev.sluice.ModelFactory} and {@link dev.sluice.ModelContext}: what a
 *       replica runs, and where it was placed.
 *   <li>{@link dev.sluice.Resources} (the CPUs of the execution budget, and GPUs found by
 *       {@link dev.sluice.GpuInventory}), what a
 *       replica asks for ({@link dev.sluice.ReplicaResources}) and where it was placed
 *       ({@link dev.sluice.Placement}).
 *   <li>{@link dev.sluice.AutoscalingPolicy}: the rule the autoscaler follows.
 *   <li>The status snapshot and its typed states: {@link dev.sluice.DeploymentState},
 *       {@link dev.sluice.ReplicaState}, {@link dev.sluice.AutoscalerAction}.
 * </ul>
 *
 * <p>Pipelines of several deployments are in {@code dev.sluice.pipeline}, tensors in {@code dev.sluice.tensor},
 * and a test kit (fake models, a runtime on a manual clock) in {@code dev.sluice.testing}.
 */
package dev.sluice;
