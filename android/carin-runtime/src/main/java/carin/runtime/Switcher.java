package carin.runtime;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Selects designs of a {@code carin-plan/1} plan as run-time conditions change: the Java port of
 * Python's {@code carin.runtime.Switcher}, making the same decisions (the conformance vectors in
 * {@code tests/conformance/} and a differential test against the Python switcher check it).
 *
 * <p>{@link #select} returns the best-ranked design feasible under the conditions (the rule of
 * {@code docs/plan-format.md}), or the plan's CPU-only fallback flagged as not meeting the SLOs
 * when none is. {@link #observe} feeds measured latencies to the drift monitor, per-processor
 * Kalman filters of the slowdown factor with the equations, constants, threshold and hysteresis
 * of {@code carin/runtime/_monitor.py}; when the current design is likely to miss its latency
 * limit the monitor adds a slowdown condition of its own and the switcher re-selects.
 *
 * <p>Numbers: every latency is computed with the same double operations in the same order as
 * the Python switcher (sums left to right in part order, no compensated summation, no
 * transcendental functions but {@code sqrt}), so both get the same bits.
 *
 * <p>Work is done at load: designs are bits of {@code long} words; the designs meeting the
 * nominal constraints, the designs using each processor and each power segment are masks. A
 * {@code select} intersects the masks word by word, best-ranked first, and checks memory and
 * (under a slowdown or a latency budget) the slowed latency of the candidates in rank order
 * until one holds, so its cost grows with the rank of the answer, not with the plan.
 *
 * <p>Thread safety: every public method is {@code synchronized}, so an app may call {@code
 * select} and {@code observe} from its inference thread while system callbacks (memory trim,
 * delegate failure, power) call {@code select} from others. {@link ChangeListener}s run on the
 * calling thread while it holds the lock. {@link Plan}, {@link Conditions}, {@link Decision}
 * and {@link MonitorConfig} are immutable.
 */
public final class Switcher {
    private static final double INF = Double.POSITIVE_INFINITY;
    private static final int MAX = 0;
    private static final int MIN = 1;
    private static final int SUM = 2;
    private static final int MEAN = 3;

    private final Plan plan;
    private final MonitorConfig config;
    private final int n;
    private final int words;
    private final String[] procNames;
    private final HashMap<String, Integer> procIndex = new HashMap<String, Integer>();
    private final int[][] partProc;
    private final double[][] partLat;
    private final double[] nominalMetric;
    private final double[] memory;
    private final int[][][] groups;
    private final int aggregate;
    private final double limit;
    private final long[] staticOk;
    private final long[][] uses;
    private final boolean hasBands;
    private final double[] breaks;
    private final long[][] segments;
    private final long[] noLevel;
    private final int fallback;
    private final CopyOnWriteArrayList<ChangeListener> listeners = new CopyOnWriteArrayList<ChangeListener>();

    // state
    private Conditions conditions = Conditions.NOMINAL;
    private Decision current;
    private final boolean[] hasFilter;
    private final double[] fx;
    private final double[] fp;
    private double[] active;
    private int streak;

    // scratch (used under the lock)
    private final double[] factor;
    private final int[] gone;
    private final double[] slowed;
    private final double[] effective;
    private final int[] gradProc;
    private final double[] gradVal;
    private int gradCount;

    /** Load a validated plan with the default monitor settings. */
    public Switcher(Plan plan) throws PlanException {
        this(plan, MonitorConfig.DEFAULTS);
    }

    /**
     * Load a validated plan.
     *
     * @throws PlanException when an entry of the plan's {@code conditions} table names another
     *     design than this switcher selects for its {@code when} ({@code conditions[i].design})
     */
    public Switcher(Plan plan, MonitorConfig config) throws PlanException {
        this.plan = plan;
        this.config = config == null ? MonitorConfig.DEFAULTS : config;
        List<Design> designs = plan.designs();
        n = designs.size();
        words = (n + 63) >>> 6;
        TreeSet<String> names = new TreeSet<String>();
        int maxParts = 1;
        for (Design d : designs) {
            for (Part p : d.parts()) {
                names.add(p.processor());
            }
            maxParts = Math.max(maxParts, d.parts().size());
        }
        procNames = names.toArray(new String[0]);
        for (int i = 0; i < procNames.length; i++) {
            procIndex.put(procNames[i], i);
        }
        int np = procNames.length;
        String how = plan.latencyAggregate;
        aggregate = how.equals("max") ? MAX : how.equals("min") ? MIN : how.equals("sum") ? SUM : MEAN;
        partProc = new int[n][];
        partLat = new double[n][];
        nominalMetric = new double[n];
        memory = new double[n];
        groups = new int[n][][];
        for (int i = 0; i < n; i++) {
            Design d = designs.get(i);
            List<Part> parts = d.parts();
            int m = parts.size();
            partProc[i] = new int[m];
            double[] lats = new double[m];
            boolean known = true;
            for (int k = 0; k < m; k++) {
                partProc[i][k] = procIndex.get(parts.get(k).processor());
                Double l = parts.get(k).latencyMs();
                known &= l != null;
                lats[k] = l == null ? Double.NaN : l;
            }
            partLat[i] = known ? lats : null;
            nominalMetric[i] = number(d.metrics().get(plan.latencyMetric));
            groups[i] = new int[m][];
            for (int k = 0; k < m; k++) {
                if (plan.timeShare) {
                    int count = 0;
                    for (int j = 0; j < m; j++) {
                        count += partProc[i][j] == partProc[i][k] ? 1 : 0;
                    }
                    groups[i][k] = new int[count];
                    for (int j = 0, c = 0; j < m; j++) {
                        if (partProc[i][j] == partProc[i][k]) {
                            groups[i][k][c++] = j;
                        }
                    }
                } else {
                    groups[i][k] = new int[] {k};
                }
            }
            double mem = number(d.metrics().get(plan.memoryMetric));
            if (Double.isNaN(mem)) {
                double[] mems = new double[m];
                boolean all = true;
                for (int k = 0; k < m; k++) {
                    Double v = parts.get(k).memoryMb();
                    all &= v != null;
                    mems[k] = v == null ? Double.NaN : v;
                }
                if (all) {
                    mem = combine(mems, m, memoryAggregate(plan.memoryAggregate));
                }
            }
            memory[i] = mem;
        }
        factor = new double[np];
        gone = new int[np];
        slowed = new double[maxParts];
        effective = new double[maxParts];
        gradProc = new int[maxParts];
        gradVal = new double[maxParts];
        hasFilter = new boolean[np];
        fx = new double[np];
        fp = new double[np];
        active = ones(np);
        limit = plan.latencyLimitMs();
        // designs that meet every constraint at nominal conditions
        staticOk = new long[words];
        Arrays.fill(factor, 1.0);
        for (int i = 0; i < n; i++) {
            if (meetsNominal(i, designs.get(i))) {
                staticOk[i >>> 6] |= 1L << i;
            }
        }
        uses = new long[np][words];
        for (int i = 0; i < n; i++) {
            for (int p : partProc[i]) {
                uses[p][i >>> 6] |= 1L << i;
            }
        }
        // power bands: a mask per segment between consecutive band ends (as the Python switcher)
        long[] noBand = new long[words];
        TreeSet<Double> ends = new TreeSet<Double>();
        boolean anyBand = false;
        for (int i = 0; i < n; i++) {
            Design d = designs.get(i);
            if (d.hasPowerBand()) {
                anyBand = true;
                ends.add(d.powerBandLoMw());
                if (d.powerBandHiMw() != INF) {
                    ends.add(d.powerBandHiMw());
                }
            } else {
                noBand[i >>> 6] |= 1L << i;
            }
        }
        hasBands = anyBand;
        breaks = new double[ends.size()];
        int b = 0;
        for (double e : ends) {
            breaks[b++] = e;
        }
        segments = new long[breaks.length + 1][];
        segments[0] = noBand;
        for (int k = 0; k < breaks.length; k++) {
            double lo = breaks[k];
            double hi = k + 1 < breaks.length ? breaks[k + 1] : INF;
            long[] mask = new long[words];
            boolean any = false;
            for (int i = 0; i < n; i++) {
                Design d = designs.get(i);
                if (d.hasPowerBand() && d.powerBandLoMw() <= lo && hi <= d.powerBandHiMw()) {
                    mask[i >>> 6] |= 1L << i;
                    any = true;
                }
            }
            segments[k + 1] = any ? mask : noBand;
        }
        boolean anyUnbanded = false;
        for (long w : noBand) {
            anyUnbanded |= w != 0;
        }
        noLevel = anyUnbanded ? noBand : allMask();
        fallback = plan.fallbackRank();
        checkTable();
    }

    private static double number(Double v) {
        return v == null ? Double.NaN : v;
    }

    private static int memoryAggregate(String how) {
        return how.equals("max") ? MAX : how.equals("min") ? MIN : how.equals("sum") ? SUM : MEAN;
    }

    private static double[] ones(int size) {
        double[] out = new double[size];
        Arrays.fill(out, 1.0);
        return out;
    }

    private long[] allMask() {
        long[] all = new long[words];
        for (int i = 0; i < n; i++) {
            all[i >>> 6] |= 1L << i;
        }
        return all;
    }

    /** max (first largest, as Python's max), min, left-to-right sum, or sum / count. */
    private static double combine(double[] values, int count, int how) {
        if (how == MAX || how == MIN) {
            double acc = values[0];
            for (int k = 1; k < count; k++) {
                if (how == MAX ? values[k] > acc : values[k] < acc) {
                    acc = values[k];
                }
            }
            return acc;
        }
        double total = 0.0;
        for (int k = 0; k < count; k++) {
            total += values[k];
        }
        return how == SUM ? total : total / count;
    }

    /** Constraints at nominal conditions, as Python's {@code _static_failure}. */
    private boolean meetsNominal(int i, Design d) {
        double nominal = latency(i, factor);
        if (limit < INF && !(nominal <= limit)) {
            return false;
        }
        for (int c = 0; c < plan.constraintMetric.length; c++) {
            String metric = plan.constraintMetric[c];
            boolean atMost = plan.constraintAtMost[c];
            if (metric.equals(plan.latencyMetric) && atMost) {
                continue; // folded into the limit
            }
            double got;
            if (metric.equals(plan.latencyMetric)) {
                got = nominal;
            } else {
                Double v = d.metrics().get(metric);
                got = v == null && metric.equals(plan.memoryMetric) ? memory[i] : number(v);
            }
            if (Double.isNaN(got)) {
                return false;
            }
            double value = plan.constraintValue[c];
            if (!(atMost ? got <= value : got >= value)) {
                return false;
            }
        }
        return true;
    }

    /**
     * App latency of design {@code i} under per-processor factors {@code f} (1 = not slowed),
     * NaN when unknown (see {@code carin/runtime/_model.py}).
     */
    private double latency(int i, double[] f) {
        int[] procs = partProc[i];
        double[] lats = partLat[i];
        if (lats == null) {
            double nominal = nominalMetric[i];
            if (Double.isNaN(nominal)) {
                return Double.NaN;
            }
            double top = f[procs[0]];
            for (int k = 1; k < procs.length; k++) {
                if (f[procs[k]] > top) {
                    top = f[procs[k]];
                }
            }
            return nominal * top;
        }
        if (procs.length == 1) {
            return lats[0] * f[procs[0]];
        }
        return combine(effective, effectiveLatencies(i, f), aggregate);
    }

    /**
     * Fill {@code effective} with what each part of design {@code i} (all latencies known)
     * sees under factors {@code f}: its slowed latency, or under time-share the sum, in part
     * order, of the slowed latencies on its processor. Returns the number of parts.
     */
    private int effectiveLatencies(int i, double[] f) {
        int[] procs = partProc[i];
        double[] lats = partLat[i];
        int m = procs.length;
        for (int k = 0; k < m; k++) {
            slowed[k] = lats[k] * f[procs[k]];
        }
        int[][] g = groups[i];
        for (int k = 0; k < m; k++) {
            double e = 0.0;
            for (int j : g[k]) {
                e += slowed[j];
            }
            effective[k] = e;
        }
        return m;
    }

    /**
     * App latency of design {@code i} with the monitor's mean factors and its gradient (into
     * {@code gradProc/gradVal/gradCount}, in the order Python's dict holds it), as Python's
     * {@code DesignModel.latency_gradient}. NaN (and no gradient) when unknown.
     */
    private double gradient(int i, double[] means) {
        gradCount = 0;
        int[] procs = partProc[i];
        double[] lats = partLat[i];
        if (lats == null) {
            double nominal = nominalMetric[i];
            if (Double.isNaN(nominal)) {
                return Double.NaN;
            }
            int best = procs[0];
            for (int k = 1; k < procs.length; k++) {
                if (means[procs[k]] > means[best]) {
                    best = procs[k];
                }
            }
            gradProc[0] = best;
            gradVal[0] = nominal;
            gradCount = 1;
            return nominal * means[best];
        }
        int m = effectiveLatencies(i, means);
        int[][] g = groups[i];
        int from = 0;
        int to = m;
        double weight = 1.0;
        if (aggregate == MAX || aggregate == MIN) {
            int pick = 0;
            for (int k = 1; k < m; k++) {
                if (aggregate == MAX ? effective[k] > effective[pick] : effective[k] < effective[pick]) {
                    pick = k;
                }
            }
            from = pick;
            to = pick + 1;
        } else if (aggregate == MEAN) {
            weight = 1.0 / m;
        }
        for (int k = from; k < to; k++) {
            for (int j : g[k]) {
                int p = procs[j];
                int at = 0;
                while (at < gradCount && gradProc[at] != p) {
                    at++;
                }
                if (at == gradCount) {
                    gradProc[at] = p;
                    gradVal[at] = 0.0;
                    gradCount++;
                }
                gradVal[at] = gradVal[at] + weight * lats[j];
            }
        }
        return combine(effective, m, aggregate);
    }

    // ------------------------------------------------------------------ selection

    /** Rank of the best design feasible under {@code c} and the monitor's {@code extra}, or -1. */
    private int choose(Conditions c, double[] extra) {
        double[] f = factor;
        Arrays.fill(f, 1.0);
        boolean slow = false;
        for (int k = 0; k < c.slowProcs.length; k++) {
            Integer p = procIndex.get(c.slowProcs[k]);
            if (p != null) {
                double v = c.slowFactors[k];
                if (!(f[p] >= v)) {
                    f[p] = v;
                }
                slow = true;
            }
        }
        if (extra != null) {
            for (int p = 0; p < f.length; p++) {
                double v = extra[p];
                if (v > 1.0) {
                    if (!(f[p] >= v)) {
                        f[p] = v;
                    }
                    slow = true;
                }
            }
        }
        int ng = 0;
        for (String name : c.unavailable) {
            Integer p = procIndex.get(name);
            if (p != null) {
                gone[ng++] = p;
            }
        }
        long[] power = null;
        if (hasBands) {
            power = !c.hasPower || Double.isNaN(c.powerMw) ? noLevel : segments[upperBound(breaks, c.powerMw)];
        }
        boolean memCheck = c.hasMemory;
        double mem = c.memoryBudgetMb;
        double lim = limit;
        boolean latCheck;
        if (c.hasLatencyBudget) {
            double budget = c.latencyBudgetMs;
            lim = Double.isNaN(budget) ? Double.NEGATIVE_INFINITY : budget < lim ? budget : lim;
            latCheck = true;
        } else {
            latCheck = slow && lim < INF;
        }
        for (int w = 0; w < words; w++) {
            long bits = staticOk[w];
            if (power != null) {
                bits &= power[w];
            }
            for (int k = 0; k < ng; k++) {
                bits &= ~uses[gone[k]][w];
            }
            while (bits != 0) {
                int i = (w << 6) + Long.numberOfTrailingZeros(bits);
                bits &= bits - 1;
                if (memCheck && !(memory[i] <= mem)) {
                    continue;
                }
                if (latCheck && !(latency(i, f) <= lim)) {
                    continue;
                }
                return i;
            }
        }
        return -1;
    }

    /** Number of {@code sorted} values {@code <= x} (Python's bisect_right). */
    private static int upperBound(double[] sorted, double x) {
        int lo = 0;
        int hi = sorted.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (x < sorted[mid]) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }

    private void checkTable() throws PlanException {
        for (int i = 0; i < plan.entryWhen.size(); i++) {
            int rank = choose(plan.entryWhen.get(i), null);
            String got = rank < 0 ? null : plan.designs().get(rank).id();
            String want = plan.entryDesign.get(i);
            if (got == null ? want != null : !got.equals(want)) {
                String why;
                if (want == null) {
                    why = got + " holds under these conditions";
                } else if (got != null && plan.rankOf(want) > rank) {
                    why = got + " holds under these conditions and is ranked higher";
                } else {
                    why = want + " is infeasible under these conditions";
                }
                throw Json.fail("conditions[" + i + "].design", "the plan says " + Json.show(want)
                        + ", but the feasibility rule gives " + Json.show(got) + " (" + why + ")");
            }
        }
    }

    /**
     * Pick the design to run under {@code conditions} (null = nominal); the drift monitor's
     * slowdown applies on top when it is active. Never throws.
     *
     * @return the best-ranked feasible design, or the plan's fallback with {@code meetsSlo()
     *     == false} when none is feasible ({@code designId() == null} without a fallback)
     */
    public synchronized Decision select(Conditions conditions) {
        Conditions c = conditions == null ? Conditions.NOMINAL : conditions;
        this.conditions = c;
        double[] extra = anyActive() ? active : null;
        return decide(choose(c, extra), c, extra);
    }

    private Decision decide(int rank, Conditions c, double[] extra) {
        Map<String, Double> monitor = null;
        Conditions effective = c;
        if (extra != null) {
            monitor = slowdownMap(extra);
            effective = c.withSlowdown(monitor);
        }
        Decision decision = rank < 0
                ? new Decision(plan, fallback, false, effective, monitor)
                : new Decision(plan, rank, true, effective, monitor);
        Decision previous = current;
        current = decision;
        if (previous == null || previous.rank != decision.rank) {
            for (ChangeListener listener : listeners) {
                listener.onChange(decision, previous);
            }
        }
        return decision;
    }

    private Map<String, Double> slowdownMap(double[] values) {
        Map<String, Double> out = new LinkedHashMap<String, Double>();
        for (int p = 0; p < values.length; p++) {
            if (values[p] > 1.0) {
                out.put(procNames[p], values[p]);
            }
        }
        return Collections.unmodifiableMap(out);
    }

    /** The last decision (null before the first {@link #select} or {@link #observe}). */
    public synchronized Decision current() {
        return current;
    }

    /** The conditions of the last {@link #select} (nominal before the first). */
    public synchronized Conditions conditions() {
        return conditions;
    }

    /** The plan. */
    public Plan plan() {
        return plan;
    }

    /** The monitor settings. */
    public MonitorConfig monitorConfig() {
        return config;
    }

    /** Call {@code listener} whenever the selected design changes. */
    public void addListener(ChangeListener listener) {
        listeners.add(listener);
    }

    /** Stop calling {@code listener}. */
    public void removeListener(ChangeListener listener) {
        listeners.remove(listener);
    }

    // ------------------------------------------------------------------ drift monitor

    /** Forget every drift estimate and drop the monitor's condition. */
    public synchronized void resetMonitor() {
        Arrays.fill(hasFilter, false);
        active = ones(procNames.length);
        streak = 0;
    }

    /** The slowdown condition the monitor currently adds (empty when inactive). */
    public synchronized Map<String, Double> monitorSlowdown() {
        return slowdownMap(active);
    }

    /** Per-processor slowdown estimates: processor -> {mean, variance}, sorted by name. */
    public synchronized Map<String, double[]> estimates() {
        Map<String, double[]> out = new TreeMap<String, double[]>();
        for (int p = 0; p < procNames.length; p++) {
            if (hasFilter[p]) {
                out.put(procNames[p], new double[] {fx[p], fp[p]});
            }
        }
        return out;
    }

    private boolean anyActive() {
        for (double v : active) {
            if (v > 1.0) {
                return true;
            }
        }
        return false;
    }

    private double[] means() {
        double[] out = new double[procNames.length];
        for (int p = 0; p < out.length; p++) {
            out[p] = hasFilter[p] ? fx[p] : 1.0;
        }
        return out;
    }

    /** Whether the miss probability of design {@code rank} is above the threshold. */
    private boolean misses(int rank) {
        double lim = limit;
        if (conditions.hasLatencyBudget) {
            double budget = conditions.latencyBudgetMs;
            lim = Double.isNaN(budget) ? Double.NEGATIVE_INFINITY : budget < lim ? budget : lim;
        }
        if (lim == INF) {
            return false;
        }
        double mean = gradient(rank, means());
        if (Double.isNaN(mean)) {
            return true;
        }
        double variance = 0.0;
        for (int k = 0; k < gradCount; k++) {
            int p = gradProc[k];
            double g = gradVal[k];
            double pv = hasFilter[p] ? fp[p] : config.p0;
            variance += g * g * (pv + config.q + config.r);
        }
        if (variance <= 0.0) {
            return mean > lim;
        }
        return (lim - mean) / Math.sqrt(variance) < config.zThreshold;
    }

    /** Upper quantiles above 1 of the processors {@code rank} uses or that look slow. */
    private double[] quantiles(double z, int rank) {
        double[] out = ones(procNames.length);
        boolean[] running = new boolean[procNames.length];
        for (int p : partProc[rank]) {
            running[p] = true;
        }
        for (int p = 0; p < out.length; p++) {
            if (hasFilter[p] && (running[p] || fx[p] - 1.0 > z * Math.sqrt(fp[p]))) {
                double value = fx[p] + z * Math.sqrt(fp[p] + config.q + config.r);
                if (value > 1.0) {
                    out[p] = value;
                }
            }
        }
        return out;
    }

    private static double[] merge(double[] a, double[] b) {
        double[] out = a.clone();
        for (int p = 0; p < b.length; p++) {
            if (b[p] > 1.0 && !(out[p] >= b[p])) {
                out[p] = b[p];
            }
        }
        return out;
    }

    /**
     * Feed one measured app latency of a design to the drift monitor (see the class comment);
     * the same steps as Python's {@code Switcher.observe}. Never throws.
     *
     * @param designId the design that ran (null = the current one); unknown ids update nothing
     * @param latencyMs its measured app latency; values that are not positive and finite are ignored
     * @return the current decision after the observation
     */
    public synchronized Decision observe(String designId, double latencyMs) {
        if (current == null) {
            select(conditions);
        }
        int rank = designId == null ? (current == null ? -1 : current.rank) : plan.rankOf(designId);
        if (rank >= 0 && latencyMs > 0.0 && latencyMs < INF) {
            double[] means = means();
            double predicted = gradient(rank, means);
            if (!Double.isNaN(predicted) && predicted > 0.0) {
                double ratio = latencyMs / predicted;
                boolean[] seen = new boolean[procNames.length];
                for (int k = 0; k < gradCount; k++) {
                    int p = gradProc[k];
                    double share = gradVal[k] * means[p] / predicted;
                    if (share > 0.0) {
                        if (!hasFilter[p]) {
                            hasFilter[p] = true;
                            fx[p] = 1.0;
                            fp[p] = config.p0;
                        }
                        // predict (random walk), then update with z = x * ratio of noise r / share
                        double z = fx[p] * ratio;
                        double noise = config.r / share;
                        double prior = fp[p] + config.q;
                        double gain = prior / (prior + noise);
                        fx[p] += gain * (z - fx[p]);
                        fp[p] = (1.0 - gain) * prior;
                        seen[p] = true;
                    }
                }
                for (int p = 0; p < procNames.length; p++) {
                    if (hasFilter[p] && !seen[p]) {
                        double rho = config.relax;
                        fx[p] = 1.0 + rho * (fx[p] - 1.0);
                        fp[p] = rho * rho * fp[p] + config.q;
                    }
                }
            }
        }
        Decision now = current;
        if (now == null || now.rank < 0) {
            return select(conditions);
        }
        if (misses(now.rank)) {
            double[] raised = merge(active, quantiles(config.zThreshold, now.rank));
            if (!Arrays.equals(raised, active) && (fallback >= 0 || choose(conditions, raised) >= 0)) {
                streak = 0;
                active = raised;
                return select(conditions);
            }
            if (now.meetsSlo()) {
                streak = 0;
                return now;
            }
            // the flagged fallback runs and misses too: only a release can help
        }
        if (anyActive()) {
            double[] release = quantiles(config.zRelease, now.rank);
            int candidate = choose(conditions, release);
            boolean better = candidate >= 0 && (!now.meetsSlo() || candidate < now.rank);
            streak = better ? streak + 1 : 0;
            if (streak >= config.revertAfter) {
                streak = 0;
                int plain = choose(conditions, null);
                active = plain == candidate ? ones(procNames.length) : release;
                return select(conditions);
            }
        }
        return now;
    }

    /** Processor names of the plan (lower case, sorted). */
    public List<String> processors() {
        return Collections.unmodifiableList(new ArrayList<String>(Arrays.asList(procNames)));
    }
}
