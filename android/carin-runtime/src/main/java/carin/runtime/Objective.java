package carin.runtime;

/**
 * One objective of the plan, in the spec's priority order: the metric, whether it is minimised
 * or maximised, and the tolerance of the lexicographic ranking, if any.
 *
 * <p>The ranking already happened when the plan was solved ({@code designs} are listed best
 * first); an app reads the objectives to show or log the rule that chose its primary design.
 * With a tolerance, designs in the same step of it counted from the best value tie on that
 * objective and the next one decides. Immutable.
 */
public final class Objective {
    private final String metric;
    private final boolean maximise;
    private final Double tolerance;
    private final Double weight;

    Objective(String metric, boolean maximise, Double tolerance, Double weight) {
        this.metric = metric;
        this.maximise = maximise;
        this.tolerance = tolerance;
        this.weight = weight;
    }

    /** The app-level metric, e.g. {@code accuracy} or a task's own {@code detect.accuracy}. */
    public String metric() {
        return metric;
    }

    /** {@code "max"} or {@code "min"}, as the plan writes it. */
    public String goal() {
        return maximise ? "max" : "min";
    }

    /** Whether larger values are better. */
    public boolean maximise() {
        return maximise;
    }

    /** The ranking tolerance in the metric's units (finite, {@code >= 0}), or null when none. */
    public Double tolerance() {
        return tolerance;
    }

    /**
     * The weight of a weighted ranking ({@link Plan#preference()} {@code "weighted"}; finite,
     * {@code > 0}), or null when the plan gives none.
     */
    public Double weight() {
        return weight;
    }

    /** The objective as the reports say it: {@code max accuracy (tolerance 0.5)}. */
    @Override
    public String toString() {
        String text = goal() + " " + metric;
        if (tolerance == null || tolerance == 0.0) {
            return text;
        }
        double t = tolerance;
        String number = t == Math.rint(t) && Math.abs(t) < 1e15 ? Long.toString((long) t) : Double.toString(t);
        return text + " (tolerance " + number + ")";
    }
}
