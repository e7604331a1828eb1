/**
 * The Open Inference Protocol over gRPC in a Spring Boot application: {@link
 * dev.sluice.spring.grpc.SluiceGrpcAutoConfiguration} runs a {@link dev.sluice.grpc.SluiceGrpcServer} over the
 * application's runtime when {@code sluice-grpc} is on the class path ({@code sluice.grpc.*}).
 */
package dev.sluice.spring.grpc;
