package carin.runtime;

import java.math.BigInteger;
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
 * <p>Numbers: feasibility is decided exactly on the decimals the solver used ({@code
 * docs/plan-format.md}, "Exact decisions"): plan values, factors (at 6 decimals) and limits
 * (read as written) are integers, got by the same IEEE operations as in Python ({@link Exact}).
 * A latency is first computed in doubles from those integers; only where it is within a
 * relative 2^-30 of a limit is it recomputed exactly with {@code BigInteger}. Memory is compared
 * on {@code long} units. The drift monitor computes with the same double operations in the same
 * order as the Python switcher (sums left to right in part order, no compensated summation, no
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
    private final int[][][] groups;
    private final int aggregate;
    private final double limit;
    // exact numbers (docs/plan-format.md, "Exact decisions"): units of 10^-latPlaces ms
    // (a multi-task mean kept as the sum, times latMult) and of 10^-memPlaces MB
    private final int latPlaces;
    private final long latMult;
    private final int memPlaces;
    private final long memMult;
    private final long[][] latUnits;
    private final double[][] latExact;
    private final long[] nominalUnits;
    private final double[] nominalExact;
    private final long[] memUnits;
    private final double[][] partLimit;
    private final boolean anyPartLimit;
    private final BigInteger limitUnits;
    private final long[] staticOk;
    private final long[][] uses;
    private final boolean hasBands;
    private final double[] breaks;
    private final long[][] segments;
    private final long[] noLevel;
    private final int fallback;
    // app memory as a double, as Python's DesignModel.memory (NaN: unknown), for explanations
    private final double[] memDouble;
    // the plan's conditions table: key of the normalised conditions -> rank chosen (-1: none)
    private final HashMap<String, Integer> table = new HashMap<String, Integer>();
    // entries of that table that disagree with the feasibility rule (Python's cache_mismatches)
    private final List<String> cacheMismatches;
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
    private final double[] factorUnits;
    private final double[] factorExact;
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
        this(plan, config, true);
    }

    /**
     * Load a plan, as Python's {@code Switcher(plan=..., monitor=..., validate=...)}.
     *
     * <p>{@link Plan} has checked the plan's structure already; {@code validate} decides what an
     * entry of the plan's {@code conditions} table that disagrees with the feasibility rule does:
     * with {@code true} loading fails on it, with {@code false} the switcher loads and lists it in
     * {@link #cacheMismatches()} ({@link #selectCached} answers by the rule either way).
     *
     * @throws PlanException when {@code validate} and some {@code conditions[i].design} is not
     *     what {@link #select} gives for its {@code when}: the first such entry's message, then
     *     {@code "; and N more such entries"} when there are more (Python's text)
     */
    public Switcher(Plan plan, MonitorConfig config, boolean validate) throws PlanException {
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
        groups = new int[n][][];
        int tasks = plan.tasks().size();
        latMult = how.equals("mean") && tasks > 1 ? tasks : 1;
        memMult = plan.memoryAggregate.equals("mean") && tasks > 1 ? tasks : 1;
        latPlaces = places(designs, "latency_ms", plan.latencyMetric, latMult);
        memPlaces = places(designs, "memory_mb", plan.memoryMetric, memMult);
        latUnits = new long[n][];
        latExact = new double[n][];
        nominalUnits = new long[n];
        nominalExact = new double[n];
        memUnits = new long[n];
        memDouble = new double[n];
        partLimit = new double[n][];
        boolean limited = false;
        double nominalScale = Exact.POW10[latPlaces] * latMult;
        for (int i = 0; i < n; i++) {
            Design d = designs.get(i);
            List<Part> parts = d.parts();
            int m = parts.size();
            partProc[i] = new int[m];
            double[] lats = new double[m];
            long[] units = new long[m];
            boolean known = true;
            for (int j = 0; j < m; j++) {
                partProc[i][j] = procIndex.get(parts.get(j).processor());
                Double l = parts.get(j).latencyMs();
                known &= l != null;
                lats[j] = l == null ? Double.NaN : l;
                if (l != null) {
                    units[j] = units(l, Exact.POW10[latPlaces], "designs[" + i + "].parts[" + j + "].latency_ms",
                            "latency_ms", latPlaces, true);
                }
            }
            partLat[i] = known ? lats : null;
            nominalMetric[i] = number(d.metrics().get(plan.latencyMetric));
            groups[i] = new int[m][];
            for (int j = 0; j < m; j++) {
                if (plan.timeShare) {
                    int count = 0;
                    for (int q = 0; q < m; q++) {
                        count += partProc[i][q] == partProc[i][j] ? 1 : 0;
                    }
                    groups[i][j] = new int[count];
                    for (int q = 0, c = 0; q < m; q++) {
                        if (partProc[i][q] == partProc[i][j]) {
                            groups[i][j][c++] = q;
                        }
                    }
                } else {
                    groups[i][j] = new int[] {j};
                }
            }
            long nominal = -1;
            if (!Double.isNaN(nominalMetric[i])) {
                nominal = units(nominalMetric[i], nominalScale, "designs[" + i + "].metrics." + plan.latencyMetric,
                        "latency_ms", latPlaces, true);
            }
            if (known) {
                latUnits[i] = units;
                latExact[i] = new double[m];
                for (int j = 0; j < m; j++) {
                    latExact[i][j] = units[j] / Exact.POW10[latPlaces];
                }
                long[] eff = new long[m];
                for (int j = 0; j < m; j++) {
                    for (int q : groups[i][j]) {
                        eff[j] += units[q];
                    }
                }
                nominal = combineUnits(eff, aggregate);
            }
            nominalUnits[i] = nominal;
            nominalExact[i] = nominal < 0 ? Double.NaN : nominal / nominalScale;
            long[] mems = new long[m];
            boolean all = true;
            for (int j = 0; j < m; j++) {
                Double v = parts.get(j).memoryMb();
                all &= v != null;
                if (v != null) {
                    mems[j] = units(v, Exact.POW10[memPlaces], "designs[" + i + "].parts[" + j + "].memory_mb",
                            "memory_mb", memPlaces, false);
                }
            }
            double mem = number(d.metrics().get(plan.memoryMetric));
            memDouble[i] = mem;
            if (Double.isNaN(mem) && all) {
                double[] values = new double[m];
                for (int j = 0; j < m; j++) {
                    values[j] = parts.get(j).memoryMb();
                }
                memDouble[i] = combine(values, m, memoryAggregate(plan.memoryAggregate));
            }
            if (!Double.isNaN(mem)) {
                memUnits[i] = units(mem, Exact.POW10[memPlaces] * memMult, "designs[" + i + "].metrics." + plan.memoryMetric,
                        "memory_mb", memPlaces, false);
            } else {
                memUnits[i] = all ? combineUnits(mems, memoryAggregate(plan.memoryAggregate)) : -1;
            }
            double[] limits = new double[m];
            boolean any = false;
            for (int j = 0; j < m; j++) {
                Double v = parts.get(j).maxLatencyMs();
                limits[j] = v == null ? Double.NaN : v;
                any |= v != null;
            }
            partLimit[i] = any ? limits : null;
            limited |= any;
        }
        anyPartLimit = limited;
        factor = new double[np];
        factorUnits = new double[np];
        factorExact = new double[np];
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
        limitUnits = limit < INF ? Exact.limitUnits(limit, latPlaces + Exact.FACTOR_PLACES, latMult, true) : null;
        // designs that meet every constraint at nominal conditions
        staticOk = new long[words];
        Arrays.fill(factor, 1.0);
        for (int i = 0; i < n; i++) {
            if (staticFailure(i) == null) {
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
        cacheMismatches = checkTable(validate);
    }

    private static double number(Double v) {
        return v == null ? Double.NaN : v;
    }

    /**
     * The places a column is read with: the plan's {@code decimals}, else the fewest (at most
     * 12) at which every value of the plan is a decimal, fewer when the largest would not fit
     * (as Python's {@code PlanUnits}).
     */
    private int places(List<Design> designs, String column, String label, long mult) {
        Integer given = plan.decimals.get(column);
        if (given != null) {
            return given;
        }
        List<Double> parts = new ArrayList<Double>();
        List<Double> app = new ArrayList<Double>();
        for (Design d : designs) {
            for (Part p : d.parts()) {
                Double v = column.equals("latency_ms") ? p.latencyMs() : p.memoryMb();
                if (v != null) {
                    parts.add(v);
                }
            }
            Double v = d.metrics().get(label);
            if (v != null) {
                app.add(v);
            }
        }
        double[] values = new double[parts.size() + app.size()];
        int count = 0;
        double top = 0.0;
        for (double v : parts) {
            values[count++] = v;
            top = Math.max(top, Math.abs(v));
        }
        for (double v : app) {
            if (mult == 1) {
                values[count++] = v;
            }
            top = Math.max(top, Math.abs(v) * mult);
        }
        int d = Exact.placesOf(values, count, Exact.MAX_DECIMALS);
        while (d > 0 && !(top * Exact.POW10[d] < Exact.EXACT_LIMIT)) {
            d--;
        }
        return d;
    }

    /** A plan value in units, checked to be in range (and above 0 for a latency). */
    private static long units(double value, double scale, String where, String column, int places, boolean positive)
            throws PlanException {
        double u = Exact.valueUnits(value, scale);
        if (!(Math.abs(u) < Exact.EXACT_LIMIT)) {
            throw Json.fail(where, Json.show(value) + " is beyond the switcher's exact range at " + places
                    + " decimals (decimals." + column + "; at most " + Exact.EXACT_LIMIT + " units of 10^-" + places + ")");
        }
        if (positive && u <= 0) {
            throw Json.fail(where, Json.show(value) + " rounds to 0 at " + places + " decimals (decimals." + column
                    + "); a latency is positive");
        }
        return (long) u;
    }

    /** max, min, or the sum (a mean is compared as the sum). */
    private static long combineUnits(long[] values, int how) {
        long acc = values[0];
        for (int j = 1; j < values.length; j++) {
            if (how == MAX) {
                acc = Math.max(acc, values[j]);
            } else if (how == MIN) {
                acc = Math.min(acc, values[j]);
            } else {
                acc += values[j];
            }
        }
        return acc;
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

    private static final BigInteger ONE_FACTOR = BigInteger.valueOf((long) Exact.FACTOR_ONE);

    /**
     * Why design {@code i} fails the constraints at nominal conditions (null when it does not),
     * decided exactly, with the text of Python's {@code _static_failure}.
     */
    private String staticFailure(int i) {
        Design d = plan.designs().get(i);
        long nominal = nominalUnits[i];
        BigInteger nominalScale = scale(latPlaces, latMult);
        if (limitUnits != null
                && (nominal < 0 || BigInteger.valueOf(nominal).multiply(ONE_FACTOR).compareTo(limitUnits) > 0)) {
            String shown = nominal < 0 ? "unknown"
                    : PyFormat.g(PyFormat.ratio(BigInteger.valueOf(nominal), nominalScale)) + " ms";
            return "latency " + shown + " > limit " + PyFormat.g(limit) + " ms";
        }
        if (partLimit[i] != null) {
            Arrays.fill(factorUnits, Exact.FACTOR_ONE);
            int j = partFailure(i);
            if (j >= 0) {
                return partMessage(i, j);
            }
        }
        for (int c = 0; c < plan.constraintMetric.length; c++) {
            String metric = plan.constraintMetric[c];
            boolean atMost = plan.constraintAtMost[c];
            double value = plan.constraintValue[c];
            if (metric.equals(plan.latencyMetric) && atMost) {
                continue; // folded into the limit
            }
            BigInteger got;
            BigInteger bound;
            BigInteger unit;
            String rule = metric + (atMost ? " <= " : " >= ") + PyFormat.g(value);
            if (metric.equals(plan.latencyMetric) || metric.equals(plan.memoryMetric)) {
                boolean lat = metric.equals(plan.latencyMetric);
                long u = lat ? nominal : memUnits[i];
                if (u < 0) {
                    return metric + " unknown (constraint " + rule + ")";
                }
                got = BigInteger.valueOf(u);
                unit = lat ? nominalScale : scale(memPlaces, memMult);
                bound = lat ? Exact.limitUnits(value, latPlaces, latMult, atMost)
                        : Exact.limitUnits(value, memPlaces, memMult, atMost);
            } else {
                double v = number(d.metrics().get(metric));
                if (Double.isNaN(v)) {
                    return metric + " unknown (constraint " + rule + ")";
                }
                long[] at = metricScale(metric);
                if (at == null) {
                    if (!(atMost ? v <= value : v >= value)) {
                        return metric + " " + PyFormat.g(v) + " violates " + rule;
                    }
                    continue;
                }
                got = Exact.big(Exact.valueUnits(v, Exact.POW10[(int) at[0]] * at[1]));
                unit = scale((int) at[0], at[1]);
                bound = Exact.limitUnits(value, (int) at[0], at[1], atMost);
            }
            int cmp = got.compareTo(bound);
            if (atMost ? cmp > 0 : cmp < 0) {
                return metric + " " + PyFormat.g(PyFormat.ratio(got, unit)) + " violates " + rule;
            }
        }
        return null;
    }

    private static BigInteger scale(int places, long mult) {
        return BigInteger.TEN.pow(places).multiply(BigInteger.valueOf(mult));
    }

    /**
     * The first part of design {@code i} over its own latency limit under the factors in {@code
     * factorUnits} (-1: none), as Python's {@code DesignModel.part_failure}.
     */
    private int partFailure(int i) {
        double[] limits = partLimit[i];
        if (limits == null) {
            return -1;
        }
        for (int j = 0; j < limits.length; j++) {
            if (!Double.isNaN(limits[j]) && (latUnits[i] == null || !partHoldsExactly(i, j))) {
                return j;
            }
        }
        return -1;
    }

    /** Python's {@code _part_message}: part {@code j} of design {@code i} over its limit. */
    private String partMessage(int i, int j) {
        String task = plan.tasks().get(j);
        String lim = PyFormat.g(partLimit[i][j]);
        if (latUnits[i] == null) {
            return task + " latency unknown (its limit " + lim + " ms)";
        }
        BigInteger e = effectiveUnits(i)[j];
        double lat = e == null ? INF : PyFormat.ratio(e, scale(latPlaces + Exact.FACTOR_PLACES, 1));
        return task + " latency " + PyFormat.g(lat, 4) + " ms > its limit " + lim + " ms";
    }

    /**
     * {@code {places, mult}} of an app-level metric a constraint names ({@code agg(column)} or a
     * single-DNN {@code column}, a multi-task mean times the task count), or null when the plan
     * gives no decimals for its column (compared as doubles).
     */
    private long[] metricScale(String label) {
        String column = label;
        long mult = 1;
        int open = label.indexOf('(');
        if (open > 0 && label.endsWith(")") && open + 2 < label.length()) {
            String how = label.substring(0, open);
            if (how.equals("max") || how.equals("min") || how.equals("sum") || how.equals("mean")) {
                column = label.substring(open + 1, label.length() - 1);
                int k = plan.tasks().size();
                mult = how.equals("mean") && k > 1 ? k : 1;
            }
        }
        Integer places = plan.decimals.get(column);
        return places == null ? null : new long[] {places, mult};
    }

    /**
     * App latency of design {@code i} in doubles under factors {@code f} (1 = not slowed), from
     * the exact part latencies (units / 10^places); NaN when unknown. Only a filter: it decides
     * where it is clearly within or over a limit ({@link #compare}), exact arithmetic the rest.
     */
    private double latency(int i, double[] f) {
        int[] procs = partProc[i];
        double[] lats = latExact[i];
        if (lats == null) {
            double nominal = nominalExact[i];
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
        return combine(effective, effectiveLatencies(i, lats, f), aggregate);
    }

    /**
     * Fill {@code effective} with what each part of design {@code i} (latencies {@code lats},
     * all known) sees under factors {@code f}: its slowed latency, or under time-share the sum,
     * in part order, of the slowed latencies on its processor. Returns the number of parts.
     */
    private int effectiveLatencies(int i, double[] lats, double[] f) {
        int[] procs = partProc[i];
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

    private static final int HOLDS = 1;
    private static final int FAILS = 0;
    private static final int UNSURE = -1;
    // a double computed from the exact values by a few products and at most 2k sums is within
    // (2k + 6) * 2^-53 of the exact value, far inside 2^-30: outside this margin it decides alone
    private static final double LOW = 1.0 - 0x1p-30;
    private static final double HIGH = 1.0 + 0x1p-30;

    /** Whether positive {@code v} is clearly within ({@code HOLDS}) or over a positive limit. */
    private static int compare(double v, double lim) {
        if (!(lim > 0.0)) {
            return FAILS; // latencies are positive
        }
        if (v <= lim * LOW) {
            return HOLDS;
        }
        double high = lim * HIGH;
        return high < INF && v >= high ? FAILS : UNSURE;
    }

    /**
     * Whether design {@code i} meets its part limits and the app latency limit {@code lim} (ms,
     * INF = none) under the factors in {@code factorUnits}/{@code factorExact}, decided exactly.
     */
    private boolean latencyHolds(int i, double lim, boolean budget) {
        if (nominalUnits[i] < 0) {
            return !budget; // an unknown latency fails every limit (the static mask held the plan's)
        }
        if (partLimit[i] != null) {
            if (latExact[i] == null) {
                return false;
            }
            effectiveLatencies(i, latExact[i], factorExact);
            double[] limits = partLimit[i];
            for (int j = 0; j < limits.length; j++) {
                if (!Double.isNaN(limits[j])) {
                    int r = compare(effective[j], limits[j]);
                    if (r == FAILS || r == UNSURE && !partHoldsExactly(i, j)) {
                        return false;
                    }
                }
            }
        }
        if (lim == INF) {
            return true;
        }
        int r = compare(latency(i, factorExact), lim);
        return r == HOLDS || r == UNSURE && appHoldsExactly(i, lim);
    }

    /** Exact slowed effective latency of each part of design {@code i}; null entries are infinite. */
    private BigInteger[] effectiveUnits(int i) {
        int[] procs = partProc[i];
        long[] lats = latUnits[i];
        int m = procs.length;
        BigInteger[] slow = new BigInteger[m];
        for (int j = 0; j < m; j++) {
            double f = factorUnits[procs[j]];
            slow[j] = f == INF ? null : BigInteger.valueOf(lats[j]).multiply(Exact.big(f));
        }
        BigInteger[] out = new BigInteger[m];
        for (int j = 0; j < m; j++) {
            BigInteger acc = BigInteger.ZERO;
            for (int q : groups[i][j]) {
                acc = acc == null || slow[q] == null ? null : acc.add(slow[q]);
            }
            out[j] = acc;
        }
        return out;
    }

    private boolean partHoldsExactly(int i, int j) {
        BigInteger e = effectiveUnits(i)[j];
        return e != null && e.compareTo(Exact.limitUnits(partLimit[i][j], latPlaces + Exact.FACTOR_PLACES, 1, true)) <= 0;
    }

    private boolean appHoldsExactly(int i, double lim) {
        BigInteger value = appUnits(i);
        return value != null
                && value.compareTo(Exact.limitUnits(lim, latPlaces + Exact.FACTOR_PLACES, latMult, true)) <= 0;
    }

    /**
     * Exact app latency of design {@code i} (known) under the factors in {@code factorUnits}, in
     * units of 10^-(places + 6) ms (a multi-task mean kept as the sum); null when infinite.
     */
    private BigInteger appUnits(int i) {
        BigInteger value;
        int[] procs = partProc[i];
        if (latUnits[i] == null) {
            double top = factorUnits[procs[0]];
            for (int p : procs) {
                top = Math.max(top, factorUnits[p]);
            }
            value = top == INF ? null : BigInteger.valueOf(nominalUnits[i]).multiply(Exact.big(top));
        } else {
            BigInteger[] eff = effectiveUnits(i);
            value = eff[0];
            for (int j = 1; j < eff.length; j++) {
                BigInteger e = eff[j];
                if (aggregate == MIN) {
                    value = value == null ? e : e == null ? value : value.min(e);
                } else if (aggregate == MAX) {
                    value = value == null || e == null ? null : value.max(e);
                } else {
                    value = value == null || e == null ? null : value.add(e);
                }
            }
        }
        return value;
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
        int m = effectiveLatencies(i, lats, means);
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

    /**
     * Fill {@code factor} (the largest factor given per processor, 1 for none), {@code
     * factorUnits} and {@code factorExact} (at 6 decimals) from {@code c} and the monitor's
     * {@code extra}; true when some factor of the plan's processors is above 1 at 6 decimals.
     */
    private boolean factors(Conditions c, double[] extra) {
        double[] f = factor;
        Arrays.fill(f, 1.0);
        for (int k = 0; k < c.slowProcs.length; k++) {
            Integer p = procIndex.get(c.slowProcs[k]);
            if (p != null) {
                double v = c.slowFactors[k];
                if (!(f[p] >= v)) {
                    f[p] = v;
                }
            }
        }
        if (extra != null) {
            for (int p = 0; p < f.length; p++) {
                double v = extra[p];
                if (v > 1.0) {
                    if (!(f[p] >= v)) {
                        f[p] = v;
                    }
                }
            }
        }
        // factors at 6 decimals: one that rounds to 1 slows nothing
        boolean slow = false;
        for (int p = 0; p < f.length; p++) {
            double u = Exact.factorUnits(f[p]);
            factorUnits[p] = u;
            factorExact[p] = u / Exact.FACTOR_ONE;
            slow |= u > Exact.FACTOR_ONE;
        }
        return slow;
    }

    /** Rank of the best design feasible under {@code c} and the monitor's {@code extra}, or -1. */
    private int choose(Conditions c, double[] extra) {
        boolean slow = factors(c, extra);
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
        long mem = memCheck ? Exact.budgetUnits(c.memoryBudgetMb, memPlaces, memMult) : 0;
        double lim = limit;
        boolean latCheck;
        boolean budget = c.hasLatencyBudget;
        if (budget) {
            double b = c.latencyBudgetMs;
            // a budget is read as written: the smaller double is the smaller decimal
            lim = Double.isNaN(b) ? Double.NEGATIVE_INFINITY : b < lim ? b : lim;
            latCheck = true;
        } else {
            latCheck = slow && (lim < INF || anyPartLimit);
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
                if (memCheck && !(memUnits[i] >= 0 && memUnits[i] <= mem)) {
                    continue;
                }
                if (latCheck && !latencyHolds(i, lim, budget)) {
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

    /**
     * Fill the look-up table of {@link #selectCached} and check every entry of the plan's
     * {@code conditions} table against the design {@link #select} gives for its {@code when}: the
     * messages of Python's {@code cache_mismatches}, thrown (the first, and how many more) when
     * {@code validate}.
     */
    private List<String> checkTable(boolean validate) throws PlanException {
        List<String> out = new ArrayList<String>();
        int firstAt = -1;
        for (int i = 0; i < plan.entryWhen.size(); i++) {
            Conditions when = plan.entryWhen.get(i);
            int rank = choose(when, null);
            table.put(key(when), rank);
            String got = rank < 0 ? null : plan.designs().get(rank).id();
            String want = plan.entryDesign.get(i);
            if (got == null ? want != null : !got.equals(want)) {
                String why = want == null ? null : whyInfeasible(plan.rankOf(want), when);
                if (why != null) {
                    why = want + " is infeasible: " + why;
                } else if (want == null) {
                    why = got + " holds under these conditions";
                } else {
                    why = got + " holds under these conditions and is ranked higher";
                }
                out.add("conditions[" + i + "].design: the plan says " + Json.repr(want)
                        + ", but the feasibility rule gives " + Json.repr(got) + " (" + why + ")");
                firstAt = firstAt < 0 ? i : firstAt;
            }
        }
        if (validate && !out.isEmpty()) {
            String where = "conditions[" + firstAt + "].design";
            int more = out.size() - 1;
            throw Json.fail(where, out.get(0).substring(where.length() + 2)
                    + (more > 0 ? "; and " + more + " more such entr" + (more == 1 ? "y" : "ies") : ""));
        }
        return Collections.unmodifiableList(out);
    }

    /**
     * The entries of the plan's {@code conditions} table whose {@code design} is not what the
     * feasibility rule gives for their {@code when}, one message each (Python's {@code
     * Switcher.cache_mismatches}, character for character), e.g. {@code conditions[0].design: the
     * plan says 'd2', but the feasibility rule gives 'd1' (d2 is infeasible: npu unavailable)}.
     * Empty unless the switcher was built with {@code validate} false (else such a plan does not
     * load). Unmodifiable.
     */
    public List<String> cacheMismatches() {
        return cacheMismatches;
    }

    /**
     * The table key of {@code c} as Python's {@code _key} of the normalised conditions: the
     * plan's processors among the unavailable ones, the budgets and power level, and the factors
     * above 1 of the plan's processors (the largest per processor), all sorted.
     */
    private String key(Conditions c) {
        TreeSet<String> gone = new TreeSet<String>();
        for (String name : c.unavailable) {
            if (procIndex.containsKey(name)) {
                gone.add(name);
            }
        }
        TreeMap<String, Double> slow = new TreeMap<String, Double>();
        for (int k = 0; k < c.slowProcs.length; k++) {
            String name = c.slowProcs[k];
            double v = c.slowFactors[k];
            if (procIndex.containsKey(name) && v > 1.0) {
                Double had = slow.get(name);
                if (had == null || !(had >= v)) {
                    slow.put(name, v);
                }
            }
        }
        StringBuilder out = new StringBuilder().append(gone).append('|');
        out.append(c.hasMemory ? number(c.memoryBudgetMb) : "-").append('|').append(slow).append('|');
        out.append(c.hasLatencyBudget ? number(c.latencyBudgetMs) : "-").append('|');
        return out.append(c.hasPower ? number(c.powerMw) : "-").toString();
    }

    /** A number for a table key: -0 is 0, as in Python's float comparison. */
    private static String number(double v) {
        return Double.toString(v == 0.0 ? 0.0 : v);
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
                ? new Decision(this, plan, fallback, false, effective, monitor)
                : new Decision(this, plan, rank, true, effective, monitor);
        Decision previous = current;
        current = decision;
        if (previous == null || previous.rank != decision.rank) {
            for (ChangeListener listener : listeners) {
                listener.onChange(decision, previous);
            }
        }
        return decision;
    }

    /**
     * Like {@link #select}, answering the condition sets the plan anticipated (its {@code
     * conditions} table) from a table filled at load, as Python's {@code select_cached}: the
     * same decision as {@code select} in every case. While the drift monitor's condition is
     * active it is {@code select}; a condition set the table does not hold is decided as
     * {@code select} decides it. Never throws.
     */
    public synchronized Decision selectCached(Conditions conditions) {
        Conditions c = conditions == null ? Conditions.NOMINAL : conditions;
        if (anyActive()) {
            return select(c);
        }
        this.conditions = c;
        Integer hit = table.get(key(c));
        return decide(hit != null ? hit : choose(c, null), c, null);
    }

    /** The design with this id, or null (as {@link Plan#design}). */
    public Design design(String designId) {
        return plan.design(designId);
    }

    /**
     * Why the design of {@code rank} is infeasible under {@code conditions} (null = nominal), or
     * null when it is feasible: the text of Python's {@code Switcher.why_infeasible}, character
     * for character (numbers as Python's {@code format(x, "g")} writes them), such as {@code "npu
     * unavailable"}, {@code "memory 120 MB > budget 100 MB"} or {@code "latency 45 ms > 40 ms
     * (slowdown gpu x1.5)"}. The drift monitor's condition is not applied (pass a decision's
     * {@link Decision#conditions()} for that).
     *
     * @throws IndexOutOfBoundsException when {@code rank} is not a rank of the plan
     */
    public synchronized String whyInfeasible(int rank, Conditions conditions) {
        if (rank < 0 || rank >= n) {
            throw new IndexOutOfBoundsException("rank " + rank + " of a plan of " + n + " designs");
        }
        Conditions c = conditions == null ? Conditions.NOMINAL : conditions;
        int i = rank;
        TreeSet<String> lost = new TreeSet<String>();
        for (String name : c.unavailable) {
            Integer p = procIndex.get(name);
            if (p != null && (uses[p][i >>> 6] >>> i & 1L) != 0) {
                lost.add(name);
            }
        }
        if (!lost.isEmpty()) {
            return join(lost, ", ") + " unavailable";
        }
        String failure = staticFailure(i);
        if (failure != null) {
            return failure;
        }
        if (c.hasMemory) {
            double mem = c.memoryBudgetMb;
            if (memUnits[i] < 0 || Double.isNaN(mem) || !(memUnits[i] <= Exact.budgetUnits(mem, memPlaces, memMult))) {
                String shown = memUnits[i] < 0 ? "unknown" : PyFormat.g(memDouble[i]) + " MB";
                return "memory " + shown + " > budget " + PyFormat.g(mem) + " MB";
            }
        }
        if (hasBands) {
            boolean level = c.hasPower && !Double.isNaN(c.powerMw);
            long[] mask = level ? segments[upperBound(breaks, c.powerMw)] : noLevel;
            if ((mask[i >>> 6] >>> i & 1L) == 0) {
                Design d = plan.designs().get(i);
                if (!d.hasPowerBand()) {
                    if (!level) {
                        return "no power level given; designs without a band apply";
                    }
                    return "a design's power band holds " + PyFormat.g(c.powerMw)
                            + " mW; designs without a band yield";
                }
                String band = "[" + PyFormat.g(d.powerBandLoMw()) + ", " + PyFormat.g(d.powerBandHiMw()) + ")";
                if (!level) {
                    return "power band " + band + ": no power level given";
                }
                return "power " + PyFormat.g(c.powerMw) + " mW outside band " + band;
            }
        }
        factors(c, null);
        StringBuilder slowed = new StringBuilder();
        for (int p = 0; p < procNames.length; p++) {
            if ((uses[p][i >>> 6] >>> i & 1L) != 0 && factorUnits[p] > Exact.FACTOR_ONE) {
                slowed.append(slowed.length() == 0 ? "" : ", ").append(procNames[p]).append(" x")
                        .append(PyFormat.g(factor[p]));
            }
        }
        String note = slowed.length() == 0 ? "" : " (slowdown " + slowed + ")";
        if (slowed.length() > 0) {
            int part = partFailure(i);
            if (part >= 0) {
                return partMessage(i, part) + note;
            }
        }
        // the app limit: the plan's, or a budget whose units are below it (Python's units compare)
        double lim = limit;
        BigInteger lu = limitUnits;
        boolean none = false; // a NaN or -inf budget: no latency holds
        if (c.hasLatencyBudget) {
            double b = c.latencyBudgetMs;
            if (Double.isNaN(b) || b == Double.NEGATIVE_INFINITY) {
                if (lu == null || lu.signum() >= 0) {
                    lim = b;
                    none = true;
                }
            } else if (b != INF) {
                BigInteger bu = Exact.limitUnits(b, latPlaces + Exact.FACTOR_PLACES, latMult, true);
                if (lu == null || bu.compareTo(lu) < 0) {
                    lim = b;
                    lu = bu;
                }
            }
        }
        if (c.hasLatencyBudget || lu != null && slowed.length() > 0) {
            boolean known = nominalUnits[i] >= 0;
            BigInteger lat = known ? appUnits(i) : null;
            if (!known || none || lu != null && (lat == null || lat.compareTo(lu) > 0)) {
                String shown = !known ? "unknown"
                        : PyFormat.g(lat == null ? INF
                                : PyFormat.ratio(lat, scale(latPlaces + Exact.FACTOR_PLACES, latMult)), 4) + " ms";
                return "latency " + shown + " > " + PyFormat.g(lim) + " ms" + note;
            }
        }
        return null;
    }

    /**
     * A one-line reason for {@code decision}, the text of Python's {@code Switcher.explain}: the
     * design and which better-ranked designs were excluded and why (the first three, then how
     * many more), and the drift monitor's slowdown when it applied. {@link Decision#reason()}
     * gives it.
     */
    public synchronized String explain(Decision decision) {
        Conditions cond = decision.conditions();
        int upto = decision.rank < 0 || !decision.meetsSlo() ? n : decision.rank;
        List<String> skipped = new ArrayList<String>();
        for (int r = 0; r < upto; r++) {
            String why = whyInfeasible(r, cond);
            if (why != null) {
                skipped.add(plan.designs().get(r).id() + " (" + why + ")");
            }
            if (skipped.size() == 3) {
                break;
            }
        }
        int more = upto - skipped.size();
        String tail = join(skipped, "; ") + (more > 0 && !skipped.isEmpty() ? "; +" + more + " more" : "");
        String note = "";
        Map<String, Double> monitor = decision.monitorSlowdown();
        if (!monitor.isEmpty()) {
            StringBuilder shown = new StringBuilder();
            for (Map.Entry<String, Double> e : new TreeMap<String, Double>(monitor).entrySet()) {
                shown.append(shown.length() == 0 ? "" : ", ").append(e.getKey()).append(" x")
                        .append(PyFormat.g(e.getValue(), 3));
            }
            note = " [drift monitor: slowdown " + shown + "]";
        }
        if (decision.meetsSlo()) {
            if (decision.rank == 0) {
                return decision.designId() + ": best-ranked design, feasible" + note;
            }
            return decision.designId() + ": best feasible design; better-ranked excluded: " + tail + note;
        }
        if (decision.rank < 0) {
            return "no design meets the SLOs and the plan declares no fallback: " + tail + note;
        }
        return "no design meets the SLOs; running declared fallback " + decision.designId() + ": " + tail + note;
    }

    private static String join(Iterable<String> items, String separator) {
        StringBuilder out = new StringBuilder();
        for (String item : items) {
            out.append(out.length() == 0 ? "" : separator).append(item);
        }
        return out.toString();
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

    /**
     * Predicted probability that the next run of design {@code rank} misses its latency limit,
     * as Python's {@code Switcher.miss_probability}: the latency limit is the plan's, or the
     * latency budget of the last {@link #select} when lower (a NaN budget: none holds); the next
     * app latency is Gaussian with the drift monitor's mean and variance (see the class comment).
     * 0.0 when there is no limit, 1.0 when the design's latency is unknown, a step (0.0 or 1.0)
     * when the variance is not positive, else {@code 1 - Phi((limit - mean) / sqrt(variance))},
     * with {@code Phi} from {@link NormalCdf} (Python uses {@code statistics.NormalDist}; the two
     * agree to within a few 1e-16).
     *
     * @throws IndexOutOfBoundsException when {@code rank} is not a rank of the plan
     */
    public synchronized double missProbability(int rank) {
        if (rank < 0 || rank >= n) {
            throw new IndexOutOfBoundsException("rank " + rank + " of a plan of " + n + " designs");
        }
        double lim = currentLimit();
        if (lim == INF) {
            return 0.0;
        }
        double mean = gradient(rank, means());
        if (Double.isNaN(mean)) {
            return 1.0;
        }
        double variance = predictiveVariance();
        if (variance <= 0.0) {
            return mean > lim ? 1.0 : 0.0;
        }
        return 1.0 - NormalCdf.cdf((lim - mean) / Math.sqrt(variance));
    }

    /** The latency limit of the monitor's prediction: the plan's, or a lower budget. */
    private double currentLimit() {
        double lim = limit;
        if (conditions.hasLatencyBudget) {
            double budget = conditions.latencyBudgetMs;
            lim = Double.isNaN(budget) ? Double.NEGATIVE_INFINITY : budget < lim ? budget : lim;
        }
        return lim;
    }

    /** Variance of the next app latency for the gradient {@link #gradient} left in scratch. */
    private double predictiveVariance() {
        double variance = 0.0;
        for (int k = 0; k < gradCount; k++) {
            int p = gradProc[k];
            double g = gradVal[k];
            double pv = hasFilter[p] ? fp[p] : config.p0;
            variance += g * g * (pv + config.q + config.r);
        }
        return variance;
    }

    /** Whether the miss probability of design {@code rank} is above the threshold. */
    private boolean misses(int rank) {
        double lim = currentLimit();
        if (lim == INF) {
            return false;
        }
        double mean = gradient(rank, means());
        if (Double.isNaN(mean)) {
            return true;
        }
        double variance = predictiveVariance();
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
