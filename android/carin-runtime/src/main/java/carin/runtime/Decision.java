package carin.runtime;

import java.util.Collections;
import java.util.Map;

/** What a {@link Switcher} decided. Immutable (its {@link #reason()} is computed once, when asked). */
public final class Decision {
    private final Switcher switcher;
    private final Plan plan;
    final int rank;
    private final boolean meetsSlo;
    private final Conditions conditions;
    private final Map<String, Double> monitor;
    private volatile String reason;

    Decision(Switcher switcher, Plan plan, int rank, boolean meetsSlo, Conditions conditions,
            Map<String, Double> monitor) {
        this.switcher = switcher;
        this.plan = plan;
        this.rank = rank;
        this.meetsSlo = meetsSlo;
        this.conditions = conditions;
        this.monitor = monitor;
    }

    /** Id of the design to run, or null when nothing meets the SLOs and the plan has no fallback. */
    public String designId() {
        return rank < 0 ? null : plan.designs().get(rank).id();
    }

    /** The design to run, or null (see {@link #designId()}). */
    public Design design() {
        return rank < 0 ? null : plan.designs().get(rank);
    }

    /** The design's rank, or -1 when there is none. */
    public int rank() {
        return rank;
    }

    /**
     * True when the design is feasible under the conditions; false when it is the declared
     * fallback returned because no design is (or there is no design at all).
     */
    public boolean meetsSlo() {
        return meetsSlo;
    }

    /** True when this is the declared fallback, run because no design meets the SLOs. */
    public boolean isFallback() {
        return !meetsSlo && rank >= 0;
    }

    /** The conditions the decision was made under, including the monitor's slowdown. */
    public Conditions conditions() {
        return conditions;
    }

    /** The drift monitor's slowdown condition that was applied (empty when none). Unmodifiable. */
    public Map<String, Double> monitorSlowdown() {
        return monitor == null ? Collections.<String, Double>emptyMap() : monitor;
    }

    /**
     * Why this design: a one-line text naming which better-ranked designs were excluded and by
     * what, the same text as Python's {@code Decision.reason} ({@link Switcher#explain}).
     * Computed on the first call, under the switcher's lock.
     */
    public String reason() {
        String r = reason;
        if (r == null) {
            r = switcher.explain(this);
            reason = r;
        }
        return r;
    }

    @Override
    public String toString() {
        return "Decision(designId=" + designId() + ", meetsSlo=" + meetsSlo + ")";
    }
}
