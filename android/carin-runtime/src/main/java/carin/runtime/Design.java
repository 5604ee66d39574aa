package carin.runtime;

import java.util.List;
import java.util.Map;

/** One design of a plan: a configuration per task, ranked by the spec's preference. */
public final class Design {
    private final String id;
    private final int rank;
    private final boolean pareto;
    private final List<Part> parts;
    private final Map<String, Double> metrics;
    private final double[] band;

    Design(String id, int rank, boolean pareto, List<Part> parts, Map<String, Double> metrics, double[] band) {
        this.id = id;
        this.rank = rank;
        this.pareto = pareto;
        this.parts = parts;
        this.metrics = metrics;
        this.band = band;
    }

    /** Unique id ({@code d<rank>} as carin solve writes it). */
    public String id() {
        return id;
    }

    /** Position in the plan's ranking (0 = best). */
    public int rank() {
        return rank;
    }

    /** Whether the design is in the nominal Pareto set. */
    public boolean isPareto() {
        return pareto;
    }

    /** One part per task, in the order of {@link Plan#tasks()}. Unmodifiable. */
    public List<Part> parts() {
        return parts;
    }

    /** The first part (the only one for a single-DNN plan). */
    public Part part() {
        return parts.get(0);
    }

    /** App-level metrics at nominal conditions; a null value means unknown. Unmodifiable. */
    public Map<String, Double> metrics() {
        return metrics;
    }

    /** Whether the design is meant for a harvested-power band. */
    public boolean hasPowerBand() {
        return band != null;
    }

    /** Lower end of the power band in mW (NaN without a band). */
    public double powerBandLoMw() {
        return band == null ? Double.NaN : band[0];
    }

    /** Upper end of the power band in mW, {@code +Infinity} for none (NaN without a band). */
    public double powerBandHiMw() {
        return band == null ? Double.NaN : band[1];
    }

    @Override
    public String toString() {
        return id + parts;
    }
}
