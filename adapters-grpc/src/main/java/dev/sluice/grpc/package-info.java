/**
 * The Open Inference Protocol (KServe v2) over gRPC, without Spring: {@link dev.sluice.grpc.SluiceGrpcServer} serves
 * {@code inference.GRPCInferenceService} and {@code grpc.health.v1.Health} for every tensor deployment of a
 * {@link dev.sluice.Sluice} runtime, {@link dev.sluice.grpc.OipGrpcClient} calls any server of the protocol
 * (Sluice, Triton, KServe) with {@link dev.sluice.grpc.InferRequest}s, and {@link dev.sluice.grpc.RemoteDeployment}
 * is a {@link dev.sluice.DeploymentHandle} over a pool of such servers, routed by load with failover (the module's
 * README shows how).
 *
 * <p>The protocol's messages and stubs, generated from {@code grpc_predict_v2.proto}, are in
 * {@code dev.sluice.grpc.proto} (wire package {@code inference}), for clients that want the messages themselves.
 */
package dev.sluice.grpc;
