package carin.runtime;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.json.JSONArray;
import org.json.JSONObject;

/**
 * An immutable condition set: what the app knows about its situation right now.
 *
 * <p>The same keys as a Python condition set ({@code docs/plan-format.md}): processors that
 * are unavailable, a memory budget, per-processor slowdown factors, a latency budget and a
 * harvested power level. Build one with {@link #builder()}; change one with {@link
 * #toBuilder()}. Processor names are kept in lower case ({@code toLowerCase(Locale.ROOT)}), so
 * {@code "NPU"} and {@code "npu"} are one processor; a slowdown factor that is not above 1
 * (or NaN) counts as 1 and is dropped, and a processor named twice keeps the larger factor.
 * Any double is accepted: a NaN memory or latency budget holds no design, a NaN power level
 * counts as none given.
 */
public final class Conditions {
    /** No condition: nominal. */
    public static final Conditions NOMINAL = new Builder().build();

    static final String[] KEYS = {"unavailable", "memory_budget_mb", "slowdown", "latency_budget_ms", "power_mw"};

    final String[] unavailable;
    final String[] slowProcs;
    final double[] slowFactors;
    final boolean hasMemory;
    final double memoryBudgetMb;
    final boolean hasLatencyBudget;
    final double latencyBudgetMs;
    final boolean hasPower;
    final double powerMw;

    private Conditions(Builder b) {
        this.unavailable = b.unavailable.toArray(new String[0]);
        this.slowProcs = b.slowdown.keySet().toArray(new String[0]);
        this.slowFactors = new double[slowProcs.length];
        for (int i = 0; i < slowProcs.length; i++) {
            slowFactors[i] = b.slowdown.get(slowProcs[i]);
        }
        this.hasMemory = b.hasMemory;
        this.memoryBudgetMb = b.memoryBudgetMb;
        this.hasLatencyBudget = b.hasLatencyBudget;
        this.latencyBudgetMs = b.latencyBudgetMs;
        this.hasPower = b.hasPower;
        this.powerMw = b.powerMw;
    }

    /** A builder for a new condition set. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this condition set, to change some of it. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.unavailable.addAll(Arrays.asList(unavailable));
        for (int i = 0; i < slowProcs.length; i++) {
            b.slowdown.put(slowProcs[i], slowFactors[i]);
        }
        b.hasMemory = hasMemory;
        b.memoryBudgetMb = memoryBudgetMb;
        b.hasLatencyBudget = hasLatencyBudget;
        b.latencyBudgetMs = latencyBudgetMs;
        b.hasPower = hasPower;
        b.powerMw = powerMw;
        return b;
    }

    /** The unavailable processors (lower case). Unmodifiable. */
    public Set<String> unavailable() {
        return Collections.unmodifiableSet(new LinkedHashSet<String>(Arrays.asList(unavailable)));
    }

    /** Slowdown factors above 1 per processor (lower case). Unmodifiable. */
    public Map<String, Double> slowdown() {
        Map<String, Double> out = new LinkedHashMap<String, Double>();
        for (int i = 0; i < slowProcs.length; i++) {
            out.put(slowProcs[i], slowFactors[i]);
        }
        return Collections.unmodifiableMap(out);
    }

    /** The memory budget in MB, or null when none is given. */
    public Double memoryBudgetMb() {
        return hasMemory ? memoryBudgetMb : null;
    }

    /** The latency budget in ms, or null when none is given. */
    public Double latencyBudgetMs() {
        return hasLatencyBudget ? latencyBudgetMs : null;
    }

    /** The harvested power level in mW, or null when none is given. */
    public Double powerMw() {
        return hasPower ? powerMw : null;
    }

    /** True when no condition is set. */
    public boolean isNominal() {
        return unavailable.length == 0 && slowProcs.length == 0 && !hasMemory && !hasLatencyBudget && !hasPower;
    }

    /** These conditions with each slowdown factor raised to at least {@code extra}'s. */
    Conditions withSlowdown(Map<String, Double> extra) {
        if (extra.isEmpty()) {
            return this;
        }
        Builder b = toBuilder();
        for (Map.Entry<String, Double> e : extra.entrySet()) {
            b.slowdown(e.getKey(), e.getValue());
        }
        return b.build();
    }

    /**
     * Read a condition set from JSON, as {@code select} takes it in Python: keys {@code
     * unavailable} (a list of names, or one name), {@code memory_budget_mb}, {@code slowdown}
     * (object of numbers), {@code latency_budget_ms}, {@code power_mw}; any number.
     *
     * @throws PlanException for an unknown key or a value of the wrong type, naming it
     */
    public static Conditions fromJson(JSONObject obj) throws PlanException {
        return read(obj, "conditions", false);
    }

    /**
     * {@code strict} (a plan's {@code conditions[].when}): the Python validator's rules with
     * finite numbers, names non-empty and factors {@code >= 1}.
     */
    static Conditions read(Object value, String where, boolean strict) throws PlanException {
        JSONObject obj = Json.obj(value, where);
        Builder b = new Builder();
        Iterator<String> keys = obj.keys();
        while (keys.hasNext()) {
            String key = keys.next();
            String here = Json.join(where, key);
            Object v = obj.opt(key);
            if (key.equals("unavailable")) {
                if (!strict && v instanceof String) {
                    b.unavailable((String) v);
                    continue;
                }
                JSONArray names = Json.list(v, here, false);
                for (int i = 0; i < names.length(); i++) {
                    Object name = names.opt(i);
                    b.unavailable(strict ? Json.str(name, here + "[" + i + "]") : strOf(name, here + "[" + i + "]"));
                }
            } else if (key.equals("slowdown")) {
                JSONObject factors = Json.obj(v, here);
                Iterator<String> procs = factors.keys();
                while (procs.hasNext()) {
                    String proc = procs.next();
                    String at = here + "." + proc;
                    double f = Json.num(factors.opt(proc), at, false, strict, Double.NaN, false);
                    if (strict && !(f >= 1.0)) {
                        throw Json.fail(at, "expected a factor >= 1, got " + Json.show(factors.opt(proc)));
                    }
                    if (strict) {
                        Json.str(proc, here);
                    }
                    b.slowdown(proc, f);
                }
            } else if (key.equals("memory_budget_mb") || key.equals("latency_budget_ms") || key.equals("power_mw")) {
                double d = Json.num(v, here, false, strict, Double.NaN, false);
                if (strict && Double.isNaN(d)) {
                    throw Json.fail(here, "expected a number, got NaN");
                }
                if (key.equals("memory_budget_mb")) {
                    b.memoryBudgetMb(d);
                } else if (key.equals("latency_budget_ms")) {
                    b.latencyBudgetMs(d);
                } else {
                    b.powerMw(d);
                }
            } else {
                throw Json.fail(here, "unknown condition; allowed: " + Json.joined(KEYS));
            }
        }
        return b.build();
    }

    private static String strOf(Object v, String where) throws PlanException {
        if (!(v instanceof String)) {
            throw Json.fail(where, "expected a string");
        }
        return (String) v;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Conditions)) {
            return false;
        }
        Conditions c = (Conditions) o;
        return unavailable().equals(c.unavailable())
                && slowdown().equals(c.slowdown())
                && same(hasMemory, memoryBudgetMb, c.hasMemory, c.memoryBudgetMb)
                && same(hasLatencyBudget, latencyBudgetMs, c.hasLatencyBudget, c.latencyBudgetMs)
                && same(hasPower, powerMw, c.hasPower, c.powerMw);
    }

    private static boolean same(boolean has, double v, boolean otherHas, double other) {
        return has == otherHas && (!has || Double.compare(v, other) == 0);
    }

    @Override
    public int hashCode() {
        return unavailable().hashCode() * 31 + slowdown().hashCode();
    }

    @Override
    public String toString() {
        List<String> items = new ArrayList<String>();
        if (unavailable.length > 0) {
            items.add("unavailable=" + unavailable());
        }
        if (hasMemory) {
            items.add("memory_budget_mb=" + memoryBudgetMb);
        }
        if (slowProcs.length > 0) {
            items.add("slowdown=" + slowdown());
        }
        if (hasLatencyBudget) {
            items.add("latency_budget_ms=" + latencyBudgetMs);
        }
        if (hasPower) {
            items.add("power_mw=" + powerMw);
        }
        return "Conditions" + items;
    }

    /** Builds a {@link Conditions}; not thread-safe, the result is. */
    public static final class Builder {
        private final LinkedHashSet<String> unavailable = new LinkedHashSet<String>();
        private final LinkedHashMap<String, Double> slowdown = new LinkedHashMap<String, Double>();
        private boolean hasMemory;
        private double memoryBudgetMb;
        private boolean hasLatencyBudget;
        private double latencyBudgetMs;
        private boolean hasPower;
        private double powerMw;

        Builder() {}

        /** Mark processors unavailable (names in any case; null names are ignored). */
        public Builder unavailable(String... processors) {
            for (String p : processors) {
                if (p != null) {
                    unavailable.add(p.toLowerCase(Locale.ROOT));
                }
            }
            return this;
        }

        /** Mark a processor available again. */
        public Builder available(String processor) {
            unavailable.remove(processor.toLowerCase(Locale.ROOT));
            return this;
        }

        /** Slow a processor down by {@code factor} (kept only above 1; the larger of two wins). */
        public Builder slowdown(String processor, double factor) {
            if (processor != null && factor > 1.0) {
                String p = processor.toLowerCase(Locale.ROOT);
                Double old = slowdown.get(p);
                if (old == null || !(old >= factor)) {
                    slowdown.put(p, factor);
                }
            }
            return this;
        }

        /** Drop the slowdown of a processor. */
        public Builder clearSlowdown(String processor) {
            slowdown.remove(processor.toLowerCase(Locale.ROOT));
            return this;
        }

        /** Set the memory budget in MB. */
        public Builder memoryBudgetMb(double mb) {
            hasMemory = true;
            memoryBudgetMb = mb;
            return this;
        }

        /** Drop the memory budget. */
        public Builder clearMemoryBudget() {
            hasMemory = false;
            return this;
        }

        /** Set a latency budget in ms (an extra limit on the slowed app latency). */
        public Builder latencyBudgetMs(double ms) {
            hasLatencyBudget = true;
            latencyBudgetMs = ms;
            return this;
        }

        /** Drop the latency budget. */
        public Builder clearLatencyBudget() {
            hasLatencyBudget = false;
            return this;
        }

        /** Set the harvested power level in mW. */
        public Builder powerMw(double mw) {
            hasPower = true;
            powerMw = mw;
            return this;
        }

        /** Drop the power level. */
        public Builder clearPower() {
            hasPower = false;
            return this;
        }

        /** The condition set. */
        public Conditions build() {
            return new Conditions(this);
        }
    }
}
