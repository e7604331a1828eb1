package dev.sluice.spring.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.batching.InvalidInputException;
import org.junit.jupiter.api.Test;

/** The parser's edges; the rule itself is tested over HTTP on both stacks (TypedEndpointsHttpTest, WebFluxHttpTest). */
class TraceFlagTest {
    @Test
    void noQueryAsksForNoTrace() {
        assertThat(TraceFlag.isRequested(null)).isFalse();
    }

    @Test
    void anotherParameterThatCannotBeDecodedIsNotJudged() {
        assertThat(TraceFlag.isRequested("q=%zz&trace=1")).isTrue();
    }

    @Test
    void aTraceValueThatCannotBeDecodedIsRefusedNamingTheParameter() {
        assertThatThrownBy(() -> TraceFlag.isRequested("trace=%zz")).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("\"trace\"");
    }
}
