package dev.sluice.examples.ocr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.Font;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The page at {@code GET /} as a user sees it: the application on 127.0.0.1, the page in headless Chromium driven
 * through WebDriver (Debian's {@code chromium} and {@code chromedriver}, found on the PATH and given to Selenium
 * explicitly, so Selenium Manager never looks for a driver). Skipped when either is missing, except with
 * {@code CI=true}, where that fails. Writes the screenshot of a read page to {@code target/ocr-page.png}
 * ({@code docs/ocr-page.png} is a copy made by hand).
 */
class OcrPageBrowserTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** Bounds every wait on the page: an upload is read in about a second here, on two busy cores. */
    private static final Duration WAIT = Duration.ofSeconds(30);
    /** A window as wide as a laptop's browser; tall enough that the screenshot shows the trace under the lines. */
    private static final Dimension WIDE = new Dimension(1000, 1200);

    /** Selenium warns that it has no DevTools bindings for this Chromium; the test needs none (WebDriver only). */
    private static final List<Logger> CDP_WARNINGS = List.of(Logger.getLogger("org.openqa.selenium.devtools.CdpVersionFinder"),
            Logger.getLogger("org.openqa.selenium.chromium.ChromiumDriver"));

    private static ConfigurableApplicationContext app;
    /** The browser starts while the application does; stop() waits for it even when the application failed. */
    private static CompletableFuture<ChromeDriver> starting;
    private static ChromeDriver browser;
    private static URI base;

    @TempDir
    static Path files;

    @BeforeAll
    static void start() throws Exception {
        Optional<Path> chromium = onPath("chromium");
        Optional<Path> chromedriver = onPath("chromedriver");
        boolean present = chromium.isPresent() && chromedriver.isPresent();
        if (!present && "true".equals(System.getenv("CI"))) {
            fail("CI=true but chromium or chromedriver is not on the PATH (chromium: " + chromium.orElse(null)
                    + ", chromedriver: " + chromedriver.orElse(null) + "); .ci/run installs Debian's chromium and chromium-driver");
        }
        if (!present) {
            return; // each test is skipped by openThePage's assumption, so that the test reports count them as skipped
        }

        CDP_WARNINGS.forEach(l -> l.setLevel(Level.SEVERE));
        ChromeDriverService driver = new ChromeDriverService.Builder()
                .usingDriverExecutable(chromedriver.get().toFile()).usingAnyFreePort().build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium.get().toFile());
        // --no-sandbox: the build may run as root, where Chromium's sandbox refuses to start. One device pixel per CSS
        // pixel, so a screenshot's pixels are the page's coordinates.
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-extensions", "--hide-scrollbars", "--force-device-scale-factor=1",
                "--window-size=" + WIDE.getWidth() + "," + WIDE.getHeight());
        starting = CompletableFuture.supplyAsync(() -> new ChromeDriver(driver, options));

        app = new SpringApplicationBuilder(OcrApplication.class).main(OcrApplication.class)
                .run("--server.address=127.0.0.1", "--server.port=0", "--spring.main.banner-mode=off");
        base = URI.create("http://127.0.0.1:" + app.getEnvironment().getProperty("local.server.port") + "/");
        browser = starting.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (starting != null) {
                try {
                    starting.get(WAIT.toSeconds(), TimeUnit.SECONDS).quit();
                } catch (ExecutionException e) {
                    // it never started: nothing to stop
                } catch (TimeoutException e) {
                    starting.thenAccept(ChromeDriver::quit); // still starting: stopped once it has
                }
            }
        } finally {
            if (app != null) {
                app.close();
            }
        }
    }

    @BeforeEach
    void openThePage() {
        assumeTrue(starting != null, "chromium and chromedriver are needed on the PATH for the page's browser test");
        browser.manage().window().setSize(WIDE);
        browser.get(base.toString());
        assertEquals("Sluice OCR", browser.getTitle());
    }

    @Test
    void theSelfCheckPageShowsABoxWhereTheServiceFoundEachLineAndEachLinesText() throws Exception {
        byte[] png = SelfCheckPage.png();
        List<JsonNode> expected = serviceLines(png);
        assertEquals(OcrSelfCheck.SAMPLE, expected.stream().map(l -> l.get("text").asString()).toList());

        assertEquals("done", upload(file("self-check.png", png)));
        assertTrue(status().matches("3 line\\(s\\) in \\d+ ms"), status());
        assertEquals(OcrSelfCheck.SAMPLE, shownTexts());
        Drawn drawn = drawn();
        assertEquals(1.0, drawn.scale(), 1e-9, "shown at its own size in a wide window");
        assertBoxesLieWhereTheServiceSays(expected, drawn);

        Path screenshot = Path.of("target", "ocr-page.png");
        Files.createDirectories(screenshot.getParent());
        Files.write(screenshot, browser.getScreenshotAs(OutputType.BYTES));
    }

    @Test
    void theBoxesStayOnTheTextWhenTheImageIsScaledDownToTheWindow() throws Exception {
        byte[] png = SelfCheckPage.png();
        List<JsonNode> expected = serviceLines(png);
        browser.manage().window().setSize(new Dimension(480, 800));

        assertEquals("done", upload(file("self-check.png", png)));
        Drawn drawn = drawn();
        assertTrue(drawn.scale() < 0.8, "the 640 px image is scaled to a 480 px window: " + drawn.scale());
        assertBoxesLieWhereTheServiceSays(expected, drawn);
        assertEquals(OcrSelfCheck.SAMPLE, shownTexts());
    }

    @Test
    void whileTheServiceReadsTheImageThePageSaysSo() throws IOException {
        // Every text the status shows, in order, as the page changes it (a MutationObserver sees each change).
        browser.executeScript("window.statusSeen = [];"
                + "new MutationObserver(() => window.statusSeen.push(document.getElementById('status').textContent))"
                + ".observe(document.getElementById('status'), {childList: true, characterData: true, subtree: true});");

        byte[] png = SelfCheckPage.png();
        assertEquals("done", upload(file("self-check.png", png)));
        @SuppressWarnings("unchecked")
        List<String> seen = (List<String>) browser.executeScript("return window.statusSeen;");
        assertEquals(2, seen.size(), seen.toString());
        assertEquals("reading self-check.png (" + Math.round(png.length / 1024.0) + " KB) ...", seen.get(0));
        assertTrue(seen.get(1).startsWith("3 line(s) in "), seen.toString());
    }

    @Test
    void anEarlierUploadsAnswerArrivingLateIsNotShown() throws IOException {
        // fetch, wrapped: the first upload's answer is held until the second upload has been sent; once the page has
        // read the first answer's body, the second answer is let go, a task later, so the page has done with the first.
        browser.executeScript("""
                window.statusSeen = [];
                new MutationObserver(() => window.statusSeen.push(document.getElementById('status').textContent))
                    .observe(document.getElementById('status'), {childList: true, characterData: true, subtree: true});
                const realFetch = window.fetch.bind(window);
                let calls = 0, secondSent, releaseSecond;
                const sent = new Promise(r => secondSent = r);
                const released = new Promise(r => releaseSecond = r);
                window.fetch = async (...args) => {
                  const call = ++calls;
                  if (call === 2) secondSent();
                  const response = await realFetch(...args);
                  if (call === 1) {
                    await sent;
                    const text = response.text.bind(response);
                    response.text = async () => { const t = await text(); setTimeout(releaseSecond, 0); return t; };
                  } else {
                    await released;
                  }
                  return response;
                };""");
        TextPages.Page later = TextPages.render(List.of("Still serving 42"),
                new Font(TextPages.availableFonts().get(0), Font.PLAIN, 28), 0, new Random(1), 0);

        browser.findElement(By.id("file")).sendKeys(file("first.png", SelfCheckPage.png()).toString());
        assertEquals("done", upload(file("second.png", later.png())));
        assertEquals(List.of("Still serving 42"), shownTexts());
        assertEquals(1, browser.findElements(By.cssSelector("#boxes polygon")).size());
        @SuppressWarnings("unchecked")
        List<String> seen = (List<String>) browser.executeScript("return window.statusSeen;");
        assertEquals(3, seen.size(), "the first answer never showed: " + seen);
        assertTrue(seen.get(0).startsWith("reading first.png") && seen.get(1).startsWith("reading second.png"), seen.toString());
        assertTrue(seen.get(2).startsWith("1 line(s) in "), seen.toString());
    }

    @Test
    void aFileThatIsNotAnImageShowsTheServicesErrorInsteadOfThePreviousResult() throws Exception {
        assertEquals("done", upload(file("self-check.png", SelfCheckPage.png())));
        byte[] notes = "Meeting notes: ship order 4827 on Monday.\n".getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> direct = post(notes);
        assertEquals(400, direct.statusCode(), direct.body());

        assertEquals("error", upload(file("notes.txt", notes)));
        assertEquals("400: " + JSON.readTree(direct.body()).get("error").asString(), status());
        assertTrue(status().contains("is not an image"), status());
        String color = browser.findElement(By.id("status")).getCssValue("color");
        assertTrue(color.contains("187, 0, 0"), "shown in the error colour (#b00): " + color);
        assertEquals(List.of(), shownTexts(), "the previous image's lines are gone");
        assertEquals(0, browser.findElements(By.cssSelector("#boxes polygon")).size(), "and its boxes");
        assertTrue(!browser.findElement(By.id("frame")).isDisplayed(), "and the image");
    }

    @Test
    void aPngDeclaringNoPixelsShowsTheServicesRefusal() throws Exception {
        assertEquals("error", upload(file("empty.png", OcrBadInputTest.pngBomb(0, 0))));
        assertEquals("400: the PNG image declares no pixels (0 x 0)", status());
    }

    // --- the page as a user works it

    /** Chooses {@code file} in the page's file input and waits for the answer: the status's state, done or error. */
    private static String upload(Path file) {
        browser.findElement(By.id("file")).sendKeys(file.toAbsolutePath().toString());
        return new WebDriverWait(browser, WAIT).until(d -> {
            String state = d.findElement(By.id("status")).getDomAttribute("data-state");
            return "done".equals(state) || "error".equals(state) ? state : null;
        });
    }

    private static String status() {
        return browser.findElement(By.id("status")).getText();
    }

    /** The text column of the lines table, top to bottom. */
    private static List<String> shownTexts() {
        List<String> texts = new ArrayList<>();
        for (WebElement row : browser.findElements(By.cssSelector("#lines tbody tr"))) {
            texts.add(row.findElements(By.tagName("td")).get(1).getText());
        }
        return texts;
    }

    /** Where the image is on the screen, its own size, and each box's points and bounding rectangle on the screen. */
    private record Drawn(Map<String, Object> image, List<Map<String, Object>> boxes) {
        double scale() {
            return number(image, "width") / number(image, "naturalWidth");
        }
    }

    @SuppressWarnings("unchecked")
    private static Drawn drawn() {
        Map<String, Object> image = (Map<String, Object>) browser.executeScript("const i = document.getElementById('image');"
                + "const r = i.getBoundingClientRect();"
                + "return {left: r.left, top: r.top, width: r.width, height: r.height,"
                + " naturalWidth: i.naturalWidth, naturalHeight: i.naturalHeight};");
        List<Map<String, Object>> boxes = (List<Map<String, Object>>) browser.executeScript(
                "return [...document.querySelectorAll('#boxes polygon')].map(p => { const r = p.getBoundingClientRect();"
                        + " return {points: p.getAttribute('points'), left: r.left, top: r.top, right: r.right,"
                        + " bottom: r.bottom}; });");
        return new Drawn(image, boxes);
    }

    /**
     * One box per line the service found, with the service's points, placed on the screen where those points fall
     * on the image as shown (to a pixel), and drawn there in red in a screenshot.
     */
    private static void assertBoxesLieWhereTheServiceSays(List<JsonNode> lines, Drawn drawn) throws IOException {
        assertEquals(lines.size(), drawn.boxes().size(), "one box per line: " + drawn.boxes());
        BufferedImage screen = ImageIO.read(new ByteArrayInputStream(browser.getScreenshotAs(OutputType.BYTES)));
        double scale = drawn.scale();
        double left = number(drawn.image(), "left");
        double top = number(drawn.image(), "top");
        assertEquals(scale, number(drawn.image(), "height") / number(drawn.image(), "naturalHeight"), 0.01, "not stretched");
        for (int i = 0; i < lines.size(); i++) {
            JsonNode points = lines.get(i).at("/box/points");
            Map<String, Object> box = drawn.boxes().get(i);
            StringBuilder expectedPoints = new StringBuilder();
            double minX = Double.MAX_VALUE;
            double minY = Double.MAX_VALUE;
            double maxX = -Double.MAX_VALUE;
            double maxY = -Double.MAX_VALUE;
            for (JsonNode p : points) {
                double x = p.get(0).asDouble();
                double y = p.get(1).asDouble();
                expectedPoints.append(expectedPoints.length() == 0 ? "" : " ").append(p.get(0).asInt()).append(',').append(p.get(1).asInt());
                minX = Math.min(minX, x);
                minY = Math.min(minY, y);
                maxX = Math.max(maxX, x);
                maxY = Math.max(maxY, y);
            }
            String which = "box " + (i + 1) + " " + box;
            assertEquals(expectedPoints.toString(), box.get("points"), which);
            assertEquals(left + minX * scale, number(box, "left"), 1.0, which);
            assertEquals(top + minY * scale, number(box, "top"), 1.0, which);
            assertEquals(left + maxX * scale, number(box, "right"), 1.0, which);
            assertEquals(top + maxY * scale, number(box, "bottom"), 1.0, which);
            // The middle of each side is red on the screen; the middle of the box (text on white) is not.
            double x0 = number(box, "left");
            double y0 = number(box, "top");
            double x1 = number(box, "right");
            double y1 = number(box, "bottom");
            assertTrue(redNear(screen, (x0 + x1) / 2, y0), which + ": top side drawn");
            assertTrue(redNear(screen, (x0 + x1) / 2, y1), which + ": bottom side drawn");
            assertTrue(redNear(screen, x0, (y0 + y1) / 2), which + ": left side drawn");
            assertTrue(redNear(screen, x1, (y0 + y1) / 2), which + ": right side drawn");
            assertTrue(!redNear(screen, (x0 + x1) / 2, (y0 + y1) / 2), which + ": nothing red inside");
        }
    }

    /** A pixel within 2 px of (x, y) that is the boxes' red, rgb(220, 30, 30) give or take anti-aliasing. */
    private static boolean redNear(BufferedImage screen, double x, double y) {
        for (int dy = -2; dy <= 2; dy++) {
            for (int dx = -2; dx <= 2; dx++) {
                int px = (int) Math.round(x) + dx;
                int py = (int) Math.round(y) + dy;
                if (px < 0 || py < 0 || px >= screen.getWidth() || py >= screen.getHeight()) {
                    continue;
                }
                int rgb = screen.getRGB(px, py);
                int r = (rgb >> 16) & 0xff;
                int g = (rgb >> 8) & 0xff;
                int b = rgb & 0xff;
                if (r > 150 && g < 110 && b < 110 && r - g > 80) {
                    return true;
                }
            }
        }
        return false;
    }

    private static double number(Map<String, Object> map, String key) {
        return ((Number) map.get(key)).doubleValue();
    }

    // --- the service directly, for what the page should show

    private static HttpResponse<String> post(byte[] body) throws IOException, InterruptedException {
        HttpClient client = HttpClient.newHttpClient();
        return client.send(HttpRequest.newBuilder(base.resolve("/ocr")).timeout(WAIT).header("Content-Type", "image/png")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The lines the service answers for {@code png}, as JSON objects (text, confidence, box). */
    private static List<JsonNode> serviceLines(byte[] png) throws IOException, InterruptedException {
        HttpResponse<String> r = post(png);
        assertEquals(200, r.statusCode(), r.body());
        return r.body().lines().filter(l -> !l.isBlank()).map(l -> (JsonNode) JSON.readTree(l)).toList();
    }

    private static Path file(String name, byte[] content) throws IOException {
        return Files.write(files.resolve(name), content);
    }

    /** The executable {@code name} in a folder of the PATH. */
    private static Optional<Path> onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        return Stream.of(path.split(File.pathSeparator)).filter(d -> !d.isEmpty()).map(d -> Path.of(d, name))
                .filter(Files::isExecutable).findFirst();
    }
}
