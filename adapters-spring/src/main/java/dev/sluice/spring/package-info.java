/**
 * Spring Boot starter: a {@link dev.sluice.Sluice} runtime as a bean, the application's
 * {@link dev.sluice.Deployment} and {@link dev.sluice.pipeline.Pipeline} beans deployed and registered at start-up,
 * ONNX and XGBoost models declared in properties ({@code sluice.models.*}; an XGBoost model's extra outputs in
 * {@code sluice.models.<name>.xgboost.outputs}), the Open Inference Protocol endpoints
 * ({@link dev.sluice.spring.oip}) and the typed endpoints ({@link dev.sluice.spring.typed}), mounted on Spring MVC
 * by {@link dev.sluice.spring.webmvc} or on WebFlux by {@link dev.sluice.spring.webflux}, and health and metrics
 * ({@link dev.sluice.spring.actuate}). {@link dev.sluice.spring.http} holds what an application's own endpoints
 * use to answer as the starter's do.
 */
package dev.sluice.spring;
