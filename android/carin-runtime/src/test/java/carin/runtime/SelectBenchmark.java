package carin.runtime;

import java.io.File;
import java.util.Arrays;
import org.json.JSONArray;
import org.json.JSONObject;

/**
 * Times {@link Switcher#select} on the JVM for benchmarks/switcher.py (not a test).
 *
 * <p>Usage: {@code SelectBenchmark PLAN.json CONDITIONS.json BATCHES}; CONDITIONS.json is an
 * object of named condition sets. For each set, after a warm-up that lets the JIT compile
 * select, prints one JSON line: the median per-call time over BATCHES batches of BATCH calls
 * timed together, and the p99 over 5 x BATCHES single timed calls minus the median cost of an
 * empty timing, both in ns, and the decision.
 */
public final class SelectBenchmark {
    private static final int BATCH = 1000;
    private static volatile int sink;

    private SelectBenchmark() {}

    private static long timerCost() {
        long[] samples = new long[200000];
        for (int i = 0; i < samples.length; i++) {
            long start = System.nanoTime();
            samples[i] = System.nanoTime() - start;
        }
        Arrays.sort(samples);
        return samples[samples.length / 2];
    }

    public static void main(String[] args) throws Exception {
        Switcher switcher = new Switcher(Plan.parse(TestFiles.text(new File(args[0]))));
        JSONObject sets = new JSONObject(TestFiles.text(new File(args[1])));
        int batches = Integer.parseInt(args[2]);
        long timer = timerCost();
        JSONArray names = sets.names();
        for (int n = 0; n < names.length(); n++) {
            String name = names.getString(n);
            Conditions c = Conditions.fromJson(sets.getJSONObject(name));
            int acc = 0;
            for (int i = 0; i < 300000; i++) { // warm-up: the JIT compiles select and choose
                acc += switcher.select(c).rank();
            }
            double[] means = new double[batches];
            for (int b = 0; b < batches; b++) {
                long start = System.nanoTime();
                for (int i = 0; i < BATCH; i++) {
                    acc += switcher.select(c).rank();
                }
                means[b] = (System.nanoTime() - start) / (double) BATCH;
            }
            long[] singles = new long[batches * 5];
            for (int i = 0; i < singles.length; i++) {
                long start = System.nanoTime();
                acc += switcher.select(c).rank();
                singles[i] = System.nanoTime() - start;
            }
            sink = acc;
            Arrays.sort(means);
            Arrays.sort(singles);
            double median = means[batches / 2];
            long p99 = Math.max(0, singles[Math.min(singles.length - 1, (int) (0.99 * singles.length))] - timer);
            Decision d = switcher.select(c);
            System.out.println(new JSONObject()
                    .put("conditions", name)
                    .put("median_ns", median)
                    .put("p99_ns", p99)
                    .put("timer_ns", timer)
                    .put("design", d.designId() == null ? JSONObject.NULL : d.designId())
                    .put("meets_slo", d.meetsSlo())
                    .toString());
        }
    }
}
