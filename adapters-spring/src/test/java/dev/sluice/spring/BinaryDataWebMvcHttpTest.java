package dev.sluice.spring;

import org.springframework.boot.test.context.SpringBootTest;

/** {@link BinaryDataHttpTest} on the servlet stack (Spring MVC), in the context {@link FakeModelsHttpTest} shares. */
@SpringBootTest(classes = FakeModelsApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "sluice.http.max-request-size=64KB")
class BinaryDataWebMvcHttpTest extends BinaryDataHttpTest {}
