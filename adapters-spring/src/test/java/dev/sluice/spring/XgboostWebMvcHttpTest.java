package dev.sluice.spring;

import org.springframework.boot.test.context.SpringBootTest;

/** {@link XgboostHttpTest} on the servlet stack (Spring MVC). */
@SpringBootTest(classes = XgboostApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class XgboostWebMvcHttpTest extends XgboostHttpTest {}
