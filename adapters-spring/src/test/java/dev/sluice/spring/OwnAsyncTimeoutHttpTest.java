package dev.sluice.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.servlet.config.annotation.AsyncSupportConfigurer;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * An application that sets the asynchronous timeout in its own {@code WebMvcConfigurer} keeps it: the starter's
 * configurer comes first, so it cannot override the application's (here with no Sluice request timeout at all,
 * which the starter alone would turn into no async timeout).
 */
@SpringBootTest(classes = {StuckModelApplication.class, OwnAsyncTimeoutHttpTest.OwnTimeout.class},
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = "sluice.http.request-timeout=0")
class OwnAsyncTimeoutHttpTest extends SluiceHttpTest {

    @Configuration(proxyBeanMethods = false)
    static class OwnTimeout {
        @Bean
        WebMvcConfigurer ownAsyncTimeout() {
            return new WebMvcConfigurer() {
                @Override
                public void configureAsyncSupport(AsyncSupportConfigurer configurer) {
                    configurer.setDefaultTimeout(200);
                }
            };
        }
    }

    @Test
    void theApplicationsOwnConfigurerWins() throws Exception {
        Http.Reply r = postWhileHeld(StuckModelApplication.TENSOR_GATE, "/v2/models/stuck/infer", vector(1, 2, 3, 4));
        assertThat(r.status()).isEqualTo(504);
        assertThat(r.error()).contains("asynchronous request timeout");
        await().until(() -> idle("stuck"));
    }
}
