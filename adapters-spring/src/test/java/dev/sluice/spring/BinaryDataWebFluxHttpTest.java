package dev.sluice.spring;

import org.springframework.boot.test.context.SpringBootTest;

/** {@link BinaryDataHttpTest} on the reactive stack (WebFlux), over the same models. */
@SpringBootTest(classes = FakeModelsApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"spring.main.web-application-type=reactive", "sluice.http.max-request-size=64KB"})
class BinaryDataWebFluxHttpTest extends BinaryDataHttpTest {}
