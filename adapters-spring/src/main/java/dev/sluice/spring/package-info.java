/**
 * Spring Boot starter: a {@link dev.sluice.Sluice} runtime as a bean, the application's
 * {@link dev.sluice.Deployment} and {@link dev.sluice.pipeline.Pipeline} beans deployed and registered at start-up,
 * ONNX models declared in properties ({@code sluice.models.*}), and the Open Inference Protocol endpoints
 * ({@link dev.sluice.spring.oip}, mounted on Spring MVC by {@link dev.sluice.spring.webmvc}).
 */
package dev.sluice.spring;
