package dev.sluice.bench;

import java.util.Set;

/** Reads a benchmark's command line: {@code --name value} pairs, value-less switches, and {@code --help}. */
final class CommandLine {
    /** Takes one option; throws IllegalArgumentException for a name it does not know. */
    @FunctionalInterface
    interface Option {
        void set(String name, String value);
    }

    private CommandLine() {}

    /**
     * Hands each option to {@code option} (a switch gets the value {@code "true"}); prints {@code usage} and
     * exits on {@code --help} or {@code -h}.
     *
     * @throws IllegalArgumentException if an option has no value
     */
    static void parse(String[] args, Runnable usage, Set<String> switches, Option option) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help") || a.equals("-h")) {
                usage.run();
                System.exit(0);
            }
            if (switches.contains(a)) {
                option.set(a, "true");
                continue;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("missing value for " + a);
            }
            option.set(a, args[++i]);
        }
    }

    static IllegalArgumentException unknown(String name) {
        return new IllegalArgumentException("unknown option " + name + " (try --help)");
    }
}
