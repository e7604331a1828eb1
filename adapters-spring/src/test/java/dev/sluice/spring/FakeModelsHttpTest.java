package dev.sluice.spring;

import org.springframework.boot.test.context.SpringBootTest;

/** Base of the HTTP tests that share {@link FakeModelsApplication}: one context, started once, on a random port. */
@SpringBootTest(classes = FakeModelsApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "sluice.http.max-request-size=64KB")
abstract class FakeModelsHttpTest extends SluiceHttpTest {}
