package carin.runtime;

import java.util.Iterator;
import org.json.JSONObject;

/**
 * Parameters of the drift monitor; the same fields, defaults and ranges as Python's {@code
 * MonitorConfig}. Immutable.
 */
public final class MonitorConfig {
    /** The defaults: q=1e-3, r=2.5e-3, p0=1e-2, threshold=0.1, release=0.02, revertAfter=10, relax=0.95. */
    public static final MonitorConfig DEFAULTS = new Builder().build();

    /** Process noise variance of the slowdown factor per observation. */
    public final double q;
    /** Measurement noise variance of one latency ratio (0.0025 = 5 % jitter). */
    public final double r;
    /** Initial variance of a processor's factor (its mean starts at 1). */
    public final double p0;
    /** Miss probability of the current design above which the monitor adds a slowdown condition. */
    public final double threshold;
    /** Lower miss probability used for recovery (hysteresis). */
    public final double release;
    /** Consecutive observations a better-ranked design must hold before the condition is relaxed. */
    public final int revertAfter;
    /** Per-step factor by which an unobserved processor's estimate returns to 1. */
    public final double relax;

    final double zThreshold;
    final double zRelease;

    private MonitorConfig(Builder b) {
        q = b.q;
        r = b.r;
        p0 = b.p0;
        threshold = b.threshold;
        release = b.release;
        revertAfter = b.revertAfter;
        relax = b.relax;
        check("q", q >= 0.0, q);
        check("r", r > 0.0, r);
        check("p0", p0 >= 0.0, p0);
        check("threshold", threshold > 0.0 && threshold < 0.5, threshold);
        check("release", release > 0.0 && release <= threshold, release);
        check("revert_after", revertAfter >= 1, revertAfter);
        check("relax", relax > 0.0 && relax <= 1.0, relax);
        zThreshold = z(threshold);
        zRelease = z(release);
    }

    private static void check(String name, boolean ok, Object value) {
        if (!ok) {
            throw new IllegalArgumentException("MonitorConfig." + name + "=" + value + " is out of range");
        }
    }

    /** Standard-normal quantile {@code z_(1-level)} (bit-identical to Python's). */
    public static double z(double level) {
        return NormalQuantile.quantile(1.0 - level);
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Read settings named as in Python ({@code q, r, p0, threshold, release, revert_after, relax});
     * missing ones keep their defaults.
     *
     * @throws IllegalArgumentException for an unknown name, a non-number or a value out of range
     */
    public static MonitorConfig fromJson(JSONObject obj) {
        Builder b = new Builder();
        Iterator<String> keys = obj.keys();
        while (keys.hasNext()) {
            String key = keys.next();
            Object v = obj.opt(key);
            if (!(v instanceof Number)) {
                throw new IllegalArgumentException("monitor setting " + key + ": expected a number");
            }
            double d = ((Number) v).doubleValue();
            if (key.equals("q")) {
                b.q(d);
            } else if (key.equals("r")) {
                b.r(d);
            } else if (key.equals("p0")) {
                b.p0(d);
            } else if (key.equals("threshold")) {
                b.threshold(d);
            } else if (key.equals("release")) {
                b.release(d);
            } else if (key.equals("revert_after")) {
                if (d != Math.rint(d)) {
                    throw new IllegalArgumentException("monitor setting revert_after: expected a whole number");
                }
                b.revertAfter((int) d);
            } else if (key.equals("relax")) {
                b.relax(d);
            } else {
                throw new IllegalArgumentException("unknown monitor setting " + key
                        + "; allowed: p0, q, r, relax, release, revert_after, threshold");
            }
        }
        return b.build();
    }

    @Override
    public String toString() {
        return "MonitorConfig(q=" + q + ", r=" + r + ", p0=" + p0 + ", threshold=" + threshold + ", release="
                + release + ", revertAfter=" + revertAfter + ", relax=" + relax + ")";
    }

    /** Builds a {@link MonitorConfig}. */
    public static final class Builder {
        private double q = 1e-3;
        private double r = 2.5e-3;
        private double p0 = 1e-2;
        private double threshold = 0.1;
        private double release = 0.02;
        private int revertAfter = 10;
        private double relax = 0.95;

        Builder() {}

        /** Process noise variance. */
        public Builder q(double v) {
            q = v;
            return this;
        }

        /** Measurement noise variance. */
        public Builder r(double v) {
            r = v;
            return this;
        }

        /** Initial variance. */
        public Builder p0(double v) {
            p0 = v;
            return this;
        }

        /** Miss probability that raises the monitor's condition. */
        public Builder threshold(double v) {
            threshold = v;
            return this;
        }

        /** Miss probability used for recovery. */
        public Builder release(double v) {
            release = v;
            return this;
        }

        /** Observations before the condition is relaxed. */
        public Builder revertAfter(int v) {
            revertAfter = v;
            return this;
        }

        /** Per-step relaxation toward 1. */
        public Builder relax(double v) {
            relax = v;
            return this;
        }

        /**
         * The config.
         *
         * @throws IllegalArgumentException naming a setting that is out of range
         */
        public MonitorConfig build() {
            return new MonitorConfig(this);
        }
    }
}
