package dev.sluice.examples.ocr;

import dev.sluice.pipeline.Result;
import dev.sluice.pipeline.Trace;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Issue 15's measurements on browser-rendered pages (and on OcrLongLinesTest's Java2D pages), a diagnostic main,
 * not a test. Every service compared runs in this one JVM, each with a runtime of its own, and the pages go to
 * them in turn, so a load from outside disturbs all alike.
 *
 * <ul>
 *   <li>{@code accuracy SIDE[,SIDE...]}: for each detector max side, every page's character accuracy, whether
 *       its lines came back in order, the detector's input size and the wall time per page (idle: one page at a
 *       time); then, over all pages and lines, how a line's confidence goes with its accuracy.
 *   <li>{@code runs WIDTH[,WIDTH...]}: the same on the browser pages for each recognizer run width
 *       ({@code OcrService.Builder.recognizerRunWidth}), with the CPU time per page.
 *   <li>{@code load SIDE ROUNDS}: the full page (1400 x 3000) read one at a time and 4 at once, in turn,
 *       {@code ROUNDS} times: the time per page and per line idle and under load, and the JVM's peak resident
 *       memory (VmHWM).
 * </ul>
 *
 * <p>{@code java -cp ... dev.sluice.examples.ocr.BrowserPagesProbe accuracy 960,4000}
 */
final class BrowserPagesProbe {
    private BrowserPagesProbe() {}

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "accuracy";
        Path dir = Files.createTempDirectory("browser-pages");
        List<BrowserPages.Layout> layouts = new ArrayList<>(BrowserPages.documents());
        layouts.add(BrowserPages.fullPage());
        Path chromium = BrowserPages.chromium().orElseThrow(() -> new IllegalStateException("no chromium"));
        List<BrowserPages.Page> browser = BrowserPages.render(chromium, layouts, dir);
        BrowserPages.delete(dir);
        if (mode.equals("load")) {
            load(Integer.parseInt(args[1]), Integer.parseInt(args[2]), browser.get(browser.size() - 1));
            return;
        }
        List<BrowserPages.Page> pages = new ArrayList<>(browser);
        pages.addAll(java2dPages());
        int[] values = Arrays.stream((args.length > 1 ? args[1] : "960").split(",")).mapToInt(Integer::parseInt).toArray();
        Map<Integer, OcrService> services = new LinkedHashMap<>();
        try {
            for (int v : values) {
                OcrService.Builder b = OcrService.builder(OcrService.defaultModels());
                services.put(v, (mode.equals("runs") ? b.recognizerRunWidth(v) : b.detectorMaxSide(v)).build());
            }
            if (mode.equals("runs")) { // the recognizer's run width: the browser pages only
                pages.removeIf(p -> p.name().startsWith("java2d"));
            }
            accuracy(services, pages);
        } finally {
            services.values().forEach(OcrService::close);
        }
    }

    private static void accuracy(Map<Integer, OcrService> services, List<BrowserPages.Page> pages) throws Exception {
        Map<Integer, List<BrowserPages.Score>> scores = new LinkedHashMap<>();
        Map<Integer, long[]> time = new LinkedHashMap<>();
        services.keySet().forEach(s -> {
            scores.put(s, new ArrayList<>());
            time.put(s, new long[pages.size()]);
        });
        for (OcrService s : services.values()) { // warm-up: every model's first run is slow
            s.read(pages.get(0).png()).get(300, TimeUnit.SECONDS);
        }
        for (int i = 0; i < pages.size(); i++) {
            BrowserPages.Page page = pages.get(i);
            byte[] png = page.png();
            for (Map.Entry<Integer, OcrService> e : services.entrySet()) {
                long c0 = cpuNanos();
                long t0 = System.nanoTime();
                Result<OcrResult> r = e.getValue().read(png).get(300, TimeUnit.SECONDS);
                long ns = System.nanoTime() - t0;
                long cpu = cpuNanos() - c0;
                time.get(e.getKey())[i] = ns;
                BrowserPages.Score sc = BrowserPages.score(page, r.value());
                scores.get(e.getKey()).add(sc);
                var det = e.getValue().textDetector().input(page.image()).values().iterator().next();
                System.out.printf(Locale.ROOT, "%4d %-28s %4dx%-4d det %4dx%-4d %6.2f%% (%3d of %5d wrong) order %s,"
                        + " %3d lines, %6.0f ms, CPU %6.0f ms (detect %5.0f ms, recognize %5.0f ms)%n", e.getKey(), page.name(),
                        page.image().getWidth(), page.image().getHeight(), det.dim(3), det.dim(2), 100 * sc.accuracy(),
                        sc.errors(), sc.characters(), sc.orderKept() ? "kept" : "BROKEN", page.lines().size(), ns / 1e6, cpu / 1e6,
                        stepMs(r.trace(), "detect"), stepMs(r.trace(), "recognize"));
            }
        }
        for (int side : services.keySet()) {
            System.out.printf(Locale.ROOT, "%n== %d (detector max side, or recognizer run width)%n", side);
            summary("browser documents", scores.get(side), time.get(side), s -> s.page().name().startsWith("doc-"));
            summary("browser full page", scores.get(side), time.get(side), s -> s.page().name().startsWith("full-"));
            summary("java2d pages", scores.get(side), time.get(side), s -> s.page().name().startsWith("java2d"));
            confidence(scores.get(side));
        }
    }

    private static double stepMs(Trace t, String step) {
        return t.spansOf(step).stream().mapToLong(Trace.Span::durationNanos).sum() / 1e6;
    }

    private static void summary(String label, List<BrowserPages.Score> scores, long[] ns,
            java.util.function.Predicate<BrowserPages.Score> which) {
        long errors = 0;
        long chars = 0;
        double worst = 1;
        long total = 0;
        int pages = 0;
        int lines = 0;
        boolean order = true;
        for (int i = 0; i < scores.size(); i++) {
            BrowserPages.Score s = scores.get(i);
            if (!which.test(s)) {
                continue;
            }
            errors += s.errors();
            chars += s.characters();
            worst = Math.min(worst, s.accuracy());
            total += ns[i];
            pages++;
            lines += s.page().lines().size();
            order &= s.orderKept();
        }
        if (pages == 0) {
            return;
        }
        System.out.printf(Locale.ROOT, "  %-18s %2d pages %4d lines: %.2f%% of %d characters right (worst page %.2f%%),"
                + " order %s; %.0f ms a page, %.1f ms a line (idle)%n", label, pages, lines,
                100.0 * (1 - (double) errors / chars), chars, 100 * worst, order ? "kept" : "BROKEN",
                total / 1e6 / pages, total / 1e6 / lines);
    }

    /** How a line's confidence goes with its accuracy: Pearson's r, and how well each threshold separates them. */
    private static void confidence(List<BrowserPages.Score> scores) {
        List<BrowserPages.LineScore> lines = new ArrayList<>();
        scores.forEach(s -> lines.addAll(s.lines()));
        int n = lines.size();
        double mc = lines.stream().mapToDouble(BrowserPages.LineScore::confidence).average().orElse(0);
        double ma = lines.stream().mapToDouble(BrowserPages.LineScore::accuracy).average().orElse(0);
        double sca = 0;
        double scc = 0;
        double saa = 0;
        for (BrowserPages.LineScore l : lines) {
            sca += (l.confidence() - mc) * (l.accuracy() - ma);
            scc += (l.confidence() - mc) * (l.confidence() - mc);
            saa += (l.accuracy() - ma) * (l.accuracy() - ma);
        }
        long misread = lines.stream().filter(l -> l.errors() > 0).count();
        long bad = lines.stream().filter(l -> l.accuracy() < 0.9).count();
        System.out.printf(Locale.ROOT, "  confidence vs accuracy over %d lines: Pearson r = %.3f; %d lines misread (any"
                + " error), %d below 90%% right%n", n, scc == 0 || saa == 0 ? Double.NaN : sca / Math.sqrt(scc * saa),
                misread, bad);
        double lowestRight = lines.stream().filter(l -> l.errors() == 0).mapToDouble(BrowserPages.LineScore::confidence)
                .min().orElse(Double.NaN);
        double highestMisread = lines.stream().filter(l -> l.errors() > 0).mapToDouble(BrowserPages.LineScore::confidence)
                .max().orElse(Double.NaN);
        double highestBad = lines.stream().filter(l -> l.accuracy() < 0.9).mapToDouble(BrowserPages.LineScore::confidence)
                .max().orElse(Double.NaN);
        System.out.printf(Locale.ROOT, "  lowest confidence of a line read right %.4f; highest of a misread line %.4f;"
                + " highest of a line below 90%% %.4f%n", lowestRight, highestMisread, highestBad);
        for (double t : new double[] {0.8, 0.85, 0.9, 0.93, 0.95, 0.97}) {
            long flaggedMisread = lines.stream().filter(l -> l.confidence() < t && l.errors() > 0).count();
            long flaggedRight = lines.stream().filter(l -> l.confidence() < t && l.errors() == 0).count();
            long flaggedBad = lines.stream().filter(l -> l.confidence() < t && l.accuracy() < 0.9).count();
            System.out.printf(Locale.ROOT, "    below %.2f: %3d lines, %3d of %d misread, %3d of %d below 90%%, %3d read"
                    + " right%n", t, flaggedMisread + flaggedRight, flaggedMisread, misread, flaggedBad, bad, flaggedRight);
        }
        lines.stream().filter(l -> l.errors() > 0).sorted((a, b) -> Double.compare(a.confidence(), b.confidence()))
                .forEach(l -> System.out.printf(Locale.ROOT, "    conf %.4f %5.1f%% %s %dpx: '%s' -> '%s'%n", l.confidence(),
                        100 * l.accuracy(), l.line().family(), l.line().px(), l.line().text(), l.read()));
    }

    /** OcrLongLinesTest's pages (the same seed and sizes), with the band of each line. */
    static List<BrowserPages.Page> java2dPages() {
        Random rnd = new Random(20261203L);
        List<BrowserPages.Page> pages = new ArrayList<>();
        List<String> fonts = TextPages.availableFonts().stream().filter(f -> !f.contains("Mono")).toList();
        for (String family : fonts.isEmpty() ? List.of(Font.SANS_SERIF) : fonts) {
            for (int px : new int[] {13, 16, 18}) {
                pages.add(java2d(rnd, new Font(family, Font.PLAIN, px), 1450, new int[] {600, 900, 1000, 1200, 1400}, 1.4,
                        px == 16 ? new Color(0xf6, 0xf4, 0xee) : Color.WHITE));
            }
            pages.add(java2d(rnd, new Font(family, Font.PLAIN, 16), 1000, new int[] {970, 970, 970, 970, 970, 600}, 1.25,
                    Color.WHITE));
        }
        return pages;
    }

    private static BrowserPages.Page java2d(Random rnd, Font font, int pageWidth, int[] widths, double lineHeight,
            Color background) {
        FontMetrics fm = TextPages.screenMetrics(font);
        List<String> lines = new ArrayList<>();
        for (int w : widths) {
            lines.add(TextPages.lineOfWidth(rnd, fm, w));
        }
        TextPages.Page p = TextPages.screen(lines, font, pageWidth, lineHeight, background);
        int step = (int) Math.round(font.getSize() * lineHeight);
        List<BrowserPages.Line> bands = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            bands.add(new BrowserPages.Line(lines.get(i), 8 + step * i, 8 + step * (i + 1), font.getFamily(), font.getSize()));
        }
        return new BrowserPages.Page(String.format(Locale.ROOT, "java2d-%s-%dpx-%d", font.getFamily().replace(' ', '-'),
                font.getSize(), pageWidth), bands, p.image());
    }

    /** The full page read alone and 4 at once, in turn: time per page and per line. */
    private static void load(int side, int rounds, BrowserPages.Page page) throws Exception {
        byte[] png = page.png();
        int lines = page.lines().size();
        try (OcrService ocr = OcrService.builder(OcrService.defaultModels()).detectorMaxSide(side).build()) {
            BrowserPages.Score first = BrowserPages.score(page, ocr.read(png).get(300, TimeUnit.SECONDS).value());
            System.out.printf(Locale.ROOT, "side %d, %s: %.2f%% right, order %s, %d lines; peak RSS so far %s%n", side,
                    page.name(), 100 * first.accuracy(), first.orderKept() ? "kept" : "BROKEN", lines, peakRss());
            List<Long> idle = new ArrayList<>();
            List<Long> loaded = new ArrayList<>();
            List<Long> loadedWall = new ArrayList<>();
            for (int round = 0; round < rounds; round++) {
                long c0 = cpuNanos();
                long t0 = System.nanoTime();
                ocr.read(png).get(300, TimeUnit.SECONDS);
                idle.add(System.nanoTime() - t0);
                System.out.printf(Locale.ROOT, "round %d: idle %.0f ms, CPU %.0f ms%n", round, idle.get(round) / 1e6,
                        (cpuNanos() - c0) / 1e6);
                long t1 = System.nanoTime();
                List<CompletableFuture<Long>> four = new ArrayList<>();
                for (int k = 0; k < 4; k++) {
                    long s = System.nanoTime();
                    four.add(ocr.read(png).thenApply(r -> System.nanoTime() - s));
                }
                for (CompletableFuture<Long> f : four) {
                    loaded.add(f.get(600, TimeUnit.SECONDS));
                }
                loadedWall.add(System.nanoTime() - t1);
            }
            double idleMs = idle.stream().mapToLong(Long::longValue).average().orElse(0) / 1e6;
            double loadMs = loaded.stream().mapToLong(Long::longValue).average().orElse(0) / 1e6;
            double wallMs = loadedWall.stream().mapToLong(Long::longValue).average().orElse(0) / 1e6;
            System.out.printf(Locale.ROOT, "idle: %.0f ms a page (%.1f ms a line), runs %s ms%n", idleMs, idleMs / lines,
                    ms(idle));
            System.out.printf(Locale.ROOT, "4 in flight: %.0f ms a page from submit to result (%.1f ms a line); 4 pages in"
                    + " %.0f ms, %.0f ms a page of throughput (%.1f ms a line); runs %s ms%n", loadMs, loadMs / lines, wallMs,
                    wallMs / 4, wallMs / 4 / lines, ms(loaded));
            System.out.printf(Locale.ROOT, "peak RSS %s%n", peakRss());
        }
    }

    /** The CPU time of this process, all its threads (ONNX Runtime's native ones too). */
    static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static String ms(List<Long> ns) {
        return ns.stream().map(n -> String.format(Locale.ROOT, "%.0f", n / 1e6)).toList().toString();
    }

    private static String peakRss() throws Exception {
        return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmHWM"))
                .map(l -> l.replaceAll("\\s+", " ")).findFirst().orElse("?");
    }
}
