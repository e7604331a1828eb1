package dev.sluice.spring;

import org.springframework.boot.test.context.SpringBootTest;

/** {@link XgboostHttpTest} on the reactive stack (WebFlux). */
@SpringBootTest(classes = XgboostApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "spring.main.web-application-type=reactive")
class XgboostWebFluxHttpTest extends XgboostHttpTest {}
